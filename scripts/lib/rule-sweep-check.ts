/**
 * Shared by the sweeps that run configuration texts through `haproxy -c` and Loadstar's parser
 * (scripts/rule-args-sweep.ts): check one text with both, compare the verdicts (and, on request, the
 * messages), print the disagreements grouped. extra-words-sweep.ts inlines the same steps
 * (firstAlert, bareMessage, the run loop, the grouped print) and placement-sweep.ts part of them:
 * both could import these instead. Not part of `npm test`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseConfig } from '../../proxy/config/index.ts';

/** HAProxy's first ALERT line without its `[ALERT] (pid) : config :` head. */
export const firstAlert = (out: string): string =>
  out.split('\n').find((l) => l.includes('[ALERT]'))?.replace(/^\[ALERT\]\s*\(\d+\)\s*:\s*/, '').replace(/^config\s*:\s*/, '') ?? '';

/** HAProxy's message without its location head, and without the '.' its wrappers sometimes double. */
export const bareMessage = (line: string): string => line.replace(/^(?:parsing )?\[[^\]]*\]\s*:?\s*/i, '').replace(/\.+$/, '').trim();

/** One configuration text to check, with what the report groups and prints it by. */
export interface SweepCase {
  /** Grouping key (a keyword, a fetch, a converter). */
  readonly key: string;
  /** The kind of change (`-arg`, `int=abc`, …). */
  readonly kind: string;
  /** The line that was changed, as printed. */
  readonly line: string;
  readonly text: string;
}

export interface SweepDiff {
  readonly c: SweepCase;
  /** Verdicts: true = accepted. */
  readonly ha: boolean;
  readonly ls: boolean;
  readonly haMsg: string;
  readonly lsMsg: string;
}

/** A scratch directory the texts are written to and `haproxy -c` runs in (files the texts name go there too). */
export function sweepDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Both verdicts on `c.text` (Loadstar reads the files it names from `dir`, as haproxy does); `differs`
 * when they differ, or (`messages`) when both refuse and no Loadstar alert contains haproxy's first
 * message (bare).
 */
export function checkBoth(c: SweepCase, dir: string, messages: boolean): SweepDiff & { differs: boolean } {
  const file = path.join(dir, 'x.cfg');
  fs.writeFileSync(file, c.text);
  const r = spawnSync('haproxy', ['-c', '-f', file], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
  const out = `${r.stdout}${r.stderr}`;
  const ha = r.status === 0 && !out.includes('[ALERT]');
  const cwd = process.cwd();
  process.chdir(dir);
  let alerts;
  try {
    alerts = parseConfig([{ name: 'x.cfg', text: c.text }]).diagnostics.filter((d) => d.severity !== 'warning');
  } finally {
    process.chdir(cwd);
  }
  const ls = alerts.length === 0;
  const haMsg = firstAlert(out);
  const want = bareMessage(haMsg);
  const differs = ha !== ls || (messages && !ha && want !== '' && !alerts.some((a) => a.message.includes(want)));
  return { c, ha, ls, haMsg, lsMsg: alerts[0]?.message ?? '', differs };
}

/** Prints the diffs, one entry per key, kind and verdict pair (every one with `all`); returns the group count. */
export function printDiffs(diffs: readonly SweepDiff[], all: boolean): number {
  const groups = new Map<string, SweepDiff[]>();
  for (const d of diffs) {
    const g = all ? `${d.c.key}|${d.c.line}` : `${d.c.key}|${d.c.kind}|${d.ha}|${d.ls}`;
    groups.set(g, [...(groups.get(g) ?? []), d]);
  }
  const sorted = [...groups.values()].sort((a, b) => a[0]!.c.key.localeCompare(b[0]!.c.key) || a[0]!.c.kind.localeCompare(b[0]!.c.kind));
  for (const g of sorted) {
    const d = g[0]!;
    const verdict = d.ha === d.ls ? 'both refuse, in other words' : `haproxy ${d.ha ? 'accepts' : 'REFUSES'}, loadstar ${d.ls ? 'accepts' : 'REFUSES'}`;
    console.log(`${d.c.key} ${d.c.kind}: ${verdict}${g.length > 1 ? ` (${g.length} lines)` : ''}`);
    console.log(`   ${d.c.line}`);
    if (d.haMsg) console.log(`   H: ${d.haMsg}`);
    if (d.lsMsg) console.log(`   L: ${d.lsMsg}`);
  }
  return groups.size;
}
