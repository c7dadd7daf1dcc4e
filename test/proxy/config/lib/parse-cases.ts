/**
 * Configuration texts checked the same way against Loadstar's parser and `haproxy -c`: each is
 * valid (no alert) or not, and `message` is a line both print (an alert, or a warning when valid).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { parseConfig } from '../../../../proxy/config/index.ts';
import { requireHaproxy, haproxyCheck } from '../../../helpers/haproxy.ts';

export interface ParseCase {
  text: string;
  valid: boolean;
  message?: string;
}

export function assertLoadstarParses(cases: readonly ParseCase[]): void {
  for (const c of cases) {
    const r = parseConfig([{ name: 'd.cfg', text: c.text }]);
    const alerts = r.diagnostics.filter((d) => d.severity !== 'warning').map((d) => d.message);
    if (c.valid) assert.deepEqual(alerts, [], c.text);
    else assert.notDeepEqual(alerts, [], c.text);
    if (c.message) assert.ok(r.diagnostics.some((d) => d.message.includes(c.message!)), `${c.text}\n${r.diagnostics.map((d) => d.message).join('\n')}`);
  }
}

export function assertHaproxyParses(t: TestContext, cases: readonly ParseCase[]): void {
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-parse-cases-'));
  try {
    for (const [i, c] of cases.entries()) {
      const file = path.join(dir, `case${i}.cfg`);
      fs.writeFileSync(file, c.text);
      const r = haproxyCheck(file, dir);
      assert.equal(!r.output.includes('[ALERT]'), c.valid, `${c.text}\n${r.output}`);
      if (c.message) assert.ok(r.output.includes(c.message), `${c.text}\n${r.output}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
