/**
 * `tcp-response inspect-delay` and `tcp-response content` in TCP mode side by side with HAProxy
 * 2.6.12: what the client receives of the server's first bytes (held back until a rule decides), how
 * its connection ends, and the log's bytes and termination state. Recorded from haproxy, then
 * replayed against it when installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startRawServer, freePort } from '../../helpers/net.ts';
import { sideBySide, linesLogged } from '../http/lib/side-by-side.ts';

/** Listens after the first (which the harness probes): [name, rules, which server]. */
const CASES: Array<{ name: string; rules: string; server: 'closing' | 'lingering'; seen: string; log: string }> = [
  // The rule sees the greeting: nothing reaches the client, both sides close; logged PD with the bytes read.
  { name: 'rej', rules: 'tcp-response inspect-delay 2s\n    tcp-response content reject if { res.payload(0,5) -m str hello }', server: 'closing', seen: 'fin', log: 'rej 11 PD - -' },
  // close: the greeting is forwarded, then the connection closes (the server side at once).
  { name: 'cls', rules: 'tcp-response inspect-delay 2s\n    tcp-response content close if { res.payload(0,5) -m str hello }', server: 'lingering', seen: 'hello world|fin', log: 'cls 11 -- - -' },
  // Without a delay the one pass runs before any byte: the payload is missing, nothing matches, all is relayed.
  { name: 'nodelay', rules: 'tcp-response content reject if { res.payload(0,5) -m str hello }', server: 'closing', seen: 'hello world|fin', log: 'nodelay 11 -- - -' },
  // The first pass runs once connected, on an empty buffer: res.len is 0 then.
  { name: 'empty', rules: 'tcp-response inspect-delay 2s\n    tcp-response content reject if { res.len eq 0 }', server: 'closing', seen: 'fin', log: 'empty 0 PD - -' },
  // Waiting for more than comes: the delay runs out, the last pass is final, WAIT_END is true.
  { name: 'waitend', rules: 'tcp-response inspect-delay 1s\n    tcp-response content accept if { res.len gt 100 }\n    tcp-response content reject if WAIT_END', server: 'lingering', seen: 'fin', log: 'waitend 11 PD - -' },
  // The server's FIN makes the pass final too; set-var reads the response, the log prints it: txn.len was set
  // (to 0) by the first pass, at connection time, and ifnotexists kept it.
  { name: 'vars', rules: 'tcp-response inspect-delay 5s\n    tcp-response content set-var(txn.greeting) res.payload(0,5)\n    tcp-response content set-var(txn.len,ifnotexists) res.len\n    tcp-response content accept if { res.len gt 100 }', server: 'closing', seen: 'hello world|fin', log: 'vars 11 -- hello 0' },
];

function config(ports: number[], closing: number, lingering: number) {
  return (port: number): string => `global
    log stdout format raw local0
defaults
    mode tcp
    log global
    log-format "%ft %B %ts %[var(txn.greeting)] %[var(txn.len)]"
    timeout connect 2s
    timeout client 5s
    timeout server 5s
listen probe
    bind 127.0.0.1:${port}
    server s 127.0.0.1:${closing}
${CASES.map((c, i) => `listen ${c.name}
    bind 127.0.0.1:${ports[i]}
    ${c.rules}
    server s 127.0.0.1:${c.server === 'closing' ? closing : lingering}
`).join('')}`;
}

/** What the client read ('|'-joined with how it ended: fin or reset). */
function connect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('error', () => resolve(got ? `${got}|reset` : 'reset'));
    s.on('end', () => {
      s.destroy();
      resolve(got ? `${got}|fin` : 'fin');
    });
  });
}

test('tcp-response content rules hold, forward, close and reject the server\'s first bytes as HAProxy 2.6 does', async (t) => {
  // The greeting, then a FIN a moment later; or the greeting and nothing more until the client leaves.
  const closing = await startRawServer((s) => {
    s.on('error', () => {});
    s.write('hello world');
    setTimeout(() => s.end(), 100);
  });
  const lingering = await startRawServer((s) => {
    s.on('error', () => {});
    s.write('hello world');
    s.resume();
    s.on('end', () => s.end());
  });
  const ports = await Promise.all(CASES.map(() => freePort()));
  try {
    await sideBySide(t, config(ports, closing.port, lingering.port), async (_port, proxy) => {
      const seen: string[] = [];
      for (let i = 0; i < CASES.length; i++) seen.push(await connect(ports[i]!));
      assert.deepEqual(seen, CASES.map((c) => c.seen));
      // The probe's line, then one per case.
      const lines = (await linesLogged(proxy, CASES.length + 1)).filter((l) => !l.startsWith('probe '));
      assert.deepEqual(lines.map((l) => l.trim()).sort(), CASES.map((c) => c.log).sort());
    });
  } finally {
    await closing.close();
    await lingering.close();
  }
});

/** [section and line, Loadstar's alert ('' when accepted)], HAProxy 2.6.12's messages. */
const SYNTAX: Array<[string, string]> = [
  ['backend b\n    tcp-response content foo', `'tcp-response content' expects 'accept', 'close', 'reject', 'ot-group', 'set-log-level', 'set-nice', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-mark', 'set-tos', 'silent-drop' in backend 'b' (got 'foo').`],
  ['backend b\n    tcp-response content accept foo', `'tcp-response content accept' only accepts 'if' or 'unless', in backend 'b' (got 'foo')`],
  ['backend b\n    tcp-response inspect-delay', `'tcp-response inspect-delay' expects a positive delay in milliseconds, in backend 'b'`],
  ['backend b\n    tcp-response content set-var(txn.x,foo) res.len', 'unknown condition "foo"'],
  ['frontend f\n    bind 127.0.0.1:1\n    tcp-response content accept', `tcp-response content is only allowed in 'backend' sections or 'defaults' section with a name`],
  ['defaults\n    tcp-response inspect-delay 1s', `tcp-response inspect-delay is only allowed in 'backend' sections or 'defaults' section with a name`],
  ['defaults d\n    tcp-response inspect-delay 1s\n    tcp-response content close if { res.len gt 0 }\nbackend b from d\n    tcp-response content set-var-fmt(txn.x,ifset) "%[res.len]"', ''],
];

const syntaxConfig = (lines: string): string => `defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n${lines}\n`;

test('tcp-response lines are accepted or refused with HAProxy 2.6\'s messages', async (t) => {
  const { parseConfig } = await import('../../../proxy/config/index.ts');
  for (const [lines, alert] of SYNTAX) {
    const result = parseConfig([{ name: 'x.cfg', text: syntaxConfig(lines) }]);
    assert.deepEqual(result.diagnostics.filter((d) => d.severity === 'alert').map((d) => d.message), alert === '' ? [] : [alert], lines);
  }
  const { requireHaproxy, haproxyCheck } = await import('../../helpers/haproxy.ts');
  if (!requireHaproxy(t)) return;
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-tcp-response-'));
  try {
    for (const [lines, alert] of SYNTAX) {
      fs.writeFileSync(path.join(dir, 'x.cfg'), syntaxConfig(lines));
      const r = haproxyCheck('x.cfg', dir);
      // Without a listener haproxy -c exits 2 ("will not start"), which is not an error.
      assert.equal(r.output.includes('[ALERT]'), alert !== '', `${lines}\n${r.output}`);
      if (alert !== '') assert.ok(r.output.includes(alert), `${lines}\n${r.output}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('tcp-response content in an HTTP-mode backend is run (http/response-inspection.ts), not refused', async () => {
  const { parseConfig } = await import('../../../proxy/config/index.ts');
  const { unsupportedFeatures } = await import('../../../proxy/runtime/unsupported.ts');
  const result = parseConfig([{ name: 'x.cfg', text: `defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nbackend b\n    tcp-response content accept\n    server s 127.0.0.1:1\n` }]);
  assert.ok(result.ok);
  assert.deepEqual(unsupportedFeatures(result.config), []);
});
