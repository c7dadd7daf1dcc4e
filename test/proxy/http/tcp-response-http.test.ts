/**
 * `tcp-response content` rules in an HTTP-mode backend, compared with haproxy 2.6.12: they run once
 * when the server's answer starts (set-var, accept, reject, close), recorded below; where haproxy is
 * installed, the second test replays the exchanges through it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startEngine, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy, loggedHttpHead } from '../../helpers/haproxy.ts';

function config(port: number, originPort: number): string {
  return `${loggedHttpHead('    option dontlognull\n')}    log-format "%ST %tsc %b %s x=%[var(txn.x)] B=%B Tr=%Tr"
frontend fe
    bind 127.0.0.1:${port}
    http-request set-var(txn.p) path
    default_backend be
backend be
    tcp-response inspect-delay 200ms
    tcp-response content set-var(txn.x) str(seen)
    tcp-response content reject if { var(txn.p) -m str /rej }
    tcp-response content close if { var(txn.p) -m str /close }
    tcp-response content accept
    server s 127.0.0.1:${originPort}
`;
}

/** What the client read (its status line, or nothing) and the log line, recorded from haproxy 2.6.12 (%Tr only when -1). */
const CASES: Array<{ path: string; reply: string; log: string }> = [
  { path: '/plain', reply: 'HTTP/1.1 200 OK', log: '200 ---- be s x=seen B=106' },
  { path: '/rej', reply: '', log: '-1 PD-- be s x=seen B=0 Tr=-1' },
  { path: '/close', reply: 'HTTP/1.1 502 Bad Gateway', log: '502 SH-- be s x=seen B=209 Tr=-1' },
];

async function run(port: number, logs: () => string[]): Promise<void> {
  for (const c of CASES) {
    const before = logs().length;
    const raw = await new Promise<string>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write(`GET ${c.path} HTTP/1.1\r\nhost: x\r\n\r\n`));
      let got = '';
      const timer = setTimeout(() => { s.destroy(); resolve(got); }, 600);
      s.on('data', (d: Buffer) => (got += d.toString('latin1')));
      s.on('close', () => { clearTimeout(timer); resolve(got); });
      s.on('error', () => {});
    });
    assert.equal(raw.split('\r\n')[0], c.reply, `${c.path}: reply`);
    const deadline = Date.now() + 5000;
    while (logs().length <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const line = (logs()[before] ?? '').trim().replace(/ Tr=(\d+)$/, '');
    assert.equal(line, c.log, `${c.path}: log`);
  }
}

async function withOrigin(fn: (port: number) => Promise<void>): Promise<void> {
  const server = http.createServer((req, res) => { req.resume(); req.on('end', () => res.end('plain')); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fn((server.address() as net.AddressInfo).port);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

test('tcp-response content in an HTTP backend: set-var, accept, reject, close as haproxy 2.6.12 did', async () => {
  await withOrigin(async (originPort) => {
    const port = await freePort();
    const e = await startEngine(config(port, originPort));
    try {
      await run(port, () => e.logs);
    } finally {
      await e.stop();
    }
  });
});

test('the same exchanges through haproxy give the recorded outcomes', async (t) => {
  if (!requireHaproxy(t)) return;
  await withOrigin(async (originPort) => {
    const port = await freePort();
    const h = await startHaproxy(config(port, originPort), port);
    try {
      await run(port, () => h.output().split('\n').filter((l) => /^-?\d+ /.test(l)));
    } finally {
      await h.stop();
    }
  });
});

test('a condition reading raw bytes on an HTTP proxy warns as haproxy 2.6.12 does (warnif_tcp_http_cond)', async () => {
  const { parseConfig } = await import('../../../proxy/config/index.ts');
  const text = `defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\nbackend be\n  tcp-response content accept if { res.len gt 0 }\n  tcp-response content set-var(txn.a) res.payload(0,1)\n  server s 127.0.0.1:1\nbackend be2\n  tcp-response content accept if { var(txn.x) -m found }\n  server s 127.0.0.1:1\nfrontend fe\n  bind 127.0.0.1:8080\n  tcp-request inspect-delay 1s\n  tcp-request content accept if { req.len gt 0 }\n  default_backend be\n`;
  const r = parseConfig([{ name: 'w.cfg', text }]);
  // haproxy -c: [WARNING] config : Proxy 'be': L6 sample fetches ignored on HTTP proxies (declared at w.cfg:7). (and fe, line 16)
  const warnings = r.diagnostics.filter((d) => d.message.includes('L6 sample fetches')).map((d) => `${d.line}: ${d.message}`);
  assert.deepEqual(warnings, [
    "7: Proxy 'be': L6 sample fetches ignored on HTTP proxies (declared at w.cfg:7).",
    "16: Proxy 'fe': L6 sample fetches ignored on HTTP proxies (declared at w.cfg:16).",
  ]);
});
