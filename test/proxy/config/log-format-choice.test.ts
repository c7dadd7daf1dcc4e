/**
 * The access-log format a proxy ends up with: the last of `option httplog|httpslog|tcplog` and
 * `log-format` written, a proxy's own lines after its defaults' (HAProxy's one logformat_string).
 * The warnings `haproxy -c` gives for it and the lines it logs, side by side with haproxy 2.6.12.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { parseConfig } from '../../../proxy/config/index.ts';
import { chosenLogFormat } from '../../../proxy/config/log-format-choice.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';
import { sideBySide, linesLogged } from '../http/lib/side-by-side.ts';

const HEAD = `global
    log stdout format raw local0
`;

const TIMEOUTS = `    timeout connect 2s
    timeout client 5s
    timeout server 5s
`;

function parsed(text: string) {
  const r = parseConfig([{ name: 'haproxy.cfg', text }], { fileExists: () => true, readFile: () => '' });
  assert.ok(r.ok, r.diagnostics.map((d) => d.message).join('\n'));
  return r;
}

const chosen = (text: string, name: string): string | undefined => {
  const proxy = parsed(text).config.proxies.find((p) => p.name === name);
  assert.ok(proxy && proxy.kind !== 'defaults');
  const c = chosenLogFormat(proxy);
  return c && `${c.kind}@${c.loc.line}`;
};

/** The cases: the configuration, its proxy, the format chosen and the line that chose it. */
const CASES: Array<{ what: string; text: string; proxy: string; expect: string | undefined }> = [
  {
    what: "a TCP listen's own option tcplog beats the defaults' option httplog",
    text: `${HEAD}defaults\n    log global\n    option httplog\n${TIMEOUTS}listen ssh\n    mode tcp\n    option tcplog\n    bind 127.0.0.1:2222\n    server s 127.0.0.1:22\n`,
    proxy: 'ssh', expect: 'tcp@11',
  },
  {
    what: "a frontend's own option httplog beats the defaults' log-format",
    text: `${HEAD}defaults\n    mode http\n    log global\n    log-format "fmt=%ST"\n${TIMEOUTS}frontend fe\n    option httplog\n    bind 127.0.0.1:8080\n`,
    proxy: 'fe', expect: 'http@11',
  },
  {
    what: 'within one section the last line wins',
    text: `${HEAD}defaults\n    mode http\n    log global\n${TIMEOUTS}frontend fe\n    option httplog clf\n    log-format "fmt=%ST"\n    option httpslog\n    bind 127.0.0.1:8080\n`,
    proxy: 'fe', expect: 'https@12',
  },
  {
    what: 'inherited only: the last of the defaults',
    text: `${HEAD}defaults\n    mode http\n    log global\n    option tcplog\n    option httplog\n${TIMEOUTS}frontend fe\n    bind 127.0.0.1:8080\n`,
    proxy: 'fe', expect: 'http@7',
  },
  {
    what: 'none: no access log',
    text: `${HEAD}defaults\n    mode http\n    log global\n${TIMEOUTS}frontend fe\n    bind 127.0.0.1:8080\n`,
    proxy: 'fe', expect: undefined,
  },
];

for (const c of CASES) {
  test(`chosenLogFormat: ${c.what}`, () => {
    assert.equal(chosen(c.text, c.proxy), c.expect);
  });
}

test("the 'not usable' and 'no log address' warnings are HAProxy's, for the format each proxy ended up with", (t) => {
  const texts = [
    // HAProxy warns for neither: ssh's own tcplog replaced the inherited httplog.
    CASES[0]!.text,
    // The TCP listen inherits httplog: it warns, at the defaults' line.
    `${HEAD}defaults\n    log global\n    option httplog\n${TIMEOUTS}listen ssh\n    mode tcp\n    bind 127.0.0.1:2222\n    server s 127.0.0.1:22\n`,
    // No log address for a frontend that formats its lines (a backend logs nothing of its own).
    `defaults\n    mode http\n    option httplog\n${TIMEOUTS}frontend fe\n    bind 127.0.0.1:8080\n    default_backend be\nbackend be\n    server s 127.0.0.1:8081\n`,
  ];
  const loadstar = texts.map((text) => parsed(text).diagnostics.filter((d) => d.severity === 'warning').map((d) => d.message));
  assert.deepEqual(loadstar, [
    [],
    ["'option httplog' not usable with proxy 'ssh' (needs 'mode http'). Falling back to 'option tcplog'."],
    ["log format ignored for frontend 'fe' since it has no log address."],
  ]);
  if (!requireHaproxy(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-log-choice-'));
  try {
    texts.forEach((text, i) => {
      fs.writeFileSync(path.join(dir, 'haproxy.cfg'), text);
      const r = haproxyCheck(path.join(dir, 'haproxy.cfg'), dir);
      assert.equal(r.status, 0, r.output);
      const warned = r.output.split('\n').filter((l) => l.includes('[WARNING]')).map((l) => l.replace(/^\[WARNING\]\s+\(\d+\) : (config : )?(parsing \[[^\]]*\] : )?/, ''));
      assert.deepEqual(warned, loadstar[i], r.output);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a frontend's own option tcplog logs tcplog lines under defaults with a log-format", async (t) => {
  const origin = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const port = (origin.address() as { port: number }).port;
  try {
    const config = (listen: number): string => `${HEAD}defaults\n    mode http\n    log global\n    log-format "fmt=%ST"\n${TIMEOUTS}frontend fe\n    option tcplog\n    bind 127.0.0.1:${listen}\n    default_backend be\nbackend be\n    server s 127.0.0.1:${port}\n`;
    const seen: string[] = [];
    await sideBySide(t, config, async (listen, proxy) => {
      await new Promise<void>((resolve, reject) => http.get({ host: '127.0.0.1', port: listen, agent: false }, (res) => res.resume().on('end', resolve)).on('error', reject));
      const lines = await linesLogged(proxy, 2);
      // tcplog: client, date, frontend, backend/server, Tw/Tc/Tt, bytes, termination state…
      seen.push(lines.at(-1)!.replace(/^127\.0\.0\.1:\d+ \[[^\]]+\] /, '').replace(/\d+\/\d+\/\d+ \d+ /, 'T B '));
    });
    for (const s of seen) assert.match(s, /^fe be\/s T B -- 1\/1\/0\/0\/0 0\/0$/);
  } finally {
    origin.close();
  }
});
