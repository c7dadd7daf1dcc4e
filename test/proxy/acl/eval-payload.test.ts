import { test } from 'node:test';
import assert from 'node:assert/strict';
import { httpRequestHead, SHORT, NOT } from '../../../proxy/acl/eval-payload.ts';

const head = (s: string): number => httpRequestHead(Buffer.from(s, 'latin1'));

test('req.proto_http on raw bytes: a whole HTTP/1 request head or the HTTP/2 preface is HTTP', () => {
  assert.equal(head('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 0);
  assert.equal(head('POST /a?b=c HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello'), 0);
  assert.equal(head('GET / HTTP/1.1\n\n'), 0);
  assert.equal(head('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), 0);
});

test('req.proto_http on raw bytes: the start of a head may still become one; anything else never will', () => {
  for (const start of ['', 'G', 'GET', 'GET /', 'GET / HT', 'GET / HTTP/1.1', 'GET / HTTP/1.1\r\n', 'GET / HTTP/1.1\r\nHost: x\r\n', 'GET / HTTP/1.1\r\nHost: x\r\n\r', 'PRI * HTTP/2']) {
    assert.equal(head(start), SHORT, JSON.stringify(start));
  }
  for (const other of ['HELLO WORLD\r\n\r\n', '\x16\x03\x01\x02\x00', 'GET / FTP/1.0\r\n', 'GET  / HTTP/1.1\r\n', 'G(T / HTTP/1.1\r\n', 'GET / HTTP/1.1\r\nno colon\r\n\r\n', 'GET / HTTP/1.1\r\n: empty name\r\n\r\n', 'PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n']) {
    assert.equal(head(other), NOT, JSON.stringify(other));
  }
});
