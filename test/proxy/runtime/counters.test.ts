/**
 * StatCounters' state history: the last change (HAProxy's last_change, `show stat` lastchg) moves
 * when the server's state does, not when its checks count towards the next one ("UP 2/3").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatCounters } from '../../../proxy/runtime/counters.ts';

test('the last change moves with UP, DOWN, MAINT, not with the health count of UP 2/3 or DOWN 1/2', () => {
  const c = new StatCounters();
  c.noteStatus('UP 1/3', true, 1_000);
  const started = c.lastChange;
  // Rising to full health, then a failed check and back: the state stays UP (HAProxy keeps last_change).
  assert.equal(c.noteStatus('UP', true, 2_000), true, 'the label changed (the UI timeline sees it)');
  c.noteStatus('UP 2/3', true, 3_000);
  c.noteStatus('UP', true, 4_000);
  assert.equal(c.lastChange, started);
  c.noteStatus('DOWN', false, 5_000);
  assert.equal(c.lastChange, 5_000);
  c.noteStatus('DOWN 1/2', false, 6_000);
  assert.equal(c.lastChange, 5_000);
  c.noteStatus('UP', true, 7_000);
  assert.equal(c.lastChange, 7_000);
  assert.equal(c.downtime, 2_000, 'down from 5 s to 7 s');
  c.noteStatus('MAINT', false, 8_000);
  assert.equal(c.lastChange, 8_000);
});
