import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { InactivitySweep, type InactivityWatched } from '../../../proxy/runtime/inactivity.ts';

/** A watched connection over a fake socket whose byte counters the test moves. */
function watched(): InactivityWatched & { fired: number[]; bytes: { read: number; written: number } } {
  const bytes = { read: 0, written: 0 };
  const socket = { get bytesRead() { return bytes.read; }, get bytesWritten() { return bytes.written; } } as unknown as net.Socket;
  const fired: number[] = [];
  return { socket, bytes, fired, inactivityMark: 0, inactiveSince: 0, onInactive() { fired.push(performance.now()); } };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('fires after the timeout without activity, never before, and once per inactive period', async () => {
  const sweep = new InactivitySweep(100);
  const w = watched();
  const start = performance.now();
  sweep.add(w);
  await sleep(60);
  assert.equal(w.fired.length, 0);
  await sleep(150);
  assert.equal(w.fired.length, 1);
  const late = w.fired[0]! - start;
  assert.ok(late >= 100, `fired after ${late} ms`);
  await sleep(250);
  assert.equal(w.fired.length, 1, 'not again without activity');
  sweep.delete(w);
});

test('reads and writes both count as activity and arm it again', async () => {
  const sweep = new InactivitySweep(100);
  const w = watched();
  sweep.add(w);
  for (let i = 0; i < 4; i++) {
    await sleep(50);
    if (i % 2) w.bytes.read += 10;
    else w.bytes.written += 10;
  }
  assert.equal(w.fired.length, 0, 'active every 50 ms: still open after 200 ms');
  await sleep(250);
  assert.equal(w.fired.length, 1);
  w.bytes.read += 1;
  await sleep(300);
  assert.equal(w.fired.length, 2, 'activity after firing arms it again');
  sweep.delete(w);
});

test('a deleted connection is not fired, and the sweep stops its timer when nothing is watched', async () => {
  const sweep = new InactivitySweep(50);
  const w = watched();
  sweep.add(w);
  sweep.delete(w);
  await sleep(150);
  assert.equal(w.fired.length, 0);
  assert.equal(sweep.size, 0);
});

test('the sweep step is a small share of the timeout, bounded', () => {
  assert.equal(new InactivitySweep(30_000).stepMs, 500);
  assert.equal(new InactivitySweep(200).stepMs, 6);
  assert.equal(new InactivitySweep(10).stepMs, 5);
});
