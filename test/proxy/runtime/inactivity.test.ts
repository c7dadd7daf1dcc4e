import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { InactivitySweep, SocketInactivity, type InactivityWatched } from '../../../proxy/runtime/inactivity.ts';
import { waitFor } from '../../helpers/net.ts';

/** A watched connection over a fake socket whose byte counters the test moves. */
function watched(clock: { now: number }): InactivityWatched & { fired: number[]; bytes: { read: number; written: number } } {
  const bytes = { read: 0, written: 0 };
  const socket = { get bytesRead() { return bytes.read; }, get bytesWritten() { return bytes.written; } } as unknown as net.Socket;
  const fired: number[] = [];
  return { socket, bytes, fired, inactivityMark: 0, inactiveSince: 0, onInactive() { fired.push(clock.now); } };
}

/**
 * A sweep on a clock the test moves, swept once per step as its interval would: the test
 * decides what time it is, so a loaded machine cannot delay or reorder anything.
 */
function sweepOnTestClock(ms: number) {
  const clock = { now: 1_000 };
  const sweep = new InactivitySweep(ms, () => clock.now);
  const advance = (by: number) => {
    for (const end = clock.now + by; clock.now < end;) {
      clock.now = Math.min(end, clock.now + sweep.stepMs);
      sweep.sweep();
    }
  };
  return { clock, sweep, advance };
}

test('fires after the timeout without activity, never before, and once per inactive period', () => {
  const { clock, sweep, advance } = sweepOnTestClock(100);
  const w = watched(clock);
  const start = clock.now;
  sweep.add(w);
  advance(99);
  assert.equal(w.fired.length, 0, 'not before the timeout');
  advance(3 * sweep.stepMs + 10);
  assert.equal(w.fired.length, 1, 'within three steps after it');
  assert.ok(w.fired[0]! - start >= 100, `fired after ${w.fired[0]! - start} ms`);
  advance(500);
  assert.equal(w.fired.length, 1, 'not again without activity');
  sweep.delete(w);
});

test('reads and writes both count as activity and arm it again', () => {
  const { clock, sweep, advance } = sweepOnTestClock(100);
  const w = watched(clock);
  sweep.add(w);
  for (let i = 0; i < 8; i++) {
    advance(50);
    if (i % 2) w.bytes.read += 10;
    else w.bytes.written += 10;
  }
  assert.equal(w.fired.length, 0, 'active every 50 ms: still open after 400 ms');
  advance(150);
  assert.equal(w.fired.length, 1);
  w.bytes.read += 1;
  advance(150);
  assert.equal(w.fired.length, 2, 'activity after firing arms it again');
  sweep.delete(w);
});

test('a deleted connection is not fired, and the sweep stops its timer when nothing is watched', () => {
  const { clock, sweep, advance } = sweepOnTestClock(50);
  const w = watched(clock);
  sweep.add(w);
  sweep.delete(w);
  advance(150);
  assert.equal(w.fired.length, 0);
  assert.equal(sweep.size, 0);
});

test('the sweep step is a small share of the timeout, bounded', () => {
  assert.equal(new InactivitySweep(30_000).stepMs, 500);
  assert.equal(new InactivitySweep(200).stepMs, 6);
  assert.equal(new InactivitySweep(10).stepMs, 5);
});

test('a socket timeout on the shared sweeps fires once when idle, and not once stopped or lengthened', async () => {
  const idleSocket = { bytesRead: 0, bytesWritten: 0 } as unknown as net.Socket;
  const fired = { idle: 0, stopped: 0, lengthened: 0 };
  const idle = new SocketInactivity(idleSocket, () => fired.idle++);
  const stopped = new SocketInactivity(idleSocket, () => fired.stopped++);
  const lengthened = new SocketInactivity(idleSocket, () => fired.lengthened++);
  idle.set(40);
  stopped.set(40);
  stopped.set(0);
  lengthened.set(40);
  lengthened.set(60_000);
  try {
    await waitFor('the idle socket timed out', () => fired.idle === 1);
    // Well past its 40 ms and its sweep's steps: no second expiry without new activity.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(fired, { idle: 1, stopped: 0, lengthened: 0 });
  } finally {
    idle.set(0);
    lengthened.set(0);
  }
});
