import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParserPool } from '../../../proxy/runtime/parser-pool.ts';
import { REQUEST, kOnHeadersComplete, kOnMessageComplete, type HTTPParser } from '../../../proxy/runtime/llhttp.ts';

test('a parser given back is reused, reset, with the callbacks its pool set once', () => {
  let prepared = 0;
  const urls: string[] = [];
  let completed = 0;
  const pool = new ParserPool(REQUEST, 2, 0, (p: HTTPParser) => {
    prepared++;
    p[kOnHeadersComplete] = (_ma: number, _mi: number, _h: string[], _m: number, url: string) => { urls.push(url); return 0; };
    p[kOnMessageComplete] = () => { completed++; };
  });
  const a = pool.take(16384);
  // Half a request, then given back: the next taker starts from a clean state.
  assert.equal(a.execute(Buffer.from('GET /half HTTP/1.1\r\nHo')), 22);
  pool.give(a);
  assert.equal(pool.size, 1);
  const b = pool.take(16384);
  assert.equal(b, a);
  assert.equal(prepared, 1);
  b.execute(Buffer.from('GET /next HTTP/1.1\r\nHost: x\r\n\r\n'));
  assert.deepEqual(urls, ['/next']);
  assert.equal(completed, 1);
  pool.give(b);
});

test('beyond its size the pool frees what is given back', () => {
  const pool = new ParserPool(REQUEST, 1, 0, () => {});
  const a = pool.take(1024);
  const b = pool.take(1024);
  pool.give(a);
  pool.give(b);
  assert.equal(pool.size, 1);
  assert.equal(pool.take(1024), a);
});

test('parsers are taken while an AsyncLocalStorage is active, each with its own async resource', async () => {
  const { AsyncLocalStorage } = await import('node:async_hooks');
  const als = new AsyncLocalStorage<string>();
  const pool = new ParserPool(REQUEST, 2, 0, () => {});
  // AsyncLocalStorage writes its store onto the resource of every async resource created in it.
  als.run('connection A', () => {
    const a = pool.take(16384);
    const b = pool.take(16384);
    pool.give(a);
    pool.give(b);
  });
  assert.doesNotThrow(() => als.run('connection B', () => pool.give(pool.take(16384))));
  als.disable();
});
