/**
 * capture.req.method and capture.req.uri read the request line HAProxy keeps for the log
 * (txn->uri): a frontend whose log-format strings never ask for it (HAProxy's LW_REQ) keeps none,
 * and the fetches find nothing there. Side by side with haproxy 2.6.12, one frontend per case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, request, startNamedServer } from '../../helpers/net.ts';
import { sideBySide } from './lib/side-by-side.ts';

/** Each frontend's own lines, and whether it keeps the request line. */
const FRONTENDS: Array<[lines: string, kept: boolean]> = [
  ['', false],
  ['option httplog', true],
  ['log-format %ci:%cp', false],
  ['log-format "%ci %[src]"', true],
  ['http-request set-header x-h %[src]', false],
  ['http-request deny if { path /nope }\n    http-request set-header x-h %[src]', true],
  ['http-request set-var-fmt(txn.x) %rt', true],
];

test('capture.req.method and capture.req.uri find the request line only where the frontend keeps it for its log, as haproxy 2.6.12', async (t) => {
  const origin = await startNamedServer('app');
  // The extra frontends' ports: Loadstar and haproxy run one after the other, so both use the same.
  const ports = await Promise.all(FRONTENDS.map(() => freePort()));
  const config = (port: number) => `defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
${FRONTENDS.map(([lines], i) => `frontend fe${i}
    bind 127.0.0.1:${ports[i]}
    ${lines}
    http-request set-var(txn.uri) capture.req.uri
    http-request set-var(txn.method) capture.req.method
    http-response set-header x-captured "%[var(txn.method)] %[var(txn.uri)]"
    default_backend app
`).join('')}frontend main
    bind 127.0.0.1:${port}
    default_backend app
backend app
    server s1 127.0.0.1:${origin.port}
`;
  try {
    await sideBySide(t, config, async () => {
      const seen: string[] = [];
      for (const [i, [lines]] of FRONTENDS.entries()) {
        const res = await request(ports[i]!, '/a/b?c=1');
        seen.push(`${lines.replace(/\n\s+/g, ' | ') || '(nothing)'}: ${res.headers['x-captured']}`);
      }
      assert.deepEqual(seen, FRONTENDS.map(([lines, kept]) => `${lines.replace(/\n\s+/g, ' | ') || '(nothing)'}: ${kept ? 'GET /a/b?c=1' : ''}`));
    });
  } finally {
    await origin.close();
  }
});
