/**
 * TLS passthrough routed by SNI (`tcp-request inspect-delay` + `tcp-request
 * content` + `use_backend … if { req.ssl_sni … }`), end to end with real TLS
 * servers and verifying clients, and the same clients sent through real
 * HAProxy: each lands on the same backend with the same log verdict
 * (backend/server and termination state of the tcplog line).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { startEngine, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { startTlsBackends, tlsClient, rawClient } from './tls-clients.ts';
import type { TlsBackends, ClientResult } from './tls-clients.ts';

const INSPECT_DELAY = 300;

function configText(port: number, ports: Record<string, number>, { frontend, siteB = '' }: Rules): string {
  return `global
    log stdout format raw local0
defaults
    mode tcp
    log global
    option tcplog
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend tls_in
    bind 127.0.0.1:${port}
${frontend}
    use_backend site_a if { req.ssl_sni -i nas.home.arpa }
    use_backend site_b if { req.ssl_sni -i git.home.arpa }
    default_backend fallback
backend site_a
    server a 127.0.0.1:${ports.site_a}
backend site_b
${siteB}    server b 127.0.0.1:${ports.site_b}
backend fallback
    server f 127.0.0.1:${ports.fallback}
`;
}

/** Content rules of the frontend, and of backend site_b. */
interface Rules {
  frontend: string;
  siteB?: string;
}

/** The classic configuration: wait for a complete ClientHello, then switch on its SNI. */
const CLASSIC: Rules = {
  frontend: `    tcp-request inspect-delay ${INSPECT_DELAY}ms
    tcp-request content accept if { req.ssl_hello_type 1 }`,
};

/** Stricter: plain HTTP is refused at once, anything that is not a ClientHello when the delay expires too. */
const STRICT: Rules = {
  frontend: `    tcp-request inspect-delay ${INSPECT_DELAY}ms
    tcp-request content reject if { req.payload(0,4) -m bin 47455420 }
    tcp-request content accept if { req.ssl_hello_type 1 }
    tcp-request content reject`,
};

/** No delay: one pass at once on what is there, i.e. nothing yet (the manual's "racy" setup). */
const NO_DELAY: Rules = {
  frontend: `    tcp-request content accept if { req.ssl_hello_type 1 }
    tcp-request content reject if { req.len gt 0 }`,
};

/** A backend's own content rules run after switching; variables set by the frontend's rules are still there. */
const BACKEND_RULES: Rules = {
  frontend: `    tcp-request inspect-delay ${INSPECT_DELAY}ms
    tcp-request content set-var(sess.sni) req.ssl_sni
    tcp-request content accept if { req.ssl_hello_type 1 }`,
  siteB: `    tcp-request inspect-delay ${INSPECT_DELAY}ms
    tcp-request content reject if { var(sess.sni) -m end git.home.arpa } { req.len gt 100 }
`,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Client = (port: number) => Promise<ClientResult>;

const CLIENTS: Record<string, Client> = {
  'SNI nas.home.arpa': (port) => tlsClient(port, { servername: 'nas.home.arpa' }),
  'SNI git.home.arpa': (port) => tlsClient(port, { servername: 'git.home.arpa' }),
  'SNI other.home.arpa': (port) => tlsClient(port, { servername: 'other.home.arpa' }),
  'no SNI': (port) => tlsClient(port, { expectName: 'site.home.arpa' }),
  'ClientHello in two segments': (port) => tlsClient(port, { servername: 'git.home.arpa', splitAfter: 10 }),
  'plain HTTP': (port) => rawClient(port, (s) => s.write('GET / HTTP/1.1\r\nhost: nas.home.arpa\r\n\r\n')),
  'silent past the inspect delay': (port) => rawClient(port, (s) => setTimeout(() => s.destroy(), INSPECT_DELAY + 400)),
  'FIN without data': (port) => rawClient(port, (s) => s.end()),
  'reset without data': (port) => rawClient(port, (s) => setTimeout(() => (s as net.Socket).resetAndDestroy(), 100)),
};

interface Outcome {
  /** Backend whose server got the TCP connection ('' when none). */
  landed: string;
  /** What the TLS server said (its name) when the handshake went through. */
  answer: string;
  /** backend/server, Tw/Tc/Tt (-1 kept, other numbers as N) and termination state from the tcplog line. */
  log: string;
}

/** Runs every client in turn; `logs()` returns the proxy's log lines so far. */
async function runClients(port: number, backends: TlsBackends, logs: () => string[]): Promise<Record<string, Outcome>> {
  const outcomes: Record<string, Outcome> = {};
  for (const [name, client] of Object.entries(CLIENTS)) {
    backends.landed.length = 0;
    const result = await client(port);
    let line: string | undefined;
    for (let i = 0; i < 200 && !line; i++) {
      line = logs().find((l) => l.startsWith(`127.0.0.1:${result.localPort} `));
      if (!line) await sleep(10);
    }
    const m = line ? /\] \S+ (\S+) (\S+) \d+ (\S\S) /.exec(line) : null;
    const timers = m?.[2]!.split('/').map((t) => (t === '-1' ? t : 'N')).join('/');
    outcomes[name] = { landed: backends.landed.join(','), answer: result.answer, log: m ? `${m[1]} ${timers} ${m[3]}` : `no log line (${line})` };
  }
  return outcomes;
}

async function throughLoadstar(contentRules: Rules, backends: TlsBackends): Promise<Record<string, Outcome>> {
  const e = await startEngine(configText(await freePort(), backends.ports, contentRules));
  try {
    return await runClients(e.port, backends, () => e.logs);
  } finally {
    await e.stop();
  }
}

async function throughHaproxy(contentRules: Rules, backends: TlsBackends): Promise<Record<string, Outcome>> {
  const port = await freePort();
  const h = await startHaproxy(configText(port, backends.ports, contentRules), port);
  // startHaproxy's readiness probe (connect, close) may still be on its way to a backend.
  await sleep(300);
  try {
    return await runClients(port, backends, () => h.output().split('\n'));
  } finally {
    await h.stop();
  }
}

async function withBackends(fn: (b: TlsBackends) => Promise<void>): Promise<void> {
  const backends = await startTlsBackends({ site_a: 'sites/nas.home.arpa.pem', site_b: 'sites/git.home.arpa.pem', fallback: 'site.pem' });
  try {
    await fn(backends);
  } finally {
    await backends.close();
  }
}

test('SNI routing passes TLS through untouched: each client verifies its own backend\'s certificate', async () => {
  await withBackends(async (backends) => {
    const got = await throughLoadstar(CLASSIC, backends);
    assert.deepEqual(got['SNI nas.home.arpa'], { landed: 'site_a', answer: 'site_a', log: 'site_a/a N/N/N --' });
    assert.deepEqual(got['SNI git.home.arpa'], { landed: 'site_b', answer: 'site_b', log: 'site_b/b N/N/N --' });
    assert.deepEqual(got['SNI other.home.arpa'], { landed: 'fallback', answer: 'fallback', log: 'fallback/f N/N/N --' });
    assert.deepEqual(got['no SNI'], { landed: 'fallback', answer: 'fallback', log: 'fallback/f N/N/N --' });
    assert.deepEqual(got['ClientHello in two segments'], { landed: 'site_b', answer: 'site_b', log: 'site_b/b N/N/N --' });
    // Not TLS: the accept rule fails at once (not a handshake record), no rule matches, so the default accept applies.
    assert.deepEqual(got['plain HTTP'], { landed: 'fallback', answer: '', log: 'fallback/f N/N/N --' });
    // Nothing before the delay expires: the last pass is final, the hello is missing, fallback it is.
    assert.deepEqual(got['silent past the inspect delay'], { landed: 'fallback', answer: '', log: 'fallback/f N/N/N --' });
    assert.deepEqual(got['FIN without data'], { landed: 'fallback', answer: '', log: 'fallback/f N/N/N --' });
    // Gone before a decision: nothing is connected, the log still names the backend the switching rules chose.
    assert.deepEqual(got['reset without data'], { landed: '', answer: '', log: 'fallback/<NOSRV> -1/-1/N CR' });
  });
});

test('reject rules close the connection before any server is contacted, logged as PR', async () => {
  await withBackends(async (backends) => {
    const got = await throughLoadstar(STRICT, backends);
    assert.deepEqual(got['SNI nas.home.arpa'], { landed: 'site_a', answer: 'site_a', log: 'site_a/a N/N/N --' });
    assert.deepEqual(got['plain HTTP'], { landed: '', answer: '', log: 'tls_in/<NOSRV> -1/-1/N PR' });
    assert.deepEqual(got['silent past the inspect delay'], { landed: '', answer: '', log: 'tls_in/<NOSRV> -1/-1/N PR' });
    assert.deepEqual(got['FIN without data'], { landed: '', answer: '', log: 'tls_in/<NOSRV> -1/-1/N PR' });
    assert.deepEqual(got['reset without data'], { landed: '', answer: '', log: 'tls_in/<NOSRV> -1/-1/N PR' });
  });
});

test('without inspect-delay the rules decide at once, before the ClientHello is there', async () => {
  await withBackends(async (backends) => {
    const got = await throughLoadstar(NO_DELAY, backends);
    assert.deepEqual(got['SNI nas.home.arpa'], { landed: 'fallback', answer: 'fallback', log: 'fallback/f N/N/N --' });
    assert.deepEqual(got['plain HTTP'], { landed: 'fallback', answer: '', log: 'fallback/f N/N/N --' });
  });
});

// (No differential for the no-delay case: real HAProxy itself sometimes sees the first bytes and sometimes not.)
for (const [label, rules] of [['classic', CLASSIC], ['strict', STRICT], ['backend', BACKEND_RULES]] as const) {
  test(`the same clients through real HAProxy and Loadstar land alike (${label} rules)`, async (t) => {
    if (!requireHaproxy(t)) return;
    await withBackends(async (backends) => {
      const haproxy = await throughHaproxy(rules, backends);
      const loadstar = await throughLoadstar(rules, backends);
      assert.deepEqual(loadstar, haproxy);
      if (rules === BACKEND_RULES) assert.equal(loadstar['SNI git.home.arpa']!.log, 'site_b/<NOSRV> -1/-1/N PR');
    });
  });
}
