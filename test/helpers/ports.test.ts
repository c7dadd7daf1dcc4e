/**
 * freePort's picks are distinct within a process and reserved across the test run's processes
 * until the process that made them exits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports.ts';
import { TS_IMPORT } from './ts-import.ts';

const claim = (port: number) => path.join(os.tmpdir(), 'loadstar-test-ports', String(port));

test('calls made at once get different ports, each claimed for this process', async () => {
  const ports = await Promise.all(Array.from({ length: 100 }, () => freePort()));
  assert.equal(new Set(ports).size, 100);
  for (const port of ports) assert.equal(readFileSync(claim(port), 'utf8'), String(process.pid));
});

test("a process's claims end with it", () => {
  const script = `import { freePort } from ${JSON.stringify(new URL('./ports.ts', import.meta.url).href)};
const port = await freePort();
console.log(port, (await import('node:fs')).existsSync(${JSON.stringify(path.join(os.tmpdir(), 'loadstar-test-ports'))} + '/' + port));`;
  const out = execFileSync(process.execPath, ['--import', TS_IMPORT, '--input-type=module', '-e', script], { encoding: 'utf8' }).trim();
  const [port, claimedWhileAlive] = out.split(' ');
  assert.equal(claimedWhileAlive, 'true');
  assert.equal(existsSync(claim(Number(port))), false);
});
