/**
 * Runs raw requests through two proxies with the same configuration, side by
 * side: real HAProxy and Loadstar (a child process). Each proxy has `lanes`
 * frontends, each in front of its own recording origin, so cases run in
 * parallel and what an origin received belongs to exactly one case.
 */
import net from 'node:net';
import { freePort } from '../../helpers/net.ts';
import { startHaproxy } from '../../helpers/haproxy.ts';
import { startRecordingOrigin, serverSideView } from './origin.ts';
import type { RecordingOrigin, ServerSideView } from './origin.ts';
import { startLoadstar } from './loadstar-process.ts';
import type { LoadstarProcess } from './loadstar-process.ts';
import { readResponses } from './http1.ts';

export interface RawCase {
  name: string;
  /** Byte strings written in order, PAUSE_MS apart. */
  parts: Buffer[];
  /** Final responses a well-behaved proxy sends back (ends the wait early). */
  responses: number;
  head?: boolean;
}

export interface Observation {
  /** Every status line the client received, interim ones included. */
  statuses: number[];
  /** The proxy closed the client connection within the wait. */
  closed: boolean;
  /** Bytes the client received that do not frame as HTTP/1 responses (a response split or smuggled). */
  strayResponseBytes: number;
  server: ServerSideView;
  /** The proxy process died during this case (Loadstar only). */
  crashed: boolean;
}

export const PAUSE_MS = 150;

/** The shared configuration: short timeouts so unanswered cases end quickly. */
export function lanesConfig(ports: number[], origins: number[]): string {
  let text = `global
    nbthread 1
defaults
    mode http
    timeout connect 1s
    timeout http-request 1s
    timeout client 3s
    timeout server 2s
`;
  ports.forEach((port, i) => {
    text += `frontend lane${i}
    bind 127.0.0.1:${port}
    default_backend lane${i}
backend lane${i}
    server origin 127.0.0.1:${origins[i]}
`;
  });
  return text;
}

export interface ProxyUnderTest {
  name: 'haproxy' | 'loadstar';
  ports: number[];
  origins: RecordingOrigin[];
  /** Loadstar only: restarted after a crash so the next cases still run. */
  loadstar?: LoadstarProcess;
  crashes: number;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startProxies(lanes: number): Promise<{ haproxy: ProxyUnderTest; loadstar: ProxyUnderTest; stop(): Promise<void> }> {
  const make = async (name: 'haproxy' | 'loadstar'): Promise<ProxyUnderTest> => {
    const origins = await Promise.all(Array.from({ length: lanes }, () => startRecordingOrigin()));
    const ports: number[] = [];
    for (let i = 0; i < lanes; i++) ports.push(await freePort());
    const config = lanesConfig(ports, origins.map((o) => o.port));
    const p: ProxyUnderTest = {
      name, ports, origins, crashes: 0,
      restart: async () => {},
      stop: async () => {},
    };
    const closeOrigins = () => Promise.all(origins.map((o) => o.close()));
    if (name === 'haproxy') {
      const h = await startHaproxy(config, ports[ports.length - 1]!).catch(async (e) => { await closeOrigins(); throw e; });
      p.stop = async () => { await h.stop(); await Promise.all(origins.map((o) => o.close())); };
    } else {
      p.loadstar = await startLoadstar(config, ports[ports.length - 1]!).catch(async (e) => { await closeOrigins(); throw e; });
      let restarting: Promise<void> | undefined;
      // Several lanes notice the same crash: one restart serves them all.
      p.restart = () => (restarting ??= (async () => {
        p.crashes++;
        await p.loadstar!.stop();
        p.loadstar = await startLoadstar(config, ports[ports.length - 1]!);
        restarting = undefined;
      })());
      p.stop = async () => { await p.loadstar!.stop(); await Promise.all(origins.map((o) => o.close())); };
    }
    return p;
  };
  const started = await Promise.allSettled([make('haproxy'), make('loadstar')]);
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    throw (failed as PromiseRejectedResult).reason;
  }
  const [haproxy, loadstar] = started.map((r) => (r as PromiseFulfilledResult<ProxyUnderTest>).value) as [ProxyUnderTest, ProxyUnderTest];
  return { haproxy, loadstar, stop: async () => { await Promise.all([haproxy.stop(), loadstar.stop()]); } };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends one case on one lane and waits (bounded) for the answer and for the origin side to settle. */
export async function runCase(proxy: ProxyUnderTest, lane: number, c: RawCase, maxMs: number): Promise<Observation> {
  const origin = proxy.origins[lane]!;
  origin.reset();
  const process0 = proxy.loadstar;
  const received: Buffer[] = [];
  let closed = false;
  let lastByte = 0;
  const socket = net.connect(proxy.ports[lane]!, '127.0.0.1');
  socket.on('error', () => { closed = true; });
  socket.on('data', (d: Buffer) => { received.push(d); lastByte = Date.now(); });
  socket.on('end', () => { closed = true; });
  socket.on('close', () => { closed = true; });
  await new Promise<void>((resolve) => { socket.once('connect', resolve); socket.once('error', () => resolve()); });
  const start = Date.now();
  for (let i = 0; i < c.parts.length && !closed; i++) {
    if (i > 0) await sleep(PAUSE_MS);
    socket.write(c.parts[i]!);
  }
  for (;;) {
    await sleep(20);
    const now = Date.now();
    if (closed || now - start > maxMs) break;
    if (received.length > 0) {
      const r = readResponses(Buffer.concat(received), c.head);
      const finals = r.statuses.filter((s) => s >= 200).length;
      // After a refusal the proxy is expected to close: give the FIN a moment to arrive.
      const refusal = r.statuses.some((x) => x >= 400);
      if (finals >= c.responses && r.complete && now - lastByte > (refusal ? 400 : 80)) break;
      // Fewer answers than asked for: the proxy may have stopped reading; a quiet second ends the wait.
      if (finals >= 1 && now - lastByte > 1000) break;
    }
  }
  const closedByProxy = closed;
  socket.destroy();
  // Let the proxy finish with the origin (it closes the server side once the client is gone).
  for (let i = 0; i < 25 && !origin.idle(); i++) await sleep(20);
  const body = Buffer.concat(received);
  const responses = readResponses(body, c.head);
  let crashed = false;
  // A process that is exiting may still look alive for a moment.
  if (proxy.loadstar) await Promise.race([sleep(150), proxy.loadstar.exited]);
  if (proxy.loadstar && (!proxy.loadstar.alive() || proxy.loadstar !== process0)) {
    crashed = true;
    if (!proxy.loadstar.alive()) await proxy.restart();
  }
  return {
    statuses: responses.statuses,
    closed: closedByProxy,
    strayResponseBytes: closedByProxy ? responses.trailing : 0,
    server: serverSideView(origin.connections()),
    crashed,
  };
}

/** Runs every case through both proxies, `lanes` at a time. */
export async function runAll<C extends RawCase>(
  proxies: { haproxy: ProxyUnderTest; loadstar: ProxyUnderTest },
  cases: C[],
  maxMs: number,
): Promise<Array<{ c: C; haproxy: Observation; loadstar: Observation }>> {
  const results: Array<{ c: C; haproxy: Observation; loadstar: Observation }> = new Array(cases.length);
  let next = 0;
  const lanes = proxies.haproxy.ports.length;
  await Promise.all(Array.from({ length: lanes }, async (_, lane) => {
    while (next < cases.length) {
      const i = next++;
      const c = cases[i]!;
      const [h, l] = await Promise.all([runCase(proxies.haproxy, lane, c, maxMs), runCase(proxies.loadstar, lane, c, maxMs)]);
      results[i] = { c, haproxy: h, loadstar: l };
    }
  }));
  // A crash is seen by every case running at that moment: run those again one at a time to name the culprit.
  for (const r of results) {
    if (!r.loadstar.crashed) continue;
    r.loadstar = await runCase(proxies.loadstar, 0, r.c, maxMs);
  }
  return results;
}

/** Statuses by which a proxy refuses a request as malformed or ambiguous. */
export function rejected(o: Observation): boolean {
  return o.statuses.some((s) => s === 400 || s === 411 || s === 413 || s === 414 || s === 417 || s === 421 || s === 422 || s === 431 || s === 501 || s === 505);
}

/**
 * Why Loadstar's handling of a case is unsafe, compared with what the origin
 * received and with HAProxy; empty when it is safe.
 */
export function unsafeReasons(h: Observation, l: Observation): string[] {
  const reasons: string[] = [];
  if (l.crashed) reasons.push('Loadstar exited');
  // Unless HAProxy sent such bytes too: an HTTP/2 preface on an HTTP/1 port gets HTTP/2 frames (SETTINGS, GOAWAY) from both.
  if (l.strayResponseBytes > 0 && h.strayResponseBytes === 0) reasons.push(`the client received ${l.strayResponseBytes} bytes that are not a framed response`);
  for (const { analysis } of l.server.analyses) {
    if (analysis.error) reasons.push(`server could not frame what Loadstar sent: ${analysis.error}`);
    for (const m of analysis.messages) for (const a of m.ambiguities) reasons.push(`forwarded with ${a}`);
    if (analysis.messages.length > 1) reasons.push('more than one request on one server connection before its answer (unframed bytes)');
    else if (analysis.messages.length === 1 && analysis.leftover > 0) reasons.push(`${analysis.leftover} bytes after the request on the server connection`);
  }
  if (rejected(h) && l.server.forwarded > h.server.forwarded) {
    reasons.push(`forwarded ${l.server.forwarded} request(s) where HAProxy answered ${h.statuses.join('/')} and forwarded ${h.server.forwarded}`);
  }
  return reasons;
}

/** One table cell: status lines, closed or open, and what the origin got. */
export function describe(o: Observation): string {
  const status = o.statuses.length > 0 ? o.statuses.join('+') : 'no answer';
  const fwd = o.server.analyses.map(({ analysis: a }) => {
    const parts = a.messages.map((m) => `${m.method.length > 20 ? `${m.method.slice(0, 20)}…` : m.method} ${m.framing === 'none' ? '' : m.framing === 'chunked' ? `chunked ${m.bodyLength}B` : `CL ${m.bodyLength}B`}`.trim());
    if (a.incomplete) parts.push('incomplete');
    if (a.error) parts.push(`UNFRAMED (${a.error})`);
    return parts.join(' + ');
  }).filter((s) => s !== '');
  return `${status}, ${o.closed ? 'closed' : 'open'}, fwd ${o.server.forwarded}${fwd.length > 0 ? ` [${fwd.join('; ')}]` : ''}${o.crashed ? ', **CRASHED**' : ''}`;
}
