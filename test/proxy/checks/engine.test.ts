import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findBackend, parseConfig } from '../../../proxy/config/index.ts';
import { RuntimeBackend } from '../../../proxy/runtime/backend.ts';
import { ServerCheck } from '../../../proxy/checks/checker.ts';
import { checkSettings } from '../../../proxy/checks/settings.ts';
import { HealthChecks } from '../../../proxy/checks/index.ts';
import { outcomeOf, type CheckResult } from '../../../proxy/checks/types.ts';
import { startEngine, startNamedServer, startRawServer, request, freePort, waitFor, frontendToApp } from '../../helpers/net.ts';

test.beforeEach(async () => {
  bindPort = await freePort();
});


let bindPort = 0;

function config(servers: string, extra = ''): string {
  return `${frontendToApp(bindPort)}backend app
${extra}${servers}`;
}

/** An HTTP server whose /health answers with `health.status`; other paths answer with its name. */
async function toggled(name: string) {
  const health = { status: 200, checks: 0, traffic: 0 };
  const server = await startNamedServer(name, (req, res) => {
    if (req.url === '/health') {
      health.checks++;
      res.statusCode = health.status;
      return res.end();
    }
    health.traffic++;
    res.end(name);
  });
  return { server, health };
}

test('an HTTP check marks a failing server DOWN within inter × fall, no request reaches it, and it comes back after rise', async (t) => {
  const a = await toggled('a');
  const b = await toggled('b');
  const inter = 100;
  const lb = await startEngine(config(
    `    server a 127.0.0.1:${a.server.port} check inter ${inter} fall 2 rise 2\n    server b 127.0.0.1:${b.server.port} check inter ${inter} fall 2 rise 2\n`,
    // A read budget of its own, so a busy machine does not time out the healthy server's checks.
    '    option httpchk GET /health\n    timeout check 1s\n'));
  try {
    const backend = lb.engine.backend('app')!;
    const sb = backend.server('b')!;
    await waitFor('b settled UP', () => sb.status === 'UP');
    b.health.status = 503;
    const detected = await waitFor('b DOWN', () => !sb.usable);
    // fall=2 checks at most one inter apart, plus up to one inter before the first failing check.
    assert.ok(detected <= inter * 2 + inter + 400, `detected after ${detected}ms`);
    t.diagnostic(`DOWN detected after ${detected}ms (inter ${inter}, fall 2)`);
    assert.equal(sb.status, 'DOWN');
    const line = lb.alerts.find((l) => l.startsWith('Server app/b is DOWN'));
    assert.match(line ?? '', /^Server app\/b is DOWN, reason: Layer7 wrong status, code: 503, info: "Service Unavailable", check duration: \d+ms\. 1 active and 0 backup servers left\. 0 sessions active, 0 requeued, 0 remaining in queue\.$/);
    const before = b.health.traffic;
    for (let i = 0; i < 10; i++) assert.equal((await request(lb.port, '/')).body, 'a');
    assert.equal(b.health.traffic, before, 'no request reached b after it was marked DOWN');
    b.health.status = 200;
    const recovered = await waitFor('b UP', () => sb.usable);
    assert.ok(recovered <= inter * 2 + inter + 400, `recovered after ${recovered}ms`);
    t.diagnostic(`UP again after ${recovered}ms (inter ${inter}, rise 2)`);
    assert.match(lb.alerts.find((l) => l.startsWith('Server app/b is UP')) ?? '', /^Server app\/b is UP, reason: Layer7 check passed, code: 200, check duration: \d+ms\. 2 active and 0 backup servers online\. 0 sessions requeued, 0 total in queue\.$/);
    const bodies = new Set<string>();
    for (let i = 0; i < 4; i++) bodies.add((await request(lb.port, '/')).body);
    assert.deepEqual([...bodies].sort(), ['a', 'b']);
    const timeline = lb.engine.healthChecks()!.find('app', 'b')!.events.toArray();
    assert.deepEqual(timeline.map((e) => e.to), ['DOWN', 'UP']);
    assert.equal(timeline[0]!.code, 'L7STS');
  } finally {
    await lb.stop();
    await a.server.close();
    await b.server.close();
  }
});

test('a refused connection marks the last server DOWN: the backend has no server and answers 503 at once', async () => {
  const a = await toggled('a');
  const port = a.server.port;
  const lb = await startEngine(config(`    server a 127.0.0.1:${port} check inter 100 fall 2 rise 2\n`));
  try {
    const sa = lb.engine.backend('app')!.server('a')!;
    await waitFor('a settled', () => sa.status === 'UP');
    await a.server.close();
    await waitFor('a DOWN', () => !sa.usable, 3000);
    assert.ok(lb.alerts.some((l) => /^Server app\/a is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: \d+ms\. 0 active and 0 backup servers left\./.test(l)), lb.alerts.join('\n'));
    assert.ok(lb.alerts.includes("backend 'app' has no server available!"));
    const started = Date.now();
    assert.equal((await request(lb.port, '/')).status, 503);
    assert.ok(Date.now() - started < 1000);
  } finally {
    await lb.stop();
  }
});

test('a server that accepts and never answers is DOWN by L7TOUT within timeout check', async () => {
  const hang = await startRawServer(() => {});
  const lb = await startEngine(config(`    server h 127.0.0.1:${hang.port} check inter 100 fall 1 rise 1\n`, '    option httpchk\n    timeout check 80ms\n'));
  try {
    const sh = lb.engine.backend('app')!.server('h')!;
    await waitFor('h DOWN', () => !sh.usable, 3000);
    const check = lb.engine.healthChecks()!.find('app', 'h')!;
    const last = check.results.last()!;
    assert.equal(last.code, 'L7TOUT');
    assert.ok(last.durationMs >= 60 && last.durationMs < 1000, `duration ${last.durationMs}`);
  } finally {
    await lb.stop();
    await hang.close();
  }
});

test('fastinter applies while going down and downinter while down (checks counted per window)', async () => {
  const a = await toggled('a');
  const lb = await startEngine(config(`    server a 127.0.0.1:${a.server.port} check inter 1000 fastinter 40 downinter 1000 fall 6 rise 2\n`, '    option httpchk GET /health\n'));
  try {
    const sa = lb.engine.backend('app')!.server('a')!;
    await waitFor('a settled', () => sa.status === 'UP', 3000);
    a.health.status = 500;
    await waitFor('a going down', () => sa.status.startsWith('UP '), 3000);
    const firstFailure = Date.now();
    await waitFor('a DOWN', () => !sa.usable, 3000);
    // Five more failures at fastinter (40ms), not inter (1000ms).
    assert.ok(Date.now() - firstFailure < 900, `took ${Date.now() - firstFailure}ms`);
    const atDown = a.health.checks;
    await new Promise((r) => setTimeout(r, 500));
    // Fully down: downinter 1000 → at most one more check in half a second.
    assert.ok(a.health.checks - atDown <= 1, `${a.health.checks - atDown} checks while down`);
  } finally {
    await lb.stop();
    await a.server.close();
  }
});

test('downinter shortens the interval of a DOWN server', async () => {
  const a = await toggled('a');
  a.health.status = 500;
  const lb = await startEngine(config(`    server a 127.0.0.1:${a.server.port} check inter 1000 fastinter 30 downinter 50 fall 1 rise 20\n`, '    option httpchk GET /health\n'));
  try {
    const sa = lb.engine.backend('app')!.server('a')!;
    await waitFor('a DOWN', () => !sa.usable, 3000);
    const at = a.health.checks;
    await new Promise((r) => setTimeout(r, 500));
    const n = a.health.checks - at;
    assert.ok(n >= 4 && n <= 15, `${n} checks in 500ms with downinter 50`);
  } finally {
    await lb.stop();
    await a.server.close();
  }
});

test('http-check disable-on-404 puts a server in NOLB: no new traffic, not DOWN, back UP on 200', async () => {
  const a = await toggled('a');
  const b = await toggled('b');
  const lb = await startEngine(config(
    `    server a 127.0.0.1:${a.server.port} check inter 50 rise 1 fall 2\n    server b 127.0.0.1:${b.server.port} check inter 50 rise 1 fall 2\n`,
    '    option httpchk GET /health\n    http-check disable-on-404\n'));
  try {
    const sb = lb.engine.backend('app')!.server('b')!;
    await waitFor('b UP', () => sb.status === 'UP');
    b.health.status = 404;
    await waitFor('b NOLB', () => sb.status === 'NOLB');
    assert.equal(sb.usable, false);
    assert.ok(lb.alerts.some((l) => l.startsWith('Server app/b is stopping, reason: Layer7 check conditionally passed, code: 404')), lb.alerts.join('\n'));
    const before = b.health.traffic;
    for (let i = 0; i < 6; i++) assert.equal((await request(lb.port, '/')).body, 'a');
    assert.equal(b.health.traffic, before);
    b.health.status = 200;
    await waitFor('b UP again', () => sb.usable);
    assert.equal(sb.status, 'UP');
  } finally {
    await lb.stop();
    await a.server.close();
    await b.server.close();
  }
});

test('a reload keeps the health of servers that still exist', async () => {
  const a = await toggled('a');
  const b = await toggled('b');
  b.health.status = 500;
  const servers = `    server a 127.0.0.1:${a.server.port} check inter 100 fall 1 rise 3\n    server b 127.0.0.1:${b.server.port} check inter 100 fall 1 rise 3\n`;
  const text = config(servers, '    option httpchk GET /health\n');
  const lb = await startEngine(text);
  try {
    await waitFor('b DOWN', () => !lb.engine.backend('app')!.server('b')!.usable);
    const r = parseConfig([{ name: 't.cfg', text: text }]);
    assert.ok(r.ok);
    await lb.engine.reload(r.config);
    const nb = lb.engine.backend('app')!.server('b')!;
    assert.equal(nb.usable, false, 'still DOWN right after the reload');
    assert.equal(nb.status, 'DOWN');
    assert.equal(lb.engine.healthChecks()!.find('app', 'b')!.events.toArray()[0]?.to, 'DOWN');
    for (let i = 0; i < 4; i++) assert.equal((await request(lb.port, '/')).body, 'a');
  } finally {
    await lb.stop();
    await a.server.close();
    await b.server.close();
  }
});

test('a reload that moves a DOWN server to a live address makes it usable at once, as a new server, and its timeline says why', async () => {
  const live = await toggled('b');
  const closed = await freePort();
  const at = (port: number) => config(`    server b 127.0.0.1:${port} check inter 100 fall 1 rise 3\n`, '    option httpchk GET /health\n');
  const lb = await startEngine(at(closed));
  try {
    await waitFor('b DOWN at the closed port', () => lb.engine.backend('app')!.server('b')!.status === 'DOWN');
    assert.equal((await request(lb.port, '/')).status, 503);
    const r = parseConfig([{ name: 't.cfg', text: at(live.server.port) }]);
    assert.ok(r.ok);
    await lb.engine.reload(r.config);
    const b = lb.engine.backend('app')!.server('b')!;
    // No wait for rise (3) checks: HAProxy starts a new server UP, to be confirmed by its checks.
    assert.equal(b.usable, true, 'usable right after the reload');
    assert.equal(b.status, 'UP');
    assert.equal((await request(lb.port, '/')).body, 'b');
    const events = lb.engine.healthChecks()!.find('app', 'b')!.events.toArray();
    assert.ok(events.some((e) => e.to === 'DOWN'), 'the DOWN at the old address stays in the timeline');
    const moved = events.at(-1)!;
    assert.equal(moved.from, 'DOWN');
    assert.equal(moved.to, 'UP');
    assert.equal(moved.code, undefined);
    assert.equal(moved.reason, `Server app/b moved by a reload from 127.0.0.1:${closed} to 127.0.0.1:${live.server.port}: its health starts over as a new server's.`);
  } finally {
    await lb.stop();
    await live.server.close();
  }
});

test('a reload that moves an UP server to a closed port does not keep its old health: one failed check marks it DOWN, as a new server', async () => {
  const a = await toggled('a');
  const b = await toggled('b');
  const closed = await freePort();
  const servers = (bPort: number) => `    server a 127.0.0.1:${a.server.port} check inter 100 fall 3 rise 2\n    server b 127.0.0.1:${bPort} check inter 100 fall 3 rise 2\n`;
  const lb = await startEngine(config(servers(b.server.port)));
  try {
    const check = () => lb.engine.healthChecks()!.find('app', 'b')!;
    await waitFor('b settled UP (full health)', () => check().state.health === 4 && check().results.length > 0);
    const r = parseConfig([{ name: 't.cfg', text: config(servers(closed)) }]);
    assert.ok(r.ok);
    const reloadedAt = Date.now();
    await lb.engine.reload(r.config);
    const moved = check();
    const sb = lb.engine.backend('app')!.server('b')!;
    // A new server's start (UP at health=rise, "going down"), not the full health earned at the old port.
    assert.equal(moved.state.health, 2);
    assert.equal(sb.status, 'UP 1/3');
    assert.equal(moved.events.toArray().at(-1)!.from, 'UP');
    assert.equal(moved.events.toArray().at(-1)!.to, 'UP 1/3');
    await waitFor('b DOWN at the closed port', () => !sb.usable);
    const down = moved.events.toArray().at(-1)!;
    assert.equal(down.to, 'DOWN');
    // Failures only: a check at the old address that ended while the reload ran is in the results too (copied at adoption).
    const failures = moved.results.toArray().filter((x) => x.time >= reloadedAt && x.time <= down.time && outcomeOf(x) === 'failed');
    assert.equal(failures.length, 1, 'DOWN at the first failed check (the old full health would have taken fall = 3)');
    for (let i = 0; i < 3; i++) assert.equal((await request(lb.port, '/')).body, 'a');
  } finally {
    await lb.stop();
    await a.server.close();
    await b.server.close();
  }
});

/** Two generations of a backend's checks, as a reload builds them (no sockets: results are applied by hand). */
function generation(servers: string): HealthChecks {
  const r = parseConfig([{ name: 't.cfg', text: config(servers) }]);
  assert.ok(r.ok);
  const proxy = findBackend(r.config, 'app')!;
  return new HealthChecks(new Map([['app', new RuntimeBackend(proxy)]]), r.config, () => {});
}

test('a reload that only moves the check port starts the health over but keeps a runtime drain', () => {
  const before = generation('    server a 127.0.0.1:1 check port 2 fall 3 rise 2\n');
  const old = before.find('app', 'a')!;
  old.apply({ code: 'L4CON', time: 1, durationMs: 0, info: 'Connection refused' });
  assert.equal(old.state.op, 'DOWN');
  old.backend.setServerAdmin(old.server, 'DRAIN');
  const after = generation('    server a 127.0.0.1:1 check port 3 fall 3 rise 2\n');
  after.adopt(before);
  const a = after.find('app', 'a')!;
  assert.equal(a.server.admin, 'DRAIN', 'the admin state follows the server by name, as in HAProxy\'s state file');
  assert.equal(a.state.op, 'UP');
  assert.equal(a.state.health, 2);
  assert.equal(a.server.usable, false, 'drained: no new traffic');
  assert.match(a.events.toArray().at(-1)!.reason, /from 127\.0\.0\.1:1 \(check 127\.0\.0\.1:2\) to 127\.0\.0\.1:1 \(check 127\.0\.0\.1:3\)/);
  assert.equal(a.count, 1, 'the check count and results stay with the server');
});

test('a reload that keeps the address keeps a server in maintenance and its health', () => {
  const before = generation('    server a 127.0.0.1:1 check fall 3 rise 2\n');
  const old = before.find('app', 'a')!;
  old.apply({ code: 'L4CON', time: 1, durationMs: 0, info: 'Connection refused' });
  old.backend.setServerAdmin(old.server, 'MAINT');
  const after = generation('    server a 127.0.0.1:1 check fall 3 rise 2 weight 5\n');
  after.adopt(before);
  const a = after.find('app', 'a')!;
  assert.equal(a.server.admin, 'MAINT');
  assert.equal(a.state.op, 'DOWN');
  assert.equal(a.events.toArray().length, old.events.toArray().length, 'no "moved" event');
});

test('the event history of a flapping server is bounded and ordered', () => {
  const r = parseConfig([{ name: 't.cfg', text: config('    server a 127.0.0.1:1 check fall 1 rise 1\n    server b 127.0.0.1:2 check\n') }]);
  assert.ok(r.ok);
  const proxy = findBackend(r.config, 'app')!;
  const backend = new RuntimeBackend(proxy);
  const lines: string[] = [];
  const check = new ServerCheck(backend, backend.server('a')!, checkSettings(proxy, proxy.servers[0]!), (m) => lines.push(m));
  let t = 1_000;
  for (let i = 0; i < 500; i++) {
    const result: CheckResult = i % 2 === 0
      ? { code: 'L4CON', time: t++, durationMs: 0, info: 'Connection refused' }
      : { code: 'L4OK', time: t++, durationMs: 0, info: '' };
    check.apply(result);
  }
  const events = check.events.toArray();
  assert.equal(events.length, 100);
  assert.equal(check.results.length, 256);
  for (let i = 1; i < events.length; i++) {
    assert.ok(events[i]!.time > events[i - 1]!.time);
    assert.equal(events[i]!.from, events[i - 1]!.to);
  }
  assert.equal(events.at(-1)!.to, 'UP');
  assert.equal(lines.filter((l) => l.includes('is DOWN')).length, 250);
});

test('slowstart: a server coming back UP starts with a fraction of its weight', () => {
  const r = parseConfig([{ name: 't.cfg', text: config('    server a 127.0.0.1:1 check fall 1 rise 1 slowstart 10s\n    server b 127.0.0.1:2 check\n') }]);
  assert.ok(r.ok);
  const proxy = findBackend(r.config, 'app')!;
  const backend = new RuntimeBackend(proxy);
  const server = backend.server('a')!;
  const check = new ServerCheck(backend, server, checkSettings(proxy, proxy.servers[0]!), () => {});
  try {
    check.apply({ code: 'L4CON', time: 1, durationMs: 0, info: 'Connection refused' });
    assert.equal(server.usable, false);
    check.apply({ code: 'L4OK', time: 2, durationMs: 0, info: '' });
    assert.equal(server.usable, true);
    assert.ok(server.warmup !== undefined && server.warmup >= 1 && server.warmup < 16, `warmup ${server.warmup}`);
  } finally {
    check.stop();
  }
});

test('a forced health is where the next checks go on from: down then two passes come UP, up then three failures go DOWN; the timeline says why', () => {
  const r = parseConfig([{ name: 't.cfg', text: config('    server a 127.0.0.1:1 check rise 2 fall 3 slowstart 10s\n    server b 127.0.0.1:2 check\n') }]);
  assert.ok(r.ok);
  const proxy = findBackend(r.config, 'app')!;
  const backend = new RuntimeBackend(proxy);
  const server = backend.server('a')!;
  const lines: string[] = [];
  const check = new ServerCheck(backend, server, checkSettings(proxy, proxy.servers[0]!), (m) => lines.push(m));
  const pass: CheckResult = { code: 'L4OK', time: 1, durationMs: 0, info: '' };
  const fail: CheckResult = { code: 'L4CON', time: 2, durationMs: 0, info: 'Connection refused' };
  const seen: string[] = [];
  try {
    check.forceHealth('DOWN', 'changed from CLI');
    seen.push(`${check.label()} ${server.usable}`);
    check.apply(pass);
    seen.push(check.label());
    check.apply(pass);
    seen.push(`${check.label()} ${server.usable} warming=${server.warmup !== undefined}`);
    check.forceHealth('NOLB', 'changed from CLI');
    seen.push(`${check.label()} ${server.usable}`);
    check.forceHealth('UP', 'changed from Web interface');
    seen.push(`${check.label()} ${server.usable}`);
    check.apply(fail);
    check.apply(fail);
    seen.push(check.label());
    check.apply(fail);
    seen.push(check.label());
    assert.deepEqual(seen, ['DOWN false', 'DOWN 1/2', 'UP true warming=true', 'NOLB false', 'UP true', 'UP 1/3', 'DOWN']);
    assert.deepEqual(check.events.toArray().map((e) => `${e.from} -> ${e.to}`), ['UP 1/3 -> DOWN', 'DOWN 1/2 -> UP', 'UP -> NOLB', 'NOLB -> UP', 'UP 1/3 -> DOWN']);
    assert.match(lines[0]!, /^Server app\/a is DOWN, changed from CLI\. 1 active and 0 backup servers left\./);
    assert.ok(lines.some((l) => l.startsWith('Server app/a is UP, changed from Web interface. ')));
  } finally {
    check.stop();
  }
});
