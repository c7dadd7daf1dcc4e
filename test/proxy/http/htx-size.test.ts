/** htx-size.ts: what HAProxy's H1 mux leaves of a Connection header counts, the rest of a head as it is. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { htxFieldsSize, htxHeadSize, htxSizeOfAnswer } from '../../../proxy/http/htx-size.ts';

test('a Connection header of close or keep-alive alone counts nothing, in any case and with spaces', () => {
  for (const value of ['keep-alive', 'close', 'Keep-Alive', ' CLOSE ', ''])
    assert.equal(htxFieldsSize(['Connection', value]), 0, JSON.stringify(value));
});

test('other Connection tokens count as the mux joins them', () => {
  assert.equal(htxFieldsSize(['connection', 'Upgrade']), 10 + 'Upgrade'.length);
  assert.equal(htxFieldsSize(['connection', ' upgrade ']), 10 + 'upgrade'.length);
  assert.equal(htxFieldsSize(['connection', 'keep-alive, Upgrade']), 10 + 'Upgrade'.length);
  assert.equal(htxFieldsSize(['connection', 'x-a,close , x-b']), 10 + 'x-a, x-b'.length);
  assert.equal(htxFieldsSize(['connection', 'close, keep-alive']), 0);
});

test('a head counts its start line parts, fields and the end of headers', () => {
  // 20 (start line) + "GET" "/" "HTTP/1.1" + host: a + 1
  assert.equal(htxHeadSize('GET', '/', 'HTTP/1.1', ['host', 'a', 'Connection', 'keep-alive']), 20 + 3 + 1 + 8 + 5 + 1);
});

test("a 204 reply counts the content-length HAProxy's reply carries until its H1 mux drops it (haproxy 2.6.12 logs 57 bytes)", () => {
  assert.equal(htxSizeOfAnswer(Buffer.from('HTTP/1.1 204 No Content\r\n\r\n')), 57);
  assert.equal(htxSizeOfAnswer(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n')), 57 - 'No Content'.length + 'OK'.length);
});
