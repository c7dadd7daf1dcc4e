/**
 * trace-draft (renderer/src/lib/trace-draft.ts): an access-log entry becomes
 * the tracer's form as the request arrived, handed over once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccessLogEntry } from '../../../proxy/control/contract.ts';
import { handTraceDraft, takeTraceDraft, traceDraftOf } from '../../../renderer/src/lib/trace-draft.ts';

const entry: AccessLogEntry = {
  time: 0, mode: 'http', frontend: 'https-in', backend: 'api', server: 's1', client: '::ffff:192.168.1.20:51000', clientIp: '::ffff:192.168.1.20',
  tls: true, sni: 'api.home.arpa', method: 'PURGE', url: '/v1/items?id=2', host: 'api.home.arpa', status: 200,
  bytesIn: 10, bytesOut: 20, tw: 0, tc: 1, tr: 2, tt: 3, termination: '--', retries: 0,
};

test('an HTTP entry becomes the form as the request arrived: method, target, Host, client address without its port, TLS and SNI', () => {
  assert.deepEqual(traceDraftOf(entry), {
    frontend: 'https-in', method: 'PURGE', url: '/v1/items?id=2', host: 'api.home.arpa', source: '::ffff:192.168.1.20', tls: true, sni: 'api.home.arpa',
  });
});

test('a request without Host or SNI leaves those fields empty', () => {
  const { host: _h, sni: _s, ...bare } = entry;
  const draft = traceDraftOf({ ...bare, tls: false });
  assert.equal(draft.host, '');
  assert.equal(draft.sni, '');
  assert.equal(draft.tls, false);
});

test('the draft is taken once, and only by the tracer of its frontend', () => {
  handTraceDraft(traceDraftOf(entry));
  assert.equal(takeTraceDraft('other'), undefined);
  assert.equal(takeTraceDraft('https-in'), undefined, 'a draft refused is gone, not left for a later visit');
  handTraceDraft(traceDraftOf(entry));
  assert.equal(takeTraceDraft('https-in')?.url, '/v1/items?id=2');
  assert.equal(takeTraceDraft('https-in'), undefined);
});
