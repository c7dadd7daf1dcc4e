import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { parseAgentReply, agentWeight, agentMaxconn, readAgent, agentInfo } from '../../../proxy/checks/agent.ts';
import { parseConfig } from '../../../proxy/config/index.ts';
import { startEngine, startNamedServer, startRawServer, request, freePort, waitFor, frontendToApp } from '../../helpers/net.ts';


/** An agent on 127.0.0.1 answering `reply` + "\n" to every connection; counts connections and what it received. */
async function startAgent(reply: string) {
  const state = { reply, asked: 0, received: [] as string[] };
  const server = await startRawServer((socket: net.Socket) => {
    state.asked++;
    socket.once('data', (d: Buffer) => state.received.push(d.toString('latin1')));
    // Give agent-send a moment to arrive before answering and closing.
    setTimeout(() => socket.end(`${state.reply}\n`), 5);
  });
  return Object.assign(state, { port: server.port, close: server.close });
}

/** Waits until the agent answered `n` more times with the current reply (so its effect is applied). */
async function answered(agent: { asked: number }, n = 2): Promise<void> {
  const target = agent.asked + n;
  await waitFor(`${n} agent answers`, () => agent.asked >= target);
  await new Promise((r) => setTimeout(r, 30));
}

test('agent words: weight, admin and health words in any order, the last of a kind wins, "#" starts a description', () => {
  assert.deepEqual(parseAgentReply('50%'), { description: '', weight: '50%' });
  assert.deepEqual(parseAgentReply('UP, maxconn:30 75%\tdrain'), { description: '', health: 'UP', maxconn: '30', weight: '75%', admin: 'DRAIN' });
  assert.deepEqual(parseAgentReply('down #overloaded  now'), { description: 'overloaded  now', health: 'down' });
  assert.deepEqual(parseAgentReply('up down fail'), { description: '', health: 'fail' });
  // HAProxy only sees '#' at the start of a word: "down#overloaded" is one unknown word, not "down".
  assert.deepEqual(parseAgentReply('down#overloaded'), { description: '', error: 'down#overloaded' });
  assert.deepEqual(parseAgentReply('ready bogus maint other'), { description: '', admin: 'MAINT', error: 'bogus' });
  assert.equal(agentInfo(parseAgentReply('down #overloaded'), undefined), 'via agent : down (overloaded)');
  assert.equal(agentInfo(parseAgentReply('up bogus'), undefined), 'via agent : up (bogus)');
  assert.equal(agentInfo(parseAgentReply('stopped'), undefined), 'via agent : stopped');
});

test('agent weights are relative to the configured weight (floored, capped at 256); bad values give HAProxy warnings', () => {
  assert.equal(agentWeight('75%', 10), 7);
  assert.equal(agentWeight('200%', 10), 20);
  assert.equal(agentWeight('0%', 10), 0);
  assert.equal(agentWeight('99999%', 10), 256);
  assert.equal(agentWeight('50%x', 10), 'Trailing garbage in weight string');
  assert.equal(agentWeight('300%x', 1), 'Absolute weight can only be between 0 and 256 inclusive.\n');
  assert.equal(agentMaxconn('30'), 30);
  assert.equal(agentMaxconn('x'), 'maxconn string empty or preceded by garbage');
  assert.equal(agentMaxconn('3x'), 'Trailing garbage in maxconn string');
});

test('the agent exchange sends agent-send, reads up to CR/LF, and reports an unreachable agent or an incomplete line', async () => {
  const agent = await startAgent('50% drain\r\nignored');
  const target = (port: number) => ({ host: '127.0.0.1', port, connectTimeout: 300, readTimeout: 300 });
  try {
    const got = await readAgent({ target: target(agent.port), send: 'hello\n', inter: 300 });
    assert.equal(got.line, '50% drain');
    // The agent may answer before its 'data' event ran (a loaded machine): wait for what it received.
    await waitFor('agent-send at the agent', () => agent.received.length > 0);
    assert.deepEqual(agent.received, ['hello\n']);
  } finally {
    await agent.close();
  }
  const refused = await readAgent({ target: target(await freePort()), inter: 300 });
  assert.equal(refused.line, undefined);
  assert.equal(refused.result.code, 'L4CON');
  const partial = await startRawServer((s) => s.end('50%'));
  try {
    const got = await readAgent({ target: target(partial.port), inter: 300 });
    assert.equal(got.line, undefined);
    assert.equal(got.result.info, 'Ignoring incomplete line from agent');
  } finally {
    await partial.close();
  }
});

test('agent-addr / agent-send parse; agent-check without a port is reported', () => {
  const cfg = (server: string) => `defaults\n    mode http\nbackend app\n    ${server}\n`;
  const ok = parseConfig([{ name: 't.cfg', text: cfg('server a 127.0.0.1:80 check agent-check agent-addr 127.0.0.2 agent-port 9999 agent-send "hi\\n"') }]);
  assert.ok(ok.ok);
  const o = ok.config.proxies.find((p) => p.name === 'app')!.servers[0]!.options;
  assert.equal(o.agentAddr, '127.0.0.2');
  assert.equal(o.agentSend, 'hi\n');
  const bad = parseConfig([{ name: 't.cfg', text: cfg('server a 127.0.0.1:80 agent-addr 1.2.3.4:80') }]);
  assert.ok(!bad.ok);
  assert.match(bad.diagnostics.map((d) => d.message).join('\n'), /parsing agent-addr failed\. Check if '1\.2\.3\.4:80' is correct address\./);
});

function config(bindPort: number, servers: string): string {
  return `${frontendToApp(bindPort)}backend app
    balance roundrobin
    timeout check 5s
${servers}`;
}

async function split(port: number, n: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const body = (await request(port, '/')).body;
    seen[body] = (seen[body] ?? 0) + 1;
  }
  return seen;
}

test('a real agent sets the weight, drains, marks DOWN with a reason, and only its "up" brings the server back', async () => {
  const a = await startNamedServer('a');
  const b = await startNamedServer('b');
  const agent = await startAgent('50%');
  const lb = await startEngine(config(await freePort(),
    `    server a 127.0.0.1:${a.port} check inter 50 weight 10 agent-check agent-port ${agent.port} agent-inter 40\n` +
    `    server b 127.0.0.1:${b.port} check inter 50 weight 10\n`));
  try {
    const sa = lb.engine.backend('app')!.server('a')!;
    await waitFor('weight 50%', () => sa.weight === 5);
    // Smooth weighted round robin: over whole cycles (5 + 10) the split is exact.
    assert.deepEqual(await split(lb.port, 30), { a: 10, b: 20 });

    agent.reply = 'drain';
    await waitFor('drain', () => sa.status === 'DRAIN (agent)');
    assert.ok(lb.alerts.includes('Server app/a enters drain state. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.'), lb.alerts.join('\n'));
    assert.deepEqual(await split(lb.port, 6), { b: 6 });

    agent.reply = 'ready';
    await waitFor('ready', () => sa.status === 'UP');
    assert.ok(lb.alerts.includes('Server app/a is UP (leaving forced drain).'));
    assert.equal(sa.weight, 5, 'words the agent does not say leave their setting alone');

    agent.reply = 'down #overloaded';
    await waitFor('down', () => sa.status === 'DOWN (agent)');
    assert.match(lb.alerts.find((l) => l.startsWith('Server app/a is DOWN')) ?? '',
      /^Server app\/a is DOWN, reason: Layer7 wrong status, code: 0, info: "via agent : down \(overloaded\)", check duration: \d+ms\. 1 active and 0 backup servers left\. 0 sessions active, 0 requeued, 0 remaining in queue\.$/);
    assert.deepEqual(await split(lb.port, 4), { b: 4 });

    // The regular check keeps passing and "ready" is an admin word: neither brings it back.
    agent.reply = 'ready';
    await answered(agent, 4);
    assert.equal(sa.status, 'DOWN (agent)');
    assert.equal(sa.usable, false);

    agent.reply = 'up';
    await waitFor('up', () => sa.usable);
    assert.match(lb.alerts.find((l) => l.startsWith('Server app/a is UP,')) ?? '',
      /^Server app\/a is UP, reason: Layer7 check passed, code: 0, info: "via agent : up", check duration: \d+ms\. 2 active and 0 backup servers online\. 0 sessions requeued, 0 total in queue\.$/);

    agent.reply = 'maint';
    await waitFor('maint', () => sa.status === 'MAINT');
    assert.ok(lb.alerts.includes('Server app/a is going DOWN for maintenance. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.'));
    // The agent keeps running in maintenance, so it can end it.
    agent.reply = 'ready maxconn:3';
    await waitFor('out of maint', () => sa.usable);
    assert.ok(lb.alerts.includes('Server app/a is UP/READY (leaving forced maintenance).'));
    await waitFor('maxconn', () => sa.maxconn === 3);

    const timeline = lb.engine.healthChecks()!.find('app', 'a')!.events.toArray().map((e) => e.to);
    // Out of maintenance the server restarts at health = rise, to be confirmed by the checks (UP 1/3).
    assert.deepEqual(timeline, ['DRAIN (agent)', 'UP', 'DOWN (agent)', 'UP', 'MAINT', 'UP 1/3']);
  } finally {
    await lb.stop();
    await agent.close();
    await a.close();
    await b.close();
  }
});

test('an unreachable agent changes nothing, a DOWN from the regular check is not lifted by the agent\'s "up"', async () => {
  let healthy = true;
  const a = await startNamedServer('a', (req, res) => {
    if (req.url === '/health') res.statusCode = healthy ? 200 : 503;
    res.end('a');
  });
  const agent = await startAgent('up');
  const lb = await startEngine(config(await freePort(),
    `    option httpchk GET /health\n    server a 127.0.0.1:${a.port} check inter 40 fall 1 rise 1 agent-check agent-port ${agent.port} agent-inter 40\n`));
  try {
    const sa = lb.engine.backend('app')!.server('a')!;
    await answered(agent);
    healthy = false;
    await waitFor('check DOWN', () => sa.status === 'DOWN');
    await answered(agent, 3);
    assert.equal(sa.status, 'DOWN', 'the agent\'s "up" needs the regular check to agree');
    healthy = true;
    await waitFor('UP again', () => sa.usable);

    agent.reply = 'down';
    await waitFor('agent down', () => sa.status === 'DOWN (agent)');
    await agent.close();
    // Several agent intervals with the agent gone: it stays as the agent left it.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sa.status, 'DOWN (agent)');
    const check = lb.engine.healthChecks()!.find('app', 'a')!;
    assert.equal(check.agent!.last!.code, 'L4CON');
  } finally {
    await lb.stop();
    await a.close();
  }
});

test('a server with only agent-check shows "no check" while UP and follows its agent', async () => {
  const a = await startNamedServer('a');
  const agent = await startAgent('up');
  const lb = await startEngine(config(await freePort(), `    server a 127.0.0.1:${a.port} agent-check agent-port ${agent.port} agent-inter 40\n`));
  try {
    const sa = lb.engine.backend('app')!.server('a')!;
    await answered(agent);
    assert.equal(sa.status, 'no check');
    agent.reply = 'stopped';
    await waitFor('down', () => sa.status === 'DOWN (agent)');
    assert.equal((await request(lb.port, '/')).status, 503);
    agent.reply = 'up';
    await waitFor('up', () => sa.usable);
    assert.equal((await request(lb.port, '/')).body, 'a');
  } finally {
    await lb.stop();
    await agent.close();
    await a.close();
  }
});
