/**
 * `option accept-invalid-http-request` and `option accept-invalid-http-response`. HAProxy 2.6 relaxes
 * its parser with them; Loadstar's parser is llhttp (DESIGN.md §4), which leaves it one of those
 * relaxations: a `#` in a request target (refused since CVE-2023-45539), taken over HTTP/1 and HTTP/2
 * as haproxy takes it with the option. The rest stays refused and the configuration says so in a
 * warning. The `#` requests go to Loadstar and, where installed, to haproxy with the same
 * configuration: the answers must agree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { parseConfig } from '../../../proxy/config/index.ts';
import { startEngine, rawExchange, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';

const ANSWER = 'http-request return status 200 content-type text/plain lf-string "path=%[path] pathq=%[pathq] query=%[query]\\n"';

function config(p: { strict: number; lax: number; strictH2: number; laxH2: number }): string {
  return `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend strict
    bind 127.0.0.1:${p.strict}
    ${ANSWER}
frontend lax
    bind 127.0.0.1:${p.lax}
    option accept-invalid-http-request
    ${ANSWER}
frontend strict_h2
    bind 127.0.0.1:${p.strictH2} proto h2
    ${ANSWER}
frontend lax_h2
    bind 127.0.0.1:${p.laxH2} proto h2
    option accept-invalid-http-request
    ${ANSWER}
`;
}

const TARGETS = ['/a#b', '/a?q=1#frag', 'http://site.test/p#x', '/plain'];

/** The status line and body of each target on HTTP/1.1, and the status (or reset) and body on HTTP/2. */
async function answers(p: { strict: number; lax: number; strictH2: number; laxH2: number }): Promise<Record<string, string>> {
  const seen: Record<string, string> = {};
  for (const [name, port] of [['strict', p.strict], ['lax', p.lax]] as const) {
    for (const target of TARGETS) {
      const raw = await rawExchange(port, `GET ${target} HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n`);
      seen[`h1 ${name} ${target}`] = `${raw.split('\r\n')[0]} ${raw.includes(' 200 ') ? raw.slice(raw.indexOf('\r\n\r\n') + 4).trim() : ''}`;
    }
  }
  for (const [name, port] of [['strict', p.strictH2], ['lax', p.laxH2]] as const) {
    const client = http2.connect(`http://127.0.0.1:${port}`);
    client.on('error', () => {});
    try {
      for (const target of ['/a#b', '/plain']) {
        seen[`h2 ${name} ${target}`] = await new Promise<string>((resolve) => {
          const req = client.request({ ':path': target, ':authority': 'site.test' });
          let status = '';
          let body = '';
          req.on('response', (h) => (status = String(h[':status'])));
          req.setEncoding('utf8');
          req.on('data', (d: string) => (body += d));
          req.on('close', () => resolve(status ? `${status} ${body.trim()}` : `reset ${req.rstCode}`));
          req.on('error', () => {});
          req.end();
        });
      }
    } finally {
      client.close();
    }
  }
  return seen;
}

async function ports(): Promise<{ strict: number; lax: number; strictH2: number; laxH2: number }> {
  return { strict: await freePort(), lax: await freePort(), strictH2: await freePort(), laxH2: await freePort() };
}

test('option accept-invalid-http-request: a # in the target is taken over HTTP/1 and HTTP/2, as HAProxy 2.6 takes it', async (t) => {
  const p = await ports();
  const e = await startEngine(config(p));
  let loadstar: Record<string, string>;
  try {
    loadstar = await answers(p);
  } finally {
    await e.stop();
  }
  assert.deepEqual(loadstar, {
    'h1 strict /a#b': 'HTTP/1.1 400 Bad request ',
    'h1 strict /a?q=1#frag': 'HTTP/1.1 400 Bad request ',
    'h1 strict http://site.test/p#x': 'HTTP/1.1 400 Bad request ',
    'h1 strict /plain': 'HTTP/1.1 200 OK path=/plain pathq=/plain query=',
    'h1 lax /a#b': 'HTTP/1.1 200 OK path=/a#b pathq=/a#b query=',
    'h1 lax /a?q=1#frag': 'HTTP/1.1 200 OK path=/a pathq=/a?q=1#frag query=q=1#frag',
    'h1 lax http://site.test/p#x': 'HTTP/1.1 200 OK path=/p#x pathq=/p#x query=',
    'h1 lax /plain': 'HTTP/1.1 200 OK path=/plain pathq=/plain query=',
    // A refused HTTP/2 request is a stream reset (PROTOCOL_ERROR), as haproxy resets it.
    'h2 strict /a#b': 'reset 1',
    'h2 strict /plain': '200 path=/plain pathq=/plain query=',
    'h2 lax /a#b': '200 path=/a#b pathq=/a#b query=',
    'h2 lax /plain': '200 path=/plain pathq=/plain query=',
  });
  if (!requireHaproxy(t)) return;
  const q = await ports();
  const h = await startHaproxy(config(q), q.strict);
  try {
    assert.deepEqual(await answers(q), loadstar);
  } finally {
    await h.stop();
  }
});

const warnings = (text: string): string[] => parseConfig([{ name: 'x.cfg', text }]).diagnostics.filter((d) => d.severity === 'warning').map((d) => d.message);

test('the relaxations llhttp does not make are named in a warning where the option is turned on, not where it is turned off', () => {
  const head = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';
  const on = `${head}    option accept-invalid-http-request\n    option accept-invalid-http-response\nfrontend f\n    bind 127.0.0.1:1\n    no option accept-invalid-http-request\n    default_backend b\nbackend b\n    server s 127.0.0.1:2\n`;
  const r = parseConfig([{ name: 'x.cfg', text: on }]);
  assert.ok(r.ok);
  assert.equal(r.config.proxies.find((p) => p.name === 'f')!.options['accept-invalid-http-request']?.enabled, false);
  assert.equal(r.config.proxies.find((p) => p.name === 'b')!.options['accept-invalid-http-response']?.enabled, true);
  assert.deepEqual(warnings(on), [
    "'option accept-invalid-http-request' : a '#' in request targets is accepted; bytes above 127 in the target, header names outside RFC 7230's token characters, HTTP/0.9 and versions other than HTTP/<digit>.<digit> are still refused with 400 (Node's HTTP parser frames every request and does not relax them).",
    "'option accept-invalid-http-response' : response header names outside RFC 7230's token characters and versions other than HTTP/<digit>.<digit> are still answered with 502 (Node's HTTP parser frames every response and does not relax them).",
  ]);
  assert.deepEqual(warnings(`${head}frontend f\n    bind 127.0.0.1:1\n    no option accept-invalid-http-request\n    http-request return status 200\n`), []);
});
