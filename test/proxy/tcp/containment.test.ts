/**
 * Containment in TCP mode (issue #10): an exception in Loadstar's code while it
 * accepts, connects, pipes or logs one connection closes that connection only,
 * is logged once with its stack and counted (eint); the next one is served and
 * no socket is left open on either side.
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startEngine, startRawServer, freePort, waitFor } from '../../helpers/net.ts';
import { armFault, clearFaults, pendingFaults } from '../../../proxy/runtime/faults.ts';
import type { FaultStage } from '../../../proxy/runtime/faults.ts';

afterEach(() => clearFaults());

function openSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
}

/** Connects, sends `ping`, ends its side once `echo:ping` came back; resolves with what came back when closed (bounded). */
function session(port: number): Promise<{ answer: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    const timer = setTimeout(() => { socket.destroy(); resolve({ answer, closed: false }); }, 4000);
    socket.on('data', (d: Buffer) => {
      answer += d;
      if (answer === 'echo:ping') socket.end();
    });
    socket.on('close', () => { clearTimeout(timer); resolve({ answer, closed: true }); });
    socket.on('error', () => {});
    socket.on('connect', () => socket.write('ping'));
  });
}

/** A server answering each read with `echo:` and what it read. */
function startEchoServer(): ReturnType<typeof startRawServer> {
  return startRawServer((s) => {
    s.on('data', (d: Buffer) => s.write(`echo:${d}`));
    s.on('end', () => s.end());
  });
}

const STAGES: Array<[FaultStage, string]> = [
  ['accept', ''],
  ['connect', ''],
  ['tunnel', ''],
  // The session was over when its log line failed.
  ['log', 'echo:ping'],
];

test('an exception while accepting, connecting, piping or logging a TCP connection closes it alone', async () => {
  const echo = await startEchoServer();
  const e = await startEngine(`defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend tcp_in
    bind 127.0.0.1:${await freePort()}
    default_backend echo
backend echo
    server s1 127.0.0.1:${echo.port}
`);
  try {
    const counters = () => e.engine.stats.counters('frontend', 'tcp_in')!;
    assert.equal((await session(e.port)).answer, 'echo:ping');
    await waitFor('the first session to close', () => openSockets() === 0);
    for (const [stage, expected] of STAGES) {
      const alertsBefore = e.alerts.length;
      const eintBefore = counters().eint;
      armFault(stage);
      const { answer, closed } = await session(e.port);
      await waitFor(`${stage}: the fault to be reached`, () => pendingFaults().size === 0);
      assert.ok(closed, `${stage}: closed`);
      assert.equal(answer, expected, stage);
      await waitFor(`${stage}: the error to be reported`, () => e.alerts.length > alertsBefore);
      const internal = e.alerts.slice(alertsBefore).filter((a) => /internal error in frontend tcp_in/.test(a));
      assert.equal(internal.length, 1, `${stage}: logged once`);
      assert.match(internal[0]!, new RegExp(`InjectedFault: fault injected at stage '${stage}'\\n\\s+at `));
      assert.equal(counters().eint, eintBefore + 1, `${stage}: counted`);
      await waitFor(`${stage}: every socket to close`, () => openSockets() === 0);
      assert.equal((await session(e.port)).answer, 'echo:ping', `${stage}: the next connection is served`);
      await waitFor(`${stage}: the next session to close`, () => openSockets() === 0);
    }
    // Every slot taken was given back.
    assert.equal(e.engine.backend('echo')!.server('s1')!.served, 0);
  } finally {
    await e.stop();
    await echo.close();
  }
});

test('an exception in tcp-request content rules reading the first bytes closes that connection alone', async () => {
  const echo = await startEchoServer();
  const e = await startEngine(`defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend tcp_in
    bind 127.0.0.1:${await freePort()}
    tcp-request inspect-delay 2s
    tcp-request content accept if { req.len gt 0 }
    default_backend echo
backend echo
    server s1 127.0.0.1:${echo.port}
`);
  try {
    armFault('request-head');
    const { answer, closed } = await session(e.port);
    assert.ok(closed);
    assert.equal(answer, '');
    assert.equal(pendingFaults().size, 0);
    assert.equal(e.alerts.filter((a) => /internal error in frontend tcp_in[^]*stage 'request-head'/.test(a)).length, 1);
    assert.equal(e.engine.stats.counters('frontend', 'tcp_in')!.eint, 1);
    await waitFor('every socket to close', () => openSockets() === 0);
    assert.equal((await session(e.port)).answer, 'echo:ping');
  } finally {
    await e.stop();
    await echo.close();
  }
});
