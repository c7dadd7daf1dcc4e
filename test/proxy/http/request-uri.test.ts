/**
 * The request URI as HAProxy 2.6 holds it. An HTTP/2 request with :scheme and :authority has it in
 * absolute form: `url` gives `http://site/path` and `url_beg /` does not match it, `replace-uri`
 * applies to it (and its result, absolute or not, is what an HTTP/1 server gets), while path rules
 * keep the request normalized (the server gets the path). `set-uri` / `replace-uri` with an authority
 * make it the Host header (http_update_host); set-path / set-pathq / set-query keep an absolute-form
 * target's scheme and authority, and set-query an emptied `?`. The same requests, over HTTP/2 and
 * HTTP/1.1 (absolute-form, origin-form, HTTP/1.0 without Host, `*`), go to Loadstar and, where
 * installed, to haproxy with the same configuration: what the rules see and what the server gets
 * must be the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { startEngine, rawExchange, freePort } from '../../helpers/net.ts';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { echoServer } from './lib/echo-server.ts';

/** Frontends by name: the rules each runs before going to the echo origin (`fetches` answers itself). */
const FRONTENDS: ReadonlyArray<readonly [string, string]> = [
  ['fetches', `acl ub url_beg /x
    acl ubh url_beg http://
    http-request set-var(txn.ub) str(yes) if ub
    http-request set-var(txn.ubh) str(yes) if ubh
    http-request return status 200 content-type text/plain lf-string "url=%[url] path=%[path] pathq=%[pathq] base=%[base] query=%[query] urlp=%[url_param(a)] ub=%[var(txn.ub)] ubh=%[var(txn.ubh)] capuri=%[capture.req.uri] HU=%HU r=%r\\n"`],
  ['plain', 'http-request set-header x-url %[url]'],
  ['seturi', 'http-request set-uri /new%[path]'],
  ['seturiabs', 'http-request set-uri http://u:p@other.test:81/abs?z'],
  ['replaceuri', 'http-request replace-uri ([^/:]*://[^/]*)?(.*) \\1/foo\\2'],
  ['replacesame', 'http-request replace-uri (.*) \\1'],
  ['setpath', 'http-request set-path /p2'],
  ['setpathq', 'http-request set-pathq /pq'],
  ['setquery', 'http-request set-query z=9'],
  ['emptyquery', 'http-request set-query %[str()]'],
  ['replacepath', 'http-request replace-path /x(.*) /y\\1'],
];

type Ports = { h2: number[]; h1: number[] };

function config(p: Ports, origin: number): string {
  return `defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
${FRONTENDS.map(([name, rules], i) => `frontend ${name}
    bind 127.0.0.1:${p.h2[i]} proto h2
    bind 127.0.0.1:${p.h1[i]}
    ${rules}
    default_backend app
`).join('')}backend app
    server origin 127.0.0.1:${origin}
`;
}

function h2Request(port: number, headers: http2.OutgoingHttpHeaders): Promise<string> {
  return new Promise((resolve) => {
    const client = http2.connect(`http://127.0.0.1:${port}`);
    client.on('error', () => {});
    // END_STREAM on the HEADERS frame: no body, so nothing is forwarded chunked to the echo origin.
    const req = client.request(headers, { endStream: true });
    let status = '';
    let body = '';
    req.on('response', (h) => (status = String(h[':status'])));
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('close', () => { client.close(); resolve(`${status || `reset ${req.rstCode}`} ${body.trim()}`); });
    req.on('error', () => {});
  });
}

const H1 = {
  absolute: 'GET http://site.test/x/y?a=1 HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n',
  origin: 'GET /x/y?a=1 HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n',
  'http/1.0 without host': 'GET /x/y?a=1 HTTP/1.0\r\n\r\n',
  asterisk: 'OPTIONS * HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n',
};

/** Per frontend and request: the fetches' answer, or the head the origin received. */
async function observe(p: Ports): Promise<Record<string, string>> {
  const seen: Record<string, string> = {};
  for (const [i, [name]] of FRONTENDS.entries()) {
    seen[`${name} h2 :authority`] = await h2Request(p.h2[i]!, { ':path': '/x/y?a=1&b=2', ':authority': 'site.test' });
    seen[`${name} h2 host header`] = await h2Request(p.h2[i]!, { ':path': '/x/y?a=1', host: 'site.test' });
    if (name === 'fetches' || name === 'plain') seen[`${name} h2 OPTIONS *`] = await h2Request(p.h2[i]!, { ':method': 'OPTIONS', ':path': '*', ':authority': 'site.test' });
    for (const [kind, text] of Object.entries(H1)) {
      const raw = await rawExchange(p.h1[i]!, text);
      seen[`${name} h1 ${kind}`] = raw.slice(raw.indexOf('\r\n\r\n') + 4).trim();
    }
  }
  return seen;
}

async function ports(): Promise<Ports> {
  const p: Ports = { h2: [], h1: [] };
  for (let i = 0; i < FRONTENDS.length; i++) {
    p.h2.push(await freePort());
    p.h1.push(await freePort());
  }
  return p;
}

test('the request URI over HTTP/2 and HTTP/1: what url, url_beg and the URI rules see and what the server gets, as HAProxy 2.6', async (t) => {
  const origin = await echoServer();
  try {
    const p = await ports();
    const e = await startEngine(config(p, origin.port));
    let loadstar: Record<string, string>;
    try {
      loadstar = await observe(p);
    } finally {
      await e.stop();
    }
    // The HTTP/2 request with :authority, spelled out (the whole table is compared with haproxy below).
    assert.equal(loadstar['fetches h2 :authority'], '200 url=http://site.test/x/y?a=1&b=2 path=/x/y pathq=/x/y?a=1&b=2 base=site.test/x/y query=a=1&b=2 urlp=1 ub= ubh=yes capuri=/x/y?a=1&b=2 HU=http://site.test/x/y?a=1&b=2 r=GET http://site.test/x/y?a=1&b=2 HTTP/2.0');
    assert.equal(loadstar['fetches h2 host header'], '200 url=/x/y?a=1 path=/x/y pathq=/x/y?a=1 base=site.test/x/y query=a=1 urlp=1 ub=yes ubh= capuri=/x/y?a=1 HU=/x/y?a=1 r=GET /x/y?a=1 HTTP/2.0');
    // The asterisk is left out of the absolute form (h2_prepare_htx_reqline); an HTTP/1 server gets `OPTIONS *`.
    assert.equal(loadstar['fetches h2 OPTIONS *'], '200 url=http://site.test path= pathq= base=site.test query= urlp= ub= ubh=yes capuri= HU=http://site.test r=OPTIONS http://site.test HTTP/2.0');
    assert.match(loadstar['plain h2 OPTIONS *']!, /^200 OPTIONS \* HTTP\/1\.1\nhost: site\.test\n/);
    assert.equal(loadstar['plain h2 :authority'], '200 GET /x/y?a=1&b=2 HTTP/1.1\nhost: site.test\nx-url: http://site.test/x/y?a=1&b=2');
    assert.equal(loadstar['replaceuri h2 :authority'], '200 GET http://site.test/foo/x/y?a=1&b=2 HTTP/1.1\nhost: site.test');
    assert.equal(loadstar['replacesame h2 :authority'], '200 GET http://site.test/x/y?a=1&b=2 HTTP/1.1\nhost: site.test');
    assert.equal(loadstar['seturi h2 :authority'], '200 GET /new/x/y HTTP/1.1\nhost: site.test');
    assert.equal(loadstar['seturiabs h1 origin'], 'GET http://u:p@other.test:81/abs?z HTTP/1.1\nhost: other.test:81');
    assert.equal(loadstar['setpath h2 :authority'], '200 GET /p2?a=1&b=2 HTTP/1.1\nhost: site.test');
    assert.equal(loadstar['setpath h1 absolute'], 'GET http://site.test/p2?a=1 HTTP/1.1\nhost: site.test');
    assert.equal(loadstar['setpathq h1 asterisk'], 'OPTIONS /pq HTTP/1.1\nhost: site.test');
    assert.equal(loadstar['emptyquery h1 origin'], 'GET /x/y? HTTP/1.1\nhost: site.test');
    if (!requireHaproxy(t)) return;
    const q = await ports();
    const h = await startHaproxy(config(q, origin.port), q.h1[0]!);
    let haproxy: Record<string, string>;
    try {
      haproxy = await observe(q);
    } finally {
      await h.stop();
    }
    const differing = Object.keys(haproxy).filter((k) => loadstar[k] !== haproxy[k]).map((k) => ({ request: k, loadstar: loadstar[k], haproxy: haproxy[k] }));
    assert.deepEqual(differing, []);
  } finally {
    await origin.close();
  }
});
