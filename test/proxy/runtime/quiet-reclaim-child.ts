/**
 * Run by quiet-reclaim.test.ts in its own process: a burst that grows V8's young
 * generation and leaves the old one mostly garbage, then quiet; prints what the
 * reclaim did as one JSON line.
 */
import v8 from 'node:v8';
import { startQuietReclaim, DEFAULT_RECLAIM_POLICY, type ReclaimStep } from '../../../proxy/runtime/quiet-reclaim.ts';

const newSpace = (): number => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;
const steps: { step: ReclaimStep; before: number; after: number }[] = [];
const reclaim = startQuietReclaim({ ...DEFAULT_RECLAIM_POLICY, checkMs: 200 }, { onStep: (step, before, after) => steps.push({ step, before, after }) });
if (!reclaim) throw new Error('no collector');

// the burst: a million objects alive at once (they survive scavenges: the young generation grows), then 90 % dropped
let live: object[] = [];
for (let i = 0; i < 1_000_000; i++) live.push({ a: i, b: `x${i}`, c: [i] });
const newSpaceAtBurst = newSpace();
const kept = live.filter((_, i) => i % 10 === 0);
live = [];

const deadline = Date.now() + 20_000;
while (!steps.some((s) => s.step === 'shrink') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
reclaim.stop();
console.log(JSON.stringify({ steps, newSpaceAtBurst, newSpaceAtEnd: newSpace(), kept: kept.length }));
