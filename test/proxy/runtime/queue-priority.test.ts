/**
 * A backend's queues in priority order (HAProxy's queue.c): each queue by class, then by the time a
 * request queued plus its offset; when a server frees a slot, the better of the first waiters of its
 * own queue and of the backend's queue gets it (pendconn_process_next_strm), the server's on a tie.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, formatDiagnostics } from '../../../proxy/config/index.ts';
import type { BalancingProxy } from '../../../proxy/config/model.ts';
import { RuntimeBackend } from '../../../proxy/runtime/backend.ts';
import type { QueuePriority } from '../../../proxy/runtime/backend.ts';

function backend(): RuntimeBackend {
  const result = parseConfig([{ name: 'q.cfg', text: `defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
backend app
    server s1 127.0.0.1:1 maxconn 1
` }]);
  assert.ok(result.ok, result.ok ? '' : formatDiagnostics(result.diagnostics));
  return new RuntimeBackend(result.config.proxies.find((p) => p.name === 'app') as BalancingProxy);
}

test('a freed slot goes to the waiter with the best class, then the earliest time plus offset, whichever queue it is in', () => {
  const b = backend();
  const s1 = b.servers[0]!;
  const order: string[] = [];
  const ask = (name: string, priority?: QueuePriority, forced = false) => b.acquire({}, (result) => {
    if ('server' in result) order.push(name);
  }, undefined, forced ? s1 : undefined, priority);
  ask('first');
  ask('backend, no priority');
  ask('server queue, offset +100', { class: 0, offset: 100 }, true);
  ask('backend, offset +50', { class: 0, offset: 50 });
  ask('backend, class -1', { class: -1, offset: 0 });
  ask('server queue, class 1', { class: 1, offset: -500 }, true);
  assert.deepEqual(order, ['first']);
  for (let i = 0; i < 5; i++) b.release(s1);
  assert.deepEqual(order, [
    'first',
    'backend, class -1',
    'backend, no priority',
    'backend, offset +50',
    'server queue, offset +100',
    'server queue, class 1',
  ]);
});
