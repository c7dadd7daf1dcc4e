/**
 * Transcripts of exchanges through a proxy, recorded from HAProxy 2.6.12 and replayed:
 * the notation the cases are written in, the configuration both proxies get, one exchange run
 * through Loadstar or real HAProxy in front of a scripted server, and the tests a table of cases
 * turns into (each case against Loadstar; all of them against haproxy where it is installed;
 * LOADSTAR_RECORD=1 prints haproxy's transcripts instead, to record them again).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEngine, freePort } from '../../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../../helpers/haproxy.ts';
import { inLanes } from '../../../helpers/lanes.ts';
import { scriptedServer, type FramedRequest, type Reply } from './scripted-server.ts';

/** A transcript as the cases write it: each CRLF is shown as \\r\\n at the end of its line. */
export const wire = (text: string): string => text.replace(/\r\n\n/g, '\r\n');

/** The inverse of `wire`: a transcript as the body of a template literal given to it. */
export function notation(transcript: string): string {
  return transcript
    .replace(/\\|`|\$\{/g, (m) => `\\${m}`)
    .replace(/\r\n/g, '\\r\\n\n')
    .replace(/[\x00-\x09\x0b-\x1f\x7f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A proxy under test, started on a configuration text whose frontend binds `port`. */
export type Proxy = (text: string, port: number) => Promise<{ stop(): Promise<void> }>;
export const loadstar: Proxy = (text) => startEngine(text);
export const haproxy: Proxy = (text, port) => startHaproxy(text, port);

/** Lines a case adds to the global section, the frontend (after bind) and the backend. */
export interface Sections {
  global?: string;
  frontend?: string;
  backend?: string;
}

export interface ConfigOptions {
  /** `timeout client` and `timeout server`. */
  timeouts: { client: string; server: string };
  /** Words after the bind address (ssl crt …). */
  bind?: string;
}

/** Frontend `web` on 127.0.0.1:`port`, backend `app` with the one server s1 on `serverPort`. */
export function httpConfig(port: number, serverPort: number, s: Sections, o: ConfigOptions): string {
  return `${s.global ? `global\n${s.global}` : ''}defaults
    mode http
    timeout connect 1s
    timeout client ${o.timeouts.client}
    timeout server ${o.timeouts.server}
frontend web
    bind 127.0.0.1:${port}${o.bind ? ` ${o.bind}` : ''}
${s.frontend ?? ''}    default_backend app
backend app
${s.backend ?? ''}    server s1 127.0.0.1:${serverPort}
`;
}

export interface Exchange<T> {
  /** The scripted server's replies, in order (the last one repeats). */
  replies: readonly Reply[];
  /** The proxy's configuration, given its port and the server's. */
  config: (port: number, serverPort: number) => string;
  /** Sees each request the server frames, as it is framed. */
  onRequest?: (r: FramedRequest) => void;
  /** The client side, against the proxy's port. */
  drive: (port: number) => Promise<T>;
}

/** Runs one exchange through `proxy` in front of a scripted server; both are stopped whatever happens. */
export async function throughProxy<T>(proxy: Proxy, x: Exchange<T>): Promise<{ client: T; requests: FramedRequest[] }> {
  const server = await scriptedServer(x.replies, x.onRequest);
  try {
    const port = await freePort();
    const running = await proxy(x.config(port, server.port), port);
    try {
      return { client: await x.drive(port), requests: server.requests };
    } finally {
      await running.stop();
    }
  } finally {
    await server.close();
  }
}

export interface RecordedCase {
  name: string;
  /** Loadstar's transcript. */
  expected: string;
  /** HAProxy's, where Loadstar deliberately differs (the case's name says why). */
  haproxy?: string;
}

/**
 * One test per case (`prefix` + its name) comparing Loadstar's transcript with `expected`, and one
 * test, `replay`, running every case through haproxy when it is installed. With LOADSTAR_RECORD=1,
 * one test instead prints haproxy's transcripts in the cases' notation.
 */
export function transcriptTests<C extends RecordedCase>(cases: readonly C[], run: (c: C, proxy: Proxy) => Promise<string>, titles: { prefix: string; replay: string }): void {
  if (process.env.LOADSTAR_RECORD) {
    test(`${titles.replay} (recording)`, async (t) => {
      if (!requireHaproxy(t)) return;
      for (const c of cases) process.stdout.write(`// ${c.name}\nwire(\`${notation(await run(c, haproxy))}\`),\n\n`);
    });
    return;
  }
  for (const c of cases) {
    test(`${titles.prefix}${c.name}`, async () => {
      assert.equal(await run(c, loadstar), c.expected);
    });
  }
  test(titles.replay, async (t) => {
    if (!requireHaproxy(t)) return;
    // Each case starts its own haproxy and server on ports of its own, and mostly waits: three at once.
    await inLanes(cases, 3, async (c) => assert.equal(await run(c, haproxy), c.haproxy ?? c.expected, c.name));
  });
}
