import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBackend, parseConfig } from '../../../proxy/config/index.ts';
import { HealthState } from '../../../proxy/checks/state.ts';
import { Ring, transitionMessage, checkStatusText } from '../../../proxy/checks/events.ts';
import { checkSettings, checkTimings } from '../../../proxy/checks/settings.ts';

const timings = { inter: 2000, fastinter: 500, downinter: 5000, rise: 2, fall: 3 };

test('a server starts UP with health at rise, so the first failure marks it DOWN (as HAProxy does)', () => {
  const s = new HealthState(timings);
  assert.equal(s.label(), 'UP 1/3');
  assert.equal(s.usable, true);
  assert.equal(s.record('failed'), 'DOWN');
  assert.equal(s.label(), 'DOWN');
  assert.equal(s.usable, false);
});

test('a settled UP server goes through UP 2/3 and UP 1/3 before DOWN after fall failures', () => {
  const s = new HealthState(timings);
  assert.equal(s.record('passed'), undefined);
  assert.equal(s.label(), 'UP');
  assert.equal(s.record('failed'), undefined);
  assert.equal(s.label(), 'UP 2/3');
  assert.equal(s.record('failed'), undefined);
  assert.equal(s.label(), 'UP 1/3');
  assert.equal(s.record('failed'), 'DOWN');
  assert.equal(s.label(), 'DOWN');
});

test('a success in the middle of going down restores the full count', () => {
  const s = new HealthState(timings);
  s.record('passed');
  s.record('failed');
  s.record('failed');
  s.record('passed');
  assert.equal(s.label(), 'UP');
});

test('a DOWN server comes UP after rise successes, showing DOWN 1/2 on the way', () => {
  const s = new HealthState(timings);
  s.record('failed');
  assert.equal(s.record('passed'), undefined);
  assert.equal(s.label(), 'DOWN 1/2');
  assert.equal(s.record('passed'), 'UP');
  assert.equal(s.label(), 'UP');
});

test('a conditional pass (404 with disable-on-404) puts an UP server in NOLB, a pass brings it back', () => {
  const s = new HealthState(timings);
  s.record('passed');
  assert.equal(s.record('condpass'), 'NOLB');
  assert.equal(s.label(), 'NOLB');
  assert.equal(s.usable, false);
  assert.equal(s.record('passed'), 'UP');
  assert.equal(s.usable, true);
});

test('intervals: inter when settled, fastinter in transition, downinter when fully down', () => {
  const s = new HealthState(timings);
  assert.equal(s.interval(), 500); // health = rise, not yet full
  s.record('passed');
  assert.equal(s.interval(), 2000);
  s.record('failed');
  assert.equal(s.interval(), 500);
  s.record('failed');
  s.record('failed');
  assert.equal(s.interval(), 5000);
  s.record('passed');
  assert.equal(s.interval(), 500);
});

test('a disabled server is in MAINT', () => {
  const s = new HealthState(timings, true);
  assert.equal(s.label(), 'MAINT');
  assert.equal(s.usable, false);
});

test('the ring keeps the newest entries in order', () => {
  const r = new Ring<number>(3);
  for (let i = 1; i <= 7; i++) r.push(i);
  assert.deepEqual(r.toArray(), [5, 6, 7]);
  assert.equal(r.last(), 7);
  assert.equal(r.length, 3);
});

test('state-change messages use HAProxy wording', () => {
  const down = transitionMessage({
    backend: 'app', server: 'a1', backup: false, to: 'DOWN',
    result: { code: 'L4CON', time: 0, durationMs: 0, info: 'Connection refused' },
    counts: { active: 1, backup: 0 }, sessions: 0, requeued: 0, queued: 0,
  });
  assert.equal(down, 'Server app/a1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.');
  const up = transitionMessage({
    backend: 'app', server: 'a1', backup: false, to: 'UP',
    result: { code: 'L7OK', time: 0, durationMs: 1, info: '', status: 200 },
    counts: { active: 2, backup: 0 }, sessions: 0, requeued: 0, queued: 0,
  });
  assert.equal(up, 'Server app/a1 is UP, reason: Layer7 check passed, code: 200, check duration: 1ms. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.');
  assert.equal(checkStatusText({ code: 'L4TOUT', time: 0, durationMs: 7, info: '' }), ', reason: Layer4 timeout, check duration: 7ms');
});

test('the seed configuration gets HAProxy default timings, and inter 2s fall 3 rise 2 parses to them', () => {
  const seed = fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scenarios/seed/seed-1-roundrobin.cfg'), 'utf8');
  const text = seed.replace('server webserver1 192.168.1.10:80 check', 'server webserver1 192.168.1.10:80 check inter 2s fall 3 rise 2');
  for (const t of [seed, text]) {
    const r = parseConfig([{ name: 'seed.cfg', text: t }]);
    assert.ok(r.ok);
    const backend = findBackend(r.config, 'http_backend')!;
    const server = backend.servers.find((s) => s.name === 'webserver1')!;
    assert.deepEqual(checkTimings(server), { inter: 2000, fastinter: 2000, downinter: 2000, rise: 2, fall: 3 });
    const settings = checkSettings(backend, server);
    assert.equal(settings.kind, 'tcp');
    assert.deepEqual({ host: settings.target.host, port: settings.target.port }, { host: '192.168.1.10', port: 80 });
  }
});

test('check port and addr, timeout check, and option httpchk pick the target and probe', () => {
  const r = parseConfig([{ name: 't.cfg', text: `defaults
    mode http
    timeout connect 1s
    timeout check 300ms
backend app
    option httpchk GET /health
    server a 10.0.0.1:80 check port 8080 addr 127.0.0.2 inter 5s fastinter 1s downinter 10s
` }]);
  assert.ok(r.ok);
  const backend = findBackend(r.config, 'app')!;
  const s = checkSettings(backend, backend.servers[0]!);
  assert.equal(s.kind, 'http');
  assert.deepEqual(s.target, { host: '127.0.0.2', port: 8080, connectTimeout: 1000, readTimeout: 300 });
  assert.deepEqual(s.timings, { inter: 5000, fastinter: 1000, downinter: 10000, rise: 2, fall: 3 });
});
