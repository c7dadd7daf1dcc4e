/**
 * Global keywords of HAProxy 2.6 features Loadstar has no counterpart for: `maxzlibmem` (Node's zlib
 * has no memory pool) and `httpclient.*` (HAProxy's internal HTTP client). Accepted with a warning
 * that they have no effect, their arguments refused with HAProxy 2.6.12's messages, at parse time or
 * once the configuration is read (resolvers section, CA file); and `pp2-never-send-local`
 * (what it does: test/proxy/runtime/proxy-protocol.test.ts). Checked against `haproxy -c`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { certPath } from '../../helpers/tls.ts';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const site = (global: string, more = ''): string => `global\n${global}defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nfrontend web\n    bind 127.0.0.1:8080\n    http-request return status 200\n${more}`;
const resolvers = 'resolvers dns\n    nameserver n 127.0.0.1:53\n';

const CASES: ParseCase[] = [
  { text: site('    maxzlibmem 10\n'), valid: true },
  { text: site('    maxzlibmem x\n'), valid: true }, // atol: 0
  { text: site('    maxzlibmem\n'), valid: false, message: "'maxzlibmem' expects an integer argument." },
  { text: site('    maxzlibmem 10 x\n'), valid: false, message: "'maxzlibmem' cannot handle unexpected argument 'x'." },
  { text: site('    httpclient.resolvers.id dns\n', resolvers), valid: true },
  { text: site('    httpclient.resolvers.id default\n'), valid: true },
  { text: site('    httpclient.resolvers.id foo\n', resolvers), valid: false, message: "Proxy '<HTTPCLIENT>': Can't find resolvers section 'foo' for do-resolve action." },
  { text: site('    httpclient.resolvers.id\n'), valid: false, message: "Proxy '<HTTPCLIENT>': Can't find resolvers section '' for do-resolve action." },
  { text: site('    httpclient.resolvers.id dns x\n', resolvers), valid: false, message: "'httpclient.resolvers.id' cannot handle unexpected argument 'x'." },
  { text: site('    httpclient.resolvers.prefer ipv6\n'), valid: true },
  { text: site('    httpclient.resolvers.prefer x\n'), valid: false, message: "'httpclient.resolvers.prefer' expects 'ipv4' or 'ipv6' as argument." },
  { text: site('    httpclient.resolvers.prefer\n'), valid: false, message: "'httpclient.resolvers.prefer' expects 'ipv4' or 'ipv6' as argument." },
  { text: site('    httpclient.resolvers.prefer ipv4 x\n'), valid: false, message: "'httpclient.resolvers.prefer' cannot handle unexpected argument 'x'." },
  { text: site('    httpclient.ssl.verify none\n'), valid: true },
  { text: site('    httpclient.ssl.verify required\n'), valid: true },
  { text: site('    httpclient.ssl.verify x\n'), valid: false, message: "'httpclient.ssl.verify' expects 'none' or 'required' as argument." },
  { text: site(`    httpclient.ssl.ca-file ${certPath('ca.pem')}\n`), valid: true },
  { text: site('    httpclient.ssl.ca-file /nonexistent/ca.pem\n'), valid: false, message: "Couldn't open the ca-file '/nonexistent/ca.pem' (No such file or directory)." },
  { text: site('    httpclient.ssl.verify none\n    httpclient.ssl.ca-file /nonexistent/ca.pem\n'), valid: true },
  { text: site('    httpclient.ssl.ca-file /nonexistent/ca.pem\n    httpclient.ssl.verify none\n'), valid: true },
  { text: site('    httpclient.ssl.ca-file a b\n'), valid: false, message: "'httpclient.ssl.ca-file' cannot handle unexpected argument 'b'." },
  { text: site('    pp2-never-send-local\n'), valid: true },
  { text: site('    pp2-never-send-local x\n'), valid: false, message: "'pp2-never-send-local' cannot handle unexpected argument 'x'." },
];

test('maxzlibmem, httpclient.* and pp2-never-send-local: accepted or refused with HAProxy 2.6\'s messages', () => {
  assertLoadstarParses(CASES);
});

test('haproxy -c agrees on them', (t) => {
  assertHaproxyParses(t, CASES);
});

test('maxzlibmem and httpclient.* warn that they have no effect; pp2-never-send-local is recorded', () => {
  const r = parseConfig([{ name: 'g.cfg', text: site('    maxzlibmem 10\n    httpclient.ssl.verify none\n    pp2-never-send-local\n') }]);
  assert.deepEqual(r.diagnostics.map((d) => d.message), [
    "'maxzlibmem' has no effect in Loadstar and is ignored (compression uses Node's zlib, without a memory pool).",
    "'httpclient.ssl.verify' has no effect in Loadstar and is ignored (Loadstar has no internal HTTP client).",
  ]);
  assert.ok(r.ok && r.config.global.pp2NeverSendLocal);
});
