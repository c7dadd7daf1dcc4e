import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { ErrorSnapshots, headEnd, lastMessageStart } from '../../../proxy/runtime/error-snapshots.ts';
import { REQUEST } from '../../../proxy/runtime/llhttp.ts';

const read = Buffer.from('GET /a HTTP/1.1\r\nhost: a\r\n\r\nPOST /b HTTP/1.1\r\ncontent-length: 2\r\n\r\nokGET / HTTP/1.1\r\nBad Header: x\r\n\r\n', 'latin1');
const bad = read.indexOf('GET / ');

test('the last request to begin before the error is found in a read of pipelined requests', () => {
  assert.equal(lastMessageStart(read, read.indexOf('Bad ') + 3, REQUEST, 0, 16384), bad);
  // An error inside the second request: that one.
  assert.equal(lastMessageStart(read, read.indexOf('content-length'), REQUEST, 0, 16384), read.indexOf('POST'));
});

test('a read that does not begin at a request gives 0 (the whole read is kept)', () => {
  const tail = read.subarray(read.indexOf('content-length'));
  assert.equal(lastMessageStart(tail, tail.indexOf('Bad ') + 3, REQUEST, 0, 16384), 0);
});

test('each capture takes the next event number; one snapshot per proxy and direction, the last kept', () => {
  const store = new ErrorSnapshots(16384);
  store.captureRequest('fe', undefined, undefined, { read, start: 0, errorAt: 5 });
  store.captureResponse('be', 'fe', { name: 's1', id: 3 }, undefined, { read, start: 0, errorAt: 1 });
  store.captureRequest('fe', 'be', undefined, { read, start: bad, errorAt: read.indexOf('Bad ') + 3 });
  assert.equal(store.total, 3);
  const req = store.request('fe')!;
  assert.equal(req.event, 2);
  assert.equal(req.otherEnd, 'be');
  assert.equal(req.bytes.toString('latin1'), 'GET / HTTP/1.1\r\nBad Header: x\r\n\r\n');
  assert.equal(req.errorAt, 19);
  assert.equal(req.offset, bad);
  assert.deepEqual(store.response('be')!.server, { name: 's1', id: 3 });
  assert.equal(store.response('be')!.event, 1);
  assert.equal(store.request('be'), undefined);
});

test('a capture keeps a copy of at most tune.bufsize − 64 bytes (what HAProxy reads into its buffer), the error at most at their end', () => {
  const store = new ErrorSnapshots(80);
  const bytes = Buffer.from('x'.repeat(40));
  store.captureRequest('fe', undefined, undefined, { read: bytes, start: 4, errorAt: 14 });
  const es = store.request('fe')!;
  assert.equal(es.bytes.length, 16);
  assert.equal(es.errorAt, 10);
  bytes.fill(0x79);
  assert.equal(es.bytes.toString(), 'x'.repeat(16));
  store.captureRequest('fe', undefined, undefined, { read: bytes, start: 4, errorAt: 30 });
  assert.equal(store.request('fe')!.errorAt, 16);
});

test("a head's end is just after its empty line, CRLF or bare LF, whichever comes first", () => {
  assert.equal(headEnd(Buffer.from('HTTP/1.1 200 OK\r\nA: b\r\n\r\nxx')), 25);
  assert.equal(headEnd(Buffer.from('HTTP/1.1 200 OK\nA: b\n\nxx\r\n\r\n')), 22);
  assert.equal(headEnd(Buffer.from('HTTP/1.1 200 OK\r\nA: b\r\n')), 23);
});

test('a request that began more than 2 KB before its error, after others in the read, is kept with them (from the read\'s start)', () => {
  const long = Buffer.from(`GET /a HTTP/1.1\r\nhost: a\r\n\r\nGET / HTTP/1.1\r\nx: ${'y'.repeat(3000)}\r\nBad Header: x\r\n\r\n`, 'latin1');
  assert.equal(lastMessageStart(long, long.indexOf('Bad ') + 3, REQUEST, 0, 16384), 0);
  // Within the last 2 KB: found.
  const near = Buffer.from(`${'GET /a HTTP/1.1\r\nhost: a\r\n\r\n'.repeat(200)}GET / HTTP/1.1\r\nBad Header: x\r\n\r\n`, 'latin1');
  assert.equal(lastMessageStart(near, near.indexOf('Bad ') + 3, REQUEST, 0, 16384), near.lastIndexOf('GET / '));
});

test("a client on a UNIX socket is reported as haproxy's addr_to_str names it: unix, port 0", () => {
  const store = new ErrorSnapshots(16384);
  const unixClient = { remoteAddress: undefined, remotePort: undefined } as unknown as net.Socket;
  store.captureRequest('fe', undefined, unixClient, { read, start: 0, errorAt: 1 });
  assert.deepEqual(store.request('fe')!.source, { address: 'unix', port: 0 });
  const tcpClient = { remoteAddress: '::1', remotePort: 4321 } as unknown as net.Socket;
  store.captureRequest('fe', undefined, tcpClient, { read, start: 0, errorAt: 1 });
  assert.deepEqual(store.request('fe')!.source, { address: '::1', port: 4321 });
});
