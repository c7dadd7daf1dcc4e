/**
 * traceInputProblems (renderer/src/lib/trace-input.ts): the tracer refuses,
 * at its field, a request target without '/' and a source that is not an IP
 * address, instead of tracing a request no client could send.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { traceInputProblems } from '../../../renderer/src/lib/trace-input.ts';

test('paths, absolute URLs and IPv4/IPv6 sources pass', () => {
  for (const [url, source] of [['/', '127.0.0.1'], ['/static/app.js?v=2', '192.168.1.20'], ['http://api.example.com/v1', '::1'], ['*', 'fd00::20'], ['/x', '::ffff:10.0.0.1'], ['/y', '']]) {
    assert.deepEqual(traceInputProblems({ url: url!, source: source!, http: true }), {}, `${url} from ${source}`);
  }
});

test('a target without its slash and a source that is no IP address are refused at their fields', () => {
  const p = traceInputProblems({ url: 'cart', source: '1.2.3', http: true });
  assert.match(p.url!, /start it with '\/', e\.g\. \/cart/);
  assert.match(p.source!, /'1\.2\.3' is not an IP address/);
  assert.ok(traceInputProblems({ url: '/', source: 'nas.local', http: true }).source);
  assert.ok(traceInputProblems({ url: '/', source: '1::2::3', http: true }).source);
  assert.ok(traceInputProblems({ url: '/', source: '300.1.1.1', http: true }).source);
  assert.deepEqual(traceInputProblems({ url: 'anything', source: '10.0.0.1', http: false }), {}, 'a TCP frontend has no URL');
});
