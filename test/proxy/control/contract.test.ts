import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTROL_METHODS, CONTROL_EVENT_CHANNELS, controlRoute } from '../../../proxy/control/contract.ts';
import type { ControlMethodName, ControlTopic, ControlContract } from '../../../proxy/control/contract.ts';
import { InProcessControl } from '../../../proxy/control/in-process.ts';
import { TOPICS } from '../../../proxy/control/event-host.ts';
import { ERROR_CODES, CERT_WARNING_CODES } from '../../../proxy/errors.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

// Type-level: the transport table has exactly the contract's methods, the event table exactly its topics,
// and the in-process implementation is a whole contract (each line fails to compile otherwise).
type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const methodsCovered: Exactly<keyof typeof CONTROL_METHODS, ControlMethodName> = true;
const topicsCovered: Exactly<keyof typeof CONTROL_EVENT_CHANNELS, ControlTopic> = true;
const implemented: ControlContract = null as unknown as InProcessControl;

test('every contract method has a transport entry with a unique area:verb channel and its own HTTP route', () => {
  assert.ok(methodsCovered && topicsCovered && implemented === null);
  const entries = Object.entries(CONTROL_METHODS);
  const channels = entries.map(([, m]) => m.channel);
  assert.deepEqual(channels.filter((c) => !/^[a-z]+:[a-z]+$/.test(c)), []);
  assert.equal(new Set(channels).size, channels.length, 'channels are unique');
  const routes = entries.map(([method]) => controlRoute(method as ControlMethodName));
  assert.deepEqual(routes, entries.map(([method]) => `/api/${method}`));
  assert.equal(new Set(routes).size, routes.length);
  for (const [method, m] of entries) assert.equal(typeof m.mutates, 'boolean', method);
  // The in-process implementation answers every method listed.
  for (const [method] of entries) assert.equal(typeof (InProcessControl.prototype as unknown as Record<string, unknown>)[method], 'function', method);
});

test('every topic has an event channel distinct from the method channels', () => {
  assert.deepEqual([...TOPICS].sort(), Object.keys(CONTROL_EVENT_CHANNELS).sort());
  const methodChannels = new Set(Object.values(CONTROL_METHODS).map((m) => m.channel));
  for (const channel of Object.values(CONTROL_EVENT_CHANNELS)) {
    assert.match(channel, /^[a-z]+:[a-z]+$/);
    assert.equal(methodChannels.has(channel as never), false, channel);
  }
});

test('every error code the control implementation can return is registered in proxy/errors.ts', () => {
  // The control layer and the functions whose answers it passes on unchanged.
  const dir = path.join(root, 'proxy', 'control');
  const files = [...fs.readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f)), path.join(root, 'proxy', 'runtime', 'admin.ts'), path.join(root, 'proxy', 'engine.ts')];
  const unknown: string[] = [];
  let seen = 0;
  for (const file of files) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/['"`](LS_(?:ERR|WARN)_[A-Z0-9_]+)['"`]/g)) {
      seen++;
      const code = m[1]!;
      if (!(code in ERROR_CODES) && !(code in CERT_WARNING_CODES) && code !== 'LS_WARN_CTL') unknown.push(`${path.relative(root, file)}: ${code}`);
    }
  }
  assert.ok(seen > 5, `found ${seen} codes`);
  assert.deepEqual(unknown, []);
});
