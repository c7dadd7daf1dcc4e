/**
 * `program` sections at run time: the same start, reload, reload and stop run by Loadstar's
 * engine and by `haproxy -W` (its master-worker mode), the programs recording the signals they
 * get; both must start, signal and report the same (pids aside). Then exit-on-failure: a program
 * that fails stops the engine unless `master-worker no-exit-on-failure`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../../proxy/engine.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import type { Config } from '../../../proxy/config/model.ts';
import { freePort, waitFor } from '../../helpers/net.ts';
import { haproxyPath, requireHaproxy } from '../../helpers/haproxy.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-programs-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

// Records its start and the signals it gets, each ending it.
const script = path.join(dir, 'prog.sh');
fs.writeFileSync(script, `#!/bin/sh
echo "$1 start" >> "$2"
trap 'echo "$1 USR1" >> "$2"; exit 0' USR1
trap 'echo "$1 TERM" >> "$2"; exit 0' TERM
while :; do sleep 0.05; done
`, { mode: 0o755 });

const configText = (port: number, events: string, programs: string, global = '    master-worker\n'): string => `global
${global}${programs.replaceAll('EVENTS', events)}defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend web
    bind 127.0.0.1:${port}
    http-request return status 200
`;
const A = `program a\n    command ${script} a EVENTS\n`;
const B = `program b\n    command ${script} b EVENTS\n    no option start-on-reload\n`;

const load = (text: string): Config => {
  const r = parseConfig([{ name: 'p.cfg', text }]);
  assert.ok(r.ok, r.diagnostics.map((d) => d.message).join('\n'));
  return r.config;
};

const lines = (file: string): string[] => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
const count = (file: string, line: string): number => lines(file).filter((l) => l === line).length;

/** The steps both run: what each program recorded after each, sorted (two programs start in either order). */
interface Run { phases: string[][]; messages: string[] }

const PHASES: Array<{ programs: string; expect: Array<[string, number]> }> = [
  { programs: A + B, expect: [['a start', 1], ['b start', 1]] },
  // Both signalled; a new a, no new b (no option start-on-reload).
  { programs: A + B, expect: [['a start', 2], ['a USR1', 1], ['b USR1', 1]] },
  { programs: A, expect: [['a start', 3], ['a USR1', 2]] },
];

async function scenario(events: string, driver: { start(text: string): Promise<void>; reload(text: string): Promise<void>; stop(): Promise<void> }, port: number): Promise<string[][]> {
  const phases: string[][] = [];
  let seen = 0;
  const phaseDone = async (expect: Array<[string, number]>): Promise<void> => {
    await waitFor(`events ${JSON.stringify(expect)}`, () => expect.every(([l, n]) => count(events, l) >= n), 10_000);
    // What else this step brings (a signal to a program that is not there any more would show here).
    await new Promise((r) => setTimeout(r, 300));
    const all = lines(events);
    phases.push(all.slice(seen).sort());
    seen = all.length;
  };
  for (const [i, phase] of PHASES.entries()) {
    const text = configText(port, events, phase.programs);
    if (i === 0) await driver.start(text);
    else await driver.reload(text);
    await phaseDone(phase.expect);
  }
  await driver.stop();
  await waitFor('a TERM', () => count(events, 'a TERM') === 1, 10_000);
  phases.push(lines(events).slice(seen).sort());
  return phases;
}

async function runLoadstar(): Promise<Run> {
  const events = path.join(dir, 'loadstar-events');
  const port = await freePort();
  const messages: string[] = [];
  let engine: Engine | undefined;
  const phases = await scenario(events, {
    start: async (text) => {
      engine = new Engine(load(text), { sink: { traffic: () => {}, alert: (m) => messages.push(`ALERT ${m}`), notice: (m, level) => messages.push(`${level} ${m}`) } });
      await engine.start();
    },
    reload: (text) => engine!.reload(load(text)),
    stop: () => engine!.stop(1000),
  }, port);
  await waitFor('the last exit reported', () => messages.some((m) => m.startsWith('ALERT Current program')), 5000);
  return { phases, messages };
}

async function runHaproxy(): Promise<Run> {
  const events = path.join(dir, 'haproxy-events');
  const port = await freePort();
  const cfg = path.join(dir, 'haproxy.cfg');
  let output = '';
  let master: ReturnType<typeof spawn> | undefined;
  let exited: Promise<void> | undefined;
  const phases = await scenario(events, {
    start: async (text) => {
      fs.writeFileSync(cfg, text);
      master = spawn(haproxyPath!, ['-W', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
      master.stdout!.on('data', (d: Buffer) => (output += d));
      master.stderr!.on('data', (d: Buffer) => (output += d));
      exited = new Promise((resolve) => master!.once('exit', () => resolve()));
    },
    reload: async (text) => {
      fs.writeFileSync(cfg, text);
      master!.kill('SIGUSR2');
    },
    stop: async () => {
      master!.kill('SIGTERM');
      const timer = setTimeout(() => master!.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  }, port);
  // `[NOTICE]   (1234) : New program 'a' (1235) forked` → `NOTICE New program 'a' (1235) forked`
  const messages = output.split('\n').flatMap((l) => {
    const m = /^\[(\w+)\]\s+\(\d+\) : (.*program '.*)$/.exec(l);
    return m ? [`${m[1]} ${m[2]}`] : [];
  });
  return { phases, messages };
}

/** Program messages with their pids as PID, sorted (start order between programs is not fixed). */
const shape = (messages: string[]): string[] => messages.filter((m) => m.includes("program '")).map((m) => m.replace(/\(\d+\)/g, '(PID)')).sort();

test('programs start, get SIGUSR1 on each reload (a new instance unless no option start-on-reload) and SIGTERM on stop, as under haproxy -W', async (t) => {
  const loadstar = await runLoadstar();
  assert.deepEqual(loadstar.phases, [
    ['a start', 'b start'],
    ['a USR1', 'a start', 'b USR1'],
    ['a USR1', 'a start'],
    ['a TERM'],
  ]);
  assert.deepEqual(shape(loadstar.messages), [
    "ALERT Current program 'a' (PID) exited with code 0 (Exit)",
    "NOTICE New program 'a' (PID) forked",
    "NOTICE New program 'a' (PID) forked",
    "NOTICE New program 'a' (PID) forked",
    "NOTICE New program 'b' (PID) forked",
    "WARNING Former program 'a' (PID) exited with code 0 (Exit)",
    "WARNING Former program 'a' (PID) exited with code 0 (Exit)",
    "WARNING Former program 'b' (PID) exited with code 0 (Exit)",
  ]);
  if (!requireHaproxy(t)) return;
  const haproxy = await runHaproxy();
  assert.deepEqual(loadstar.phases, haproxy.phases);
  assert.deepEqual(shape(loadstar.messages), shape(haproxy.messages));
});

async function failingProgram(global: string): Promise<{ engine: Engine; events: string; alerts: string[] }> {
  const events = path.join(dir, `fail-events-${global.length}`);
  const alerts: string[] = [];
  const text = configText(await freePort(), events, `${A}program fails\n    command /bin/sh -c "sleep 0.3; exit 3"\n`, global);
  const engine = new Engine(load(text), { sink: { traffic: () => {}, alert: (m) => alerts.push(m) } });
  await engine.start();
  return { engine, events, alerts };
}

test('a program that fails stops the engine (exit-on-failure): the other programs get SIGTERM, the listener closes, the lifecycle says why', async () => {
  const { engine, events, alerts } = await failingProgram('    master-worker\n');
  await waitFor('the engine failed', () => engine.lifecycle().state === 'failed', 10_000);
  assert.equal(engine.lifecycle().lastError?.code, 'LS_ERR_ENG_PROGRAM');
  assert.match(engine.lifecycle().lastError!.message, /program 'fails' exited with code 3/);
  await waitFor('a TERM', () => count(events, 'a TERM') === 1, 10_000);
  assert.ok(engine.listenerStatus().every((l) => l.listening === undefined), 'nothing listens any more');
  assert.ok(alerts.some((m) => /^Current program 'fails' \(\d+\) exited with code 3 \(Exit\)$/.test(m)), alerts.join('\n'));
  assert.ok(alerts.includes('exit-on-failure: killing every processes with SIGTERM'), alerts.join('\n'));
});

test('with master-worker no-exit-on-failure a failed program is reported and the engine keeps running', async () => {
  const { engine, events, alerts } = await failingProgram('    master-worker no-exit-on-failure\n');
  await waitFor('the failure reported', () => alerts.some((m) => m.startsWith("Current program 'fails'")), 10_000);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(engine.lifecycle().state, 'running');
  assert.ok(!alerts.includes('exit-on-failure: killing every processes with SIGTERM'));
  await engine.stop(1000);
  await waitFor('a TERM', () => count(events, 'a TERM') === 1, 10_000);
});

test('a command that cannot be executed is reported with the reason and is a failure', async () => {
  const alerts: string[] = [];
  const text = configText(await freePort(), '', 'program missing\n    command /nonexistent/loadstar-program\n');
  const engine = new Engine(load(text), { sink: { traffic: () => {}, alert: (m) => alerts.push(m) } });
  await engine.start();
  await waitFor('the engine failed', () => engine.lifecycle().state === 'failed', 10_000);
  assert.ok(alerts.includes('Cannot execute /nonexistent/loadstar-program: No such file or directory'), alerts.join('\n'));
  assert.ok(alerts.some((m) => /^Current program 'missing' \(-?\d+\) exited with code 1 \(Exit\)$/.test(m)), alerts.join('\n'));
});
