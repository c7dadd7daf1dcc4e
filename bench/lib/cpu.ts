/** CPU time and minor page faults of a process (all its threads) from /proc/PID/stat. */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticksPerSecond: number | undefined;

function clkTck(): number {
  if (ticksPerSecond === undefined) {
    try { ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { ticksPerSecond = 100; }
  }
  return ticksPerSecond;
}

export interface CpuTimes {
  userUs: number;
  sysUs: number;
  totalUs: number;
  /** minor page faults so far (minflt): pages the kernel had to map in, e.g. for freshly allocated memory */
  minFlt: number;
}

/** utime and stime of the process (all threads), in µs (resolution one clock tick, usually 10 ms), and its minor faults. */
export function cpuTimes(pid: number): CpuTimes {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // fields after "(comm)": state is field 3; minflt is 10, utime 14, stime 15 (1-based)
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const tick = 1e6 / clkTck();
  const userUs = Number(rest[11]) * tick;
  const sysUs = Number(rest[12]) * tick;
  return { userUs, sysUs, totalUs: userUs + sysUs, minFlt: Number(rest[7]) };
}

/** utime+stime of the process, in microseconds. */
export function cpuMicros(pid: number): number {
  return cpuTimes(pid).totalUs;
}

/** Start measuring; call the returned function for CPU µs (total/user/sys) used, minor faults taken and wall µs elapsed since. */
export function cpuMeter(pid: number): () => { cpuUs: number; userUs: number; sysUs: number; minFlt: number; wallUs: number } {
  const c0 = cpuTimes(pid);
  const t0 = process.hrtime.bigint();
  return () => {
    const c = cpuTimes(pid);
    return { cpuUs: c.totalUs - c0.totalUs, userUs: c.userUs - c0.userUs, sysUs: c.sysUs - c0.sysUs, minFlt: c.minFlt - c0.minFlt,
      wallUs: Number(process.hrtime.bigint() - t0) / 1000 };
  };
}

/** Busy (non-idle, non-iowait) time per core from /proc/stat, in µs, indexed by core number. */
export function coreBusyUs(): number[] {
  const tick = 1e6 / clkTck();
  const out: number[] = [];
  for (const line of readFileSync('/proc/stat', 'latin1').split('\n')) {
    const m = line.match(/^cpu(\d+) (.*)$/);
    if (!m) continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal ...
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    out[Number(m[1])] = (total - v[3] - v[4]) * tick;
  }
  return out;
}

/** CPU time of this process's reaped children (cutime+cstime), in µs: measures wrk after it exits. */
export function reapedChildrenUs(): number {
  const stat = readFileSync('/proc/self/stat', 'latin1');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(rest[13]) + Number(rest[14])) * 1e6) / clkTck();
}

/**
 * The machine may be shared (other sessions running test suites). Wait until
 * the given cores have been (almost) idle for one `sliceMs` slice — i.e.
 * nothing else runs, since our own children are idle between runs — or
 * until `maxWaitMs` passes. Returns the last slice's busy % (of one core, summed over the cores).
 */
export async function waitForQuiet(cores = [0, 1], thresholdPct = 10, maxWaitMs = 30_000, sliceMs = 500): Promise<number> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const b0 = coreBusyUs();
    await new Promise((r) => setTimeout(r, sliceMs));
    const b1 = coreBusyUs();
    let busy = 0;
    for (const c of cores) busy += (b1[c] ?? 0) - (b0[c] ?? 0);
    const pct = (100 * busy) / (sliceMs * 1000);
    if (pct <= thresholdPct || Date.now() >= deadline) return pct;
  }
}
