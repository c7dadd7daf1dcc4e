/**
 * TCP log lines (option tcplog and a log-format) as HAProxy 2.6 writes them,
 * for a session the client closes first, one the server closes first, a
 * refused server and a backend without servers. Timers are compared as -1,
 * short (under 50 ms) or long. Recorded from haproxy 2.6.12 and checked against
 * it again when it is installed. Before, Loadstar logged 0/0 connections for a
 * session that had ended (HAProxy counts the one it logs), '-' and 0 for
 * %fi/%fp (Node forgets a closed socket's address) and '-' for %bi %bp %si %sp,
 * 0 for %rt and %lc, and %Tw 0 for a backend without servers (HAProxy: -1).
 *
 * Left out: %U of a refused session (HAProxy counts what the client sent while
 * it tried, 1 here; Loadstar does not read it before a server is connected: 0),
 * %bi / %bp of a refused attempt (Node closes the socket before it can be asked).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEngine, freePort } from '../../helpers/net.ts';
import { haproxyCheck, haproxyPath, startHaproxy } from '../../helpers/haproxy.ts';
import { parseConfig, formatDiagnostics } from '../../../proxy/config/index.ts';

const FORMAT = 'ci=%ci fi=%fi fp=%fp bi=%bi bp=%bp si=%si sp=%sp f=%f ft=%ft b=%b s=%s Tw=%Tw Tc=%Tc Tt=%Tt Td=%Td B=%B ts=%ts conn=%ac/%fc/%bc/%sc/%rc q=%sq/%bq rt=%rt lc=%lc';

interface Ports { tcplog: number; format: number; refused: number; none: number; nobackend: number; rawswitch: number; rawhttp: number; echo: number; closed: number }

const site = (p: Ports): string => `global
    log stdout format raw local0
defaults
    mode tcp
    log global
    option tcplog
    timeout connect 300ms
    timeout client 2s
    timeout server 2s
listen plain
    bind 127.0.0.1:${p.tcplog}
    server s1 127.0.0.1:${p.echo}
listen formatted
    bind 127.0.0.1:${p.format}
    log-format "${FORMAT}"
    server s1 127.0.0.1:${p.echo}
listen refused
    bind 127.0.0.1:${p.refused}
    log-format "${FORMAT}"
    server s1 127.0.0.1:${p.closed}
frontend none
    bind 127.0.0.1:${p.none}
    log-format "${FORMAT}"
    default_backend empty
backend empty
frontend nobackend
    bind 127.0.0.1:${p.nobackend}
frontend rawswitch
    bind 127.0.0.1:${p.rawswitch} proto none
    tcp-request inspect-delay 1s
    tcp-request content switch-mode http if HTTP
    tcp-request content reject
    default_backend web
frontend rawhttp
    bind 127.0.0.1:${p.rawhttp} proto none
    log-format "${FORMAT}"
    default_backend web
backend web
    mode http
    server s1 127.0.0.1:${p.echo}
`;

/** Echoes; answers 'bye' with BYE and closes (the server closes first). */
async function startEcho(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.on('data', (d) => (String(d).includes('bye') ? s.end('BYE') : s.write(d)));
    s.on('end', () => s.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

/** Sends `data`; the client closes 100 ms later (`clientFirst`) or waits for the proxy to close. */
function session(port: number, data: string, clientFirst: boolean): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write(data);
      if (clientFirst) setTimeout(() => s.end(), 100);
    });
    s.on('data', () => {});
    s.on('error', () => resolve());
    s.on('close', () => resolve());
  });
}

interface Case { name: string; run(p: Ports): Promise<unknown>; expected: string; unchecked?: string[] }

const CASES: Case[] = [
  {
    name: 'option tcplog, the client closes first',
    run: (p) => session(p.tcplog, 'hello', true),
    expected: '127.0.0.1:N [DATE] plain plain/s1 s/s/L 5 -- 1/1/0/0/0 0/0',
  },
  {
    name: 'option tcplog, the server closes first',
    run: (p) => session(p.tcplog, 'bye', false),
    expected: '127.0.0.1:N [DATE] plain plain/s1 s/s/s 3 -- 1/1/0/0/0 0/0',
  },
  {
    name: 'log-format, the client closes first',
    run: (p) => session(p.format, 'hello', true),
    expected: 'ci=127.0.0.1 fi=127.0.0.1 fp=FORMAT bi=127.0.0.1 bp=N si=127.0.0.1 sp=ECHO f=formatted ft=formatted b=formatted s=s1 Tw=s Tc=s Tt=L Td=L B=5 ts=-- conn=1/1/0/0/0 q=0/0 rt=+0 lc=+0',
  },
  {
    name: 'log-format, the server closes first',
    run: (p) => session(p.format, 'bye', false),
    expected: 'ci=127.0.0.1 fi=127.0.0.1 fp=FORMAT bi=127.0.0.1 bp=N si=127.0.0.1 sp=ECHO f=formatted ft=formatted b=formatted s=s1 Tw=s Tc=s Tt=s Td=s B=3 ts=-- conn=1/1/0/0/0 q=0/0 rt=+1 lc=+1',
  },
  {
    name: 'a refused server: three retries, SC',
    run: (p) => session(p.refused, 'x', false),
    unchecked: ['bi', 'bp'],
    expected: 'ci=127.0.0.1 fi=127.0.0.1 fp=REFUSED bi=? bp=? si=127.0.0.1 sp=CLOSED f=refused ft=refused b=refused s=s1 Tw=s Tc=-1 Tt=L Td=-1 B=0 ts=SC conn=1/1/0/0/3 q=0/0 rt=+2 lc=+0',
  },
  {
    name: 'a backend without servers: SC, never queued',
    run: (p) => session(p.none, 'x', false),
    expected: 'ci=127.0.0.1 fi=127.0.0.1 fp=NONE bi=- bp=- si=- sp=- f=none ft=none b=empty s=<NOSRV> Tw=-1 Tc=-1 Tt=s Td=-1 B=0 ts=SC conn=1/1/0/0/0 q=0/0 rt=+3 lc=+0',
  },
  {
    // The client's address too (Node forgot it once the socket was closed: `-:0`).
    name: 'a frontend without a backend: SC at once',
    run: (p) => session(p.nobackend, 'x', false),
    expected: '127.0.0.1:N [DATE] nobackend nobackend/<NOSRV> -1/-1/s 0 SC 1/1/0/0/0 0/0',
  },
  {
    // `proto none`: HAProxy's pass-through mux cannot become HTTP.
    name: 'switch-mode http on a proto none bind: refused, PR',
    run: (p) => session(p.rawswitch, 'GET / HTTP/1.1\r\nhost: x\r\n\r\n', false),
    expected: '127.0.0.1:N [DATE] rawswitch rawswitch/<NOSRV> -1/-1/s 0 PR 1/1/0/0/0 0/0',
  },
  {
    name: 'a mode http backend behind a proto none bind: RR',
    run: (p) => session(p.rawhttp, 'GET / HTTP/1.1\r\nhost: x\r\n\r\n', false),
    // HAProxy counts the stream on the backend (%bc 1); Loadstar counts the backend's servers' connections.
    unchecked: ['conn'],
    expected: 'ci=127.0.0.1 fi=127.0.0.1 fp=RAWHTTP bi=- bp=- si=- sp=- f=rawhttp ft=rawhttp b=web s=<NOSRV> Tw=-1 Tc=-1 Tt=s Td=-1 B=0 ts=RR conn=? q=0/0 rt=+6 lc=+0',
  },
];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function normalize(line: string, p: Ports, rt0: number, lc0: Map<string, number>): string {
  const names: Record<string, string> = { [p.tcplog]: 'TCPLOG', [p.format]: 'FORMAT', [p.refused]: 'REFUSED', [p.none]: 'NONE', [p.rawhttp]: 'RAWHTTP', [p.echo]: 'ECHO', [p.closed]: 'CLOSED' };
  const timer = (v: string): string => (Number(v) < 0 ? '-1' : Number(v) < 50 ? 's' : 'L');
  const frontend = /f=(\S+)/.exec(line)?.[1] ?? '';
  return line
    .replace(/^127\.0\.0\.1:\d+ \[[^\]]+\]/, '127.0.0.1:N [DATE]')
    .replace(/ (-?\d+)\/(-?\d+)\/(-?\d+) (\d+) /, (_m, a: string, b: string, c: string, bytes: string) => ` ${timer(a)}/${timer(b)}/${timer(c)} ${bytes} `)
    .replace(/(fp|sp)=(\d+)/g, (_m, k: string, v: string) => `${k}=${names[v] ?? v}`)
    .replace(/bp=\d+/, 'bp=N')
    .replace(/\b(T[a-z])=(-?\d+)/g, (_m, k: string, v: string) => `${k}=${timer(v)}`)
    .replace(/rt=(\d+) lc=(\d+)/, (_m, rt: string, lc: string) => {
      if (!lc0.has(frontend)) lc0.set(frontend, Number(lc));
      return `rt=+${Number(rt) - rt0} lc=+${Number(lc) - lc0.get(frontend)!}`;
    });
}

async function run(p: Ports, logged: () => string[]): Promise<Array<{ name: string; line: string }>> {
  const out: Array<{ name: string; line: string }> = [];
  let rt0: number | undefined;
  const lc0 = new Map<string, number>();
  for (const c of CASES) {
    const before = logged().length;
    await c.run(p);
    const deadline = Date.now() + 3000;
    while (logged().length === before && Date.now() < deadline) await sleep(20);
    await sleep(100);
    const lines = logged().slice(before);
    const first = /rt=(\d+)/.exec(lines.join('\n'));
    if (rt0 === undefined && first) rt0 = Number(first[1]);
    const line = lines.map((l) => normalize(l, p, rt0 ?? 0, lc0)).join('\n');
    out.push({ name: c.name, line: (c.unchecked ?? []).reduce((v, f) => v.replace(new RegExp(`\\b${f}=\\S+`), `${f}=?`), line) });
  }
  return out;
}

test('TCP log lines (tcplog and log-format) read as HAProxy 2.6 writes them', async (t) => {
  const echo = await startEcho();
  try {
    const ports: Ports = { tcplog: await freePort(), format: await freePort(), refused: await freePort(), none: await freePort(), nobackend: await freePort(), rawswitch: await freePort(), rawhttp: await freePort(), echo: echo.port, closed: await freePort() };
    const expected = CASES.map((c) => ({ name: c.name, line: c.expected }));
    const e = await startEngine(site(ports));
    let got;
    try {
      got = await run(ports, () => e.logs);
    } finally {
      await e.stop();
    }
    assert.deepEqual(got, expected);
    if (!haproxyPath) return t.diagnostic('haproxy is not installed: compared with the recorded lines only');
    const hports: Ports = { ...ports, tcplog: await freePort(), format: await freePort(), refused: await freePort(), none: await freePort(), nobackend: await freePort(), rawswitch: await freePort(), rawhttp: await freePort() };
    const h = await startHaproxy(site(hports), hports.tcplog);
    try {
      await sleep(100); // the start-up probe's session is logged first: not one of these
      const skip = h.output().split('\n').length - 1;
      const hgot = await run(hports, () => h.output().split('\n').slice(skip).filter((l) => /^(ci=|127\.0\.0\.1:)/.test(l)));
      if (process.env.RECORD) console.log(JSON.stringify(hgot, null, 1));
      assert.deepEqual(hgot, expected);
    } finally {
      await h.stop();
    }
  } finally {
    await echo.close();
  }
});

test('a tcp proxy whose log-format uses an HTTP-only variable is refused, as haproxy -c refuses it (it was accepted, and the proxy logged nothing)', (t) => {
  const text = `defaults
    mode tcp
    timeout connect 1s
    timeout client 1s
    timeout server 1s
listen db
    bind 127.0.0.1:6000
    log-format "%ci %Ta"
    server s1 127.0.0.1:6001
`;
  const result = parseConfig([{ name: 'tcp.cfg', text }]);
  assert.equal(result.ok, false);
  assert.equal(formatDiagnostics(result.diagnostics.filter((d) => d.severity === 'alert')), "[ALERT] parsing [tcp.cfg:8] : Proxy 'db': failed to parse log-format : format variable 'Ta' is reserved for HTTP mode.");
  // The same format in HTTP mode is fine.
  assert.equal(parseConfig([{ name: 'http.cfg', text: text.replace('mode tcp', 'mode http') }]).ok, true);
  if (!haproxyPath) return t.diagnostic('haproxy is not installed: compared with the recorded message only');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-logfmt-'));
  try {
    fs.writeFileSync(path.join(dir, 'tcp.cfg'), text);
    const checked = haproxyCheck('tcp.cfg', dir);
    assert.notEqual(checked.status, 0);
    assert.match(checked.output, /\[tcp\.cfg:8\]: failed to parse log-format : format variable 'Ta' is reserved for HTTP mode/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
