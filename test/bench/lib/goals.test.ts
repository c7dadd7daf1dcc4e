import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateGoals, goalsBlock, idleGoal, mixedLoss, type GoalCheck, type MixedResult } from '../../../bench/lib/goals.ts';
import type { Row } from '../../../bench/lib/report.ts';

const SMALL = 100;
const LARGE = 65536;

/** A benchmark row with just the figures the goals read. */
function row(id: string, size: number, reqPerSec: number, cpu: number | null, p99: number, extra: Partial<Row> = {}): Row {
  const mode = id.endsWith('tcp') || id.startsWith('D-') ? 'tcp' : 'http';
  return {
    section: `${mode} ${size === SMALL ? '100 B' : '64 KiB'}`, name: id, id, size,
    wrk: { reqPerSec, mbPerSec: (reqPerSec * size) / 1048576, p50: p99 / 3, p99, errors: 0, requests: reqPerSec * 5, seconds: 5, raw: '' },
    proxyCpuUsPerReq: cpu, proxyCpuPct: 90, proxySysPct: 50, proxyFaultsPerReq: 0.1, originCpuPct: 40, wrkCpuPct: 40, otherCpuPct: 1, attempts: 1,
    ...extra,
  };
}

/** HAProxy and node http-proxy as measured in issue #15, Loadstar at `k` × HAProxy's req/s (CPU and p99 scaled alike). */
function run(k: number): Row[] {
  return [
    row('haproxy-http', SMALL, 28700, 31, 4), row('loadstar-http', SMALL, 28700 * k, 31 / k, 4 / k), row('node-http-proxy', SMALL, 2000, 400, 40),
    row('haproxy-http', LARGE, 10700, 69, 9), row('loadstar-http', LARGE, 10700 * k, 69 / k, 9 / k), row('node-http-proxy', LARGE, 900, 900, 90),
    row('haproxy-tcp', SMALL, 27100, 28, 4), row('loadstar-tcp', SMALL, 27100 * k, 28 / k, 4 / k),
    row('haproxy-tcp', LARGE, 10000, 70, 9), row('loadstar-tcp', LARGE, 10000 * k, 70 / k, 9 / k),
  ];
}

function mixed(id: string, fresh: number, longLived: number, cpuFresh = 100, cpuLong = 100): MixedResult {
  const m = (reqPerSec: number, cpu: number): MixedResult['fresh'] => ({
    wrk: { reqPerSec, mbPerSec: reqPerSec / 16, p50: 1, p99: 2, errors: 0, requests: reqPerSec * 5, seconds: 5, raw: '' },
    proxyCpuUsPerReq: cpu, proxyFaultsPerReq: 0.5, otherCpuPct: 0,
  });
  return { id, name: id, smallSeconds: 20, fresh: m(fresh, cpuFresh), longLived: m(longLived, cpuLong) };
}

const byName = (checks: GoalCheck[], part: string): GoalCheck => {
  const found = checks.filter((c) => c.name.includes(part));
  assert.equal(found.length, 1, `exactly one goal named like '${part}': ${found.map((c) => c.name).join(' / ')}`);
  return found[0];
};

test('a run where Loadstar matches HAProxy and loses nothing in the mixed run meets every goal', () => {
  const checks = evaluateGoals(run(1), [mixed('loadstar-http', 5000, 4800), mixed('loadstar-tcp', 9000, 9000)]);
  assert.equal(checks.length, 12);
  assert.deepEqual(checks.filter((c) => c.status !== 'met').map((c) => `${c.name}: ${c.status}`), []);
  assert.equal(byName(checks, 'HTTP 100 B req/s, Loadstar ÷ node http-proxy').value, 28700 / 2000);
});

test('the issue\'s measured ratios (Loadstar at half of HAProxy) are reported as not met, with the ratio and its figures', () => {
  const checks = evaluateGoals(run(0.5), [mixed('loadstar-http', 5000, 2000), mixed('loadstar-tcp', 9000, 8500)]);
  const rps = byName(checks, 'HTTP 100 B req/s, Loadstar ÷ HAProxy');
  assert.equal(rps.status, 'NOT met');
  assert.equal(rps.value, 0.5);
  assert.equal(rps.detail, 'Loadstar 14350 vs HAProxy 28700 req/s');
  const cpu = byName(checks, 'HTTP 100 B CPU/req');
  assert.equal(cpu.status, 'NOT met');
  assert.equal(cpu.value, 2);
  assert.equal(cpu.cmp, '<=');
  // 14,350 req/s is still more than 5× node http-proxy's 2,000
  assert.equal(byName(checks, 'node http-proxy').status, 'met');
  assert.equal(byName(checks, 'HTTP 64 KiB MB/s').value, 0.5);
  assert.equal(byName(checks, 'TCP 64 KiB req/s').status, 'NOT met');
  const p99 = byName(checks, 'TCP 100 B p99');
  assert.equal(p99.value, 2);
  assert.equal(p99.status, 'NOT met');
  const httpMixed = byName(checks, 'HTTP mixed run');
  assert.equal(httpMixed.value, 60);
  assert.equal(httpMixed.status, 'NOT met');
  assert.ok(Math.abs(byName(checks, 'TCP mixed run').value! - 100 / 18) < 1e-9);
  assert.equal(byName(checks, 'TCP mixed run').status, 'met');
});

test('a ratio exactly at the target meets it, from either side', () => {
  const checks = evaluateGoals(run(0.8));
  assert.equal(byName(checks, 'HTTP 100 B req/s, Loadstar ÷ HAProxy').status, 'met');
  assert.equal(byName(checks, 'HTTP 64 KiB MB/s').status, 'met');
  assert.equal(byName(checks, 'TCP 100 B req/s').status, 'NOT met');
  assert.equal(byName(checks, 'HTTP 100 B CPU/req').value, 1.25);
  assert.equal(byName(checks, 'HTTP 100 B CPU/req').status, 'met');
});

test('a missing, failed or CPU-less row makes its goals "not measured", never met', () => {
  const rows = run(1).filter((r) => r.id !== 'node-http-proxy' && !(r.id === 'haproxy-tcp' && r.size === LARGE));
  rows.push(row('haproxy-tcp', LARGE, NaN, null, NaN, { error: 'exited (code 1)' }));
  rows.find((r) => r.id === 'loadstar-http' && r.size === SMALL)!.proxyCpuUsPerReq = null;
  const checks = evaluateGoals(rows);
  const nodeRatio = byName(checks, 'node http-proxy');
  assert.equal(nodeRatio.status, 'not measured');
  assert.equal(nodeRatio.value, null);
  assert.match(nodeRatio.detail, /no result for node-http-proxy/);
  assert.equal(byName(checks, 'TCP 64 KiB req/s').status, 'not measured');
  assert.equal(byName(checks, 'TCP 64 KiB p99').status, 'not measured');
  assert.equal(byName(checks, 'HTTP 100 B CPU/req').status, 'not measured');
  assert.equal(byName(checks, 'HTTP mixed run').status, 'not measured');
  assert.equal(byName(checks, 'HTTP mixed run').detail, 'mixed run not made');
  assert.equal(byName(checks, 'HTTP 100 B req/s, Loadstar ÷ HAProxy').status, 'met');
});

test('a ratio from a row during which other processes used more than 10 % of a core says it was disturbed', () => {
  const rows = run(1);
  rows.find((r) => r.id === 'haproxy-tcp' && r.size === SMALL)!.otherCpuPct = 91;
  const checks = evaluateGoals(rows, [{ ...mixed('loadstar-tcp', 9000, 9000), longLived: { ...mixed('x', 9000, 9000).longLived!, otherCpuPct: 12 } }]);
  assert.equal(byName(checks, 'TCP 100 B req/s').detail, 'Loadstar 27100 vs HAProxy 27100 req/s; DISTURBED: other processes used 91 % of a core during haproxy-tcp');
  assert.match(byName(checks, 'TCP 100 B p99').detail, /DISTURBED/);
  assert.doesNotMatch(byName(checks, 'TCP 64 KiB req/s').detail, /DISTURBED/);
  assert.match(byName(checks, 'TCP mixed run').detail, /; DISTURBED: other processes used 12 % of a core during the long-lived run$/);
  assert.doesNotMatch(byName(checks, 'HTTP 100 B req/s, Loadstar ÷ HAProxy').detail, /DISTURBED/);
});

test('the mixed run loss is the long-lived process\'s drop in req/s and rise in CPU per request, against the fresh one', () => {
  assert.deepEqual(mixedLoss(mixed('x', 10000, 7500, 80, 120)), { reqPct: 25, cpuPct: 50 });
  assert.deepEqual(mixedLoss(mixed('x', 10000, 12500, 80, 60)), { reqPct: -25, cpuPct: -25 });
  const failed: MixedResult = { id: 'loadstar-tcp', name: 'x', smallSeconds: 20, fresh: mixed('x', 1, 1).fresh, longLived: null, error: 'exited (code 1)' };
  assert.deepEqual(mixedLoss(failed), { reqPct: null, cpuPct: null });
  const check = byName(evaluateGoals([], [failed]), 'TCP mixed run');
  assert.equal(check.status, 'not measured');
  assert.equal(check.detail, 'no result: exited (code 1)');
});

test('the idle-connection goal is 4 KiB per connection at 10,000, with HAProxy\'s figure beside it', () => {
  const today = idleGoal({ kibPerConn: 11, held: 10000, count: 10000, haproxyKibPerConn: 1.9 });
  assert.equal(today.status, 'NOT met');
  assert.equal(today.value, 11);
  assert.equal(today.target, 4);
  assert.equal(today.detail, '10000/10000 connections held; 2.75× the goal; HAProxy 1.90 KiB (Loadstar 5.8× HAProxy)');
  assert.equal(idleGoal({ kibPerConn: 3.5, held: 10000, count: 10000, haproxyKibPerConn: 1.9 }).status, 'met');
  assert.equal(idleGoal({ kibPerConn: 3.5, held: 9000, count: 10000, haproxyKibPerConn: 1.9 }).status, 'NOT met');
  assert.equal(idleGoal({ kibPerConn: 3.5, held: 1000, count: 1000, haproxyKibPerConn: null }).status, 'NOT met');
  assert.equal(idleGoal({ kibPerConn: null, held: 0, count: 10000, haproxyKibPerConn: 1.9 }).status, 'not measured');
  // judged on the last reading; the earlier ones are shown beside it
  const settled = idleGoal({ kibPerConn: 2.6, held: 10000, count: 10000, haproxyKibPerConn: 1.85, atS: 10, earlier: [{ atS: 5, kibPerConn: 3.98 }] });
  assert.equal(settled.status, 'met');
  assert.equal(settled.detail, '10000/10000 connections held, read after 10 s idle; 3.98 KiB after 5 s; 0.65× the goal; HAProxy 1.85 KiB (Loadstar 1.4× HAProxy)');
});

test('the goals block lists each goal with value, target and status, and counts them', () => {
  const text = goalsBlock(evaluateGoals(run(0.5)));
  assert.match(text, /^Goals \(issue #15\), from this run$/m);
  assert.match(text, /^\| HTTP 100 B req\/s, Loadstar ÷ HAProxy \| 0\.50× \| ≥ 0\.80× \| NOT met \| Loadstar 14350 vs HAProxy 28700 req\/s \|$/m);
  assert.match(text, /^\| HTTP 100 B CPU\/req, Loadstar ÷ HAProxy \| 2\.00× \| ≤ 1\.25× \| NOT met \|/m);
  assert.match(text, /^\| HTTP mixed run, 64 KiB req\/s loss vs a fresh process \| - \| ≤ 10\.0 % \| not measured \| mixed run not made \|$/m);
  assert.match(text, /^12 goals: 1 met, 9 NOT met, 2 not measured$/m);
  assert.match(goalsBlock([idleGoal({ kibPerConn: 11, held: 10000, count: 10000, haproxyKibPerConn: 1.9 })]), /\| 11\.00 KiB \| ≤ 4\.00 KiB \| NOT met \|/);
});

test('the mixed run\'s baseline is the mean of the fresh runs before and after the long-lived one, so a steady drift of the machine cancels', () => {
  // The machine slowed down steadily: 10,000 → 9,000 → 8,000 req/s, the long-lived process losing nothing of its own.
  const drifting: MixedResult = { ...mixed('loadstar-tcp', 10_000, 9_000, 50, 55), freshAfter: mixed('x', 8_000, 0, 60).fresh };
  const loss = mixedLoss(drifting);
  assert.equal(loss.reqPct, 0);
  assert.ok(Math.abs(loss.cpuPct!) < 1e-9, 'CPU per request against the mean of 50 and 60');
  const check = byName(evaluateGoals(run(1), [drifting]), 'TCP mixed run');
  assert.equal(check.status, 'met');
  assert.match(check.detail, /fresh 10,?000 \(and 8,?000 after\) vs 9,?000/);
  // Against the first fresh run alone it would have read as a 10 % loss.
  assert.ok(Math.abs(mixedLoss({ ...drifting, freshAfter: undefined }).reqPct! - 10) < 1e-9);
});
