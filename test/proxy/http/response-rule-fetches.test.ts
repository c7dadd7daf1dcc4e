/**
 * http-response and http-after-response rules whose condition reads the request's head (path, url,
 * req.hdr, base), side by side with haproxy 2.6.12: HAProxy warns at load that such an ACL "will
 * never match", and it never does at run time (the request's head is gone once forwarded). Loadstar
 * used to match them. Fetches kept for the response (method, variables, the source address) match.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loggedHttpHead } from '../../helpers/haproxy.ts';
import { request, startNamedServer } from '../../helpers/net.ts';
import { sideBySide } from './lib/side-by-side.ts';

test('a response rule\'s ACL on the request\'s head never matches, as haproxy warns; method, variables and the source do', async (t) => {
  const origin = await startNamedServer('app');
  const config = (port: number) => `${loggedHttpHead()}frontend fe
    bind 127.0.0.1:${port}
    http-request set-var(txn.p) path
    http-request return status 200 content-type text/plain string ok if { path_beg /ret }
    http-response set-header x-path yes if { path_beg /a }
    http-response set-header x-not-path yes if !{ path_beg /a }
    http-response set-header x-reqhdr yes if { req.hdr(host) -m found }
    http-response set-header x-url yes if { url_beg /a }
    http-response set-header x-method yes if { method GET }
    http-response set-header x-var yes if { var(txn.p) -m beg /a }
    http-response set-header x-src yes if { src 127.0.0.1 }
    http-after-response set-header x-after-path yes if { path_beg / }
    http-after-response set-header x-after-var yes if { var(txn.p) -m beg / }
    default_backend app
backend app
    server s1 127.0.0.1:${origin.port}
`;
  const marks = async (port: number, path: string) => Object.keys((await request(port, path)).headers).filter((h) => h.startsWith('x-') && !['x-server', 'x-seen-url', 'x-seen-xff'].includes(h)).sort().join(' ');
  try {
    await sideBySide(t, config, async (port) => {
      assert.equal(await marks(port, '/a'), 'x-after-var x-method x-not-path x-src x-var');
      assert.equal(await marks(port, '/ret'), 'x-after-var');
    });
  } finally {
    await origin.close();
  }
});
