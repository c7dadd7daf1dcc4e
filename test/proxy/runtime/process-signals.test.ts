import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { holdProcessSignals } from '../../../proxy/runtime/process-signals.ts';
import type { SignalSource, StopSignal } from '../../../proxy/runtime/process-signals.ts';

function recorder() {
  const seen: string[] = [];
  return { seen, actions: { reload: () => void seen.push('reload'), stop: (s: StopSignal) => void seen.push(`stop ${s}`) } };
}

const source = (): EventEmitter & SignalSource => new EventEmitter() as EventEmitter & SignalSource;

test('a SIGHUP that arrives before the command is ready is taken (not Node\'s default, which kills) and reloads once it is; several are one reload', () => {
  const proc = source();
  const held = holdProcessSignals(proc);
  assert.equal(proc.listenerCount('SIGHUP'), 1);
  proc.emit('SIGHUP');
  proc.emit('SIGHUP');
  const { seen, actions } = recorder();
  held.attach(actions);
  assert.deepEqual(seen, ['reload']);
  proc.emit('SIGHUP');
  assert.deepEqual(seen, ['reload', 'reload']);
});

test('a stop before the command is ready is delivered when it is, and wins over a pending reload', () => {
  const proc = source();
  const held = holdProcessSignals(proc);
  proc.emit('SIGHUP');
  proc.emit('SIGINT');
  const { seen, actions } = recorder();
  held.attach(actions);
  assert.deepEqual(seen, ['stop SIGINT']);
});

test('SIGTERM and SIGINT are taken once each, so a second one gets Node\'s default and ends a hung stop', () => {
  const proc = source();
  const held = holdProcessSignals(proc);
  const { seen, actions } = recorder();
  held.attach(actions);
  proc.emit('SIGTERM');
  assert.deepEqual(seen, ['stop SIGTERM']);
  assert.equal(proc.listenerCount('SIGTERM'), 0);
  assert.equal(proc.listenerCount('SIGINT'), 1);
});

test('released, nothing is taken any more and nothing is delivered', () => {
  const proc = source();
  const held = holdProcessSignals(proc);
  const { seen, actions } = recorder();
  held.attach(actions);
  held.release();
  for (const s of ['SIGHUP', 'SIGTERM', 'SIGINT']) assert.equal(proc.listenerCount(s), 0, s);
  proc.emit('SIGHUP');
  assert.deepEqual(seen, []);
});
