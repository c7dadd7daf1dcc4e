/**
 * The overview's per-second numbers: a cell writes the text nodes showing
 * it straight from the tick, and only when their text changes (the DOM
 * write is what the browser then lays out again).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ObjectTick } from '../../../proxy/control/contract.ts';
import { LiveCell } from '../../../renderer/src/stores/live-cell.ts';

function tick(requests: number, hrsp: [number, number, number, number, number] = [0, requests, 0, 0, 0], current = 0): ObjectTick {
  return { id: 'server:web/s1', requests, bytesIn: 0, bytesOut: 0, hrsp, current, queue: 0, p50: 0, p95: 0, p99: 0 };
}

/** A stand-in for a DOM text node that counts its writes. */
function textNode(): { nodeValue: string | null; writes: number } {
  let value: string | null = '';
  const node = {
    writes: 0,
    get nodeValue() {
      return value;
    },
    set nodeValue(v: string | null) {
      node.writes++;
      value = v;
    },
  };
  return node;
}

const oneDecimal = (v: number) => v.toFixed(1);

test('a shown number gets its text at once and a new text with each tick that changes it', () => {
  const cell = new LiveCell();
  const node = textNode();
  cell.show(node, 'rps', oneDecimal);
  assert.equal(node.nodeValue, '0.0');
  cell.apply(tick(3));
  assert.equal(node.nodeValue, '3.0');
  assert.equal(cell.rps, 3);
  cell.apply(tick(12));
  assert.equal(node.nodeValue, '12.0');
});

test('a tick whose numbers format to the same text writes nothing to the DOM', () => {
  const cell = new LiveCell();
  const node = textNode();
  cell.show(node, 'rps', (v) => (v >= 10 ? '10+' : String(v)));
  cell.apply(tick(11));
  const writes = node.writes;
  cell.apply(tick(12));
  cell.apply(tick(12));
  assert.equal(node.nodeValue, '10+');
  assert.equal(node.writes, writes);
});

test('each view of a cell shows its own field with its own format', () => {
  const cell = new LiveCell();
  const rps = textNode();
  const errors = textNode();
  const current = textNode();
  cell.show(rps, 'rps', oneDecimal);
  cell.show(errors, 'errorRate', (f) => `${(f * 100).toFixed(1)} %`);
  cell.show(current, 'current', String);
  cell.apply(tick(4, [0, 3, 0, 0, 1], 7));
  assert.deepEqual([rps.nodeValue, errors.nodeValue, current.nodeValue], ['4.0', '25.0 %', '7']);
});

test('the error rate covers the last ten seconds, and a second without a tick counts as idle', () => {
  const cell = new LiveCell();
  cell.apply(tick(10, [0, 9, 0, 0, 1]));
  for (let s = 0; s < 8; s++) cell.idle();
  assert.equal(cell.rps, 0);
  assert.equal(cell.errorRate, 0.1);
  cell.idle();
  assert.equal(cell.errorRate, 0.1, 'the tenth second still holds the error');
  cell.idle();
  assert.equal(cell.errorRate, 0, 'eleven seconds later it is gone');
});

test('a view that was stopped (its element left the page) is written no more', () => {
  const cell = new LiveCell();
  const kept = textNode();
  const gone = textNode();
  cell.show(kept, 'rps', oneDecimal);
  const stop = cell.show(gone, 'rps', oneDecimal);
  stop();
  cell.apply(tick(5));
  assert.equal(kept.nodeValue, '5.0');
  assert.equal(gone.nodeValue, '0.0');
});
