/**
 * The transport is picked once per page: the desktop app's preload bridge
 * (`window.loadstar`, IPC: no event stream, nothing shared between windows)
 * wins over HTTP; a browser page gets the HTTP transport, whose stream tabs share.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControlContract } from '../../../proxy/control/contract.ts';
import { pickTransport } from '../../../renderer/src/transport/index.ts';

test('the desktop app\'s window gets the IPC transport, with no stream to share; a browser page the HTTP one', () => {
  let subscribed = 0;
  const bridge = { subscribe: () => (subscribed++, () => {}) } as unknown as ControlContract;
  const desktop = pickTransport({ loadstar: bridge } as unknown as Window);
  assert.equal(desktop.kind, 'ipc');
  desktop.subscribe(['stats'], () => {});
  assert.equal(subscribed, 1, 'events come over the bridge');
  const states: string[] = [];
  desktop.onStreamState((s) => states.push(s));
  assert.deepEqual(states, ['open']);
  assert.equal(pickTransport({} as Window).kind, 'http');
});
