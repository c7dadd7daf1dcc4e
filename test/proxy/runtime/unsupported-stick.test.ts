/**
 * Stick tables run for rate limiting (proxy/stick): a configuration with
 * stick-table, tcp-request connection/content track-sc and http-request
 * track-sc is no longer refused, nor are stick on|match|store persistence and
 * server_id; what the engine does not run yet (bytes/gpt data types) still
 * is, with its line. (The parser itself refuses peers on other hosts and
 * http-response track-sc.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, formatDiagnostics } from '../../../proxy/config/index.ts';
import { unsupportedFeatures } from '../../../proxy/runtime/unsupported.ts';

const parse = (text: string) => {
  const result = parseConfig([{ name: 't.cfg', text }]);
  assert.ok(result.ok, result.ok ? '' : formatDiagnostics(result.diagnostics));
  return result.config;
};

test('the rate-limiting pattern loads: stick-table, tcp-request track-sc and reject, http-request track-sc and deny', () => {
  const config = parse(`defaults
    timeout connect 1s
    timeout client 1s
    timeout server 1s
backend st_src
    stick-table type ip size 100k expire 30s store http_req_rate(10s),conn_cur,conn_rate(3s),gpc0,http_err_rate(10s)
listen db
    mode tcp
    bind 127.0.0.1:2
    stick-table type ip size 1k store conn_cnt
    tcp-request content track-sc1 src
    tcp-request content reject if { sc1_conn_cnt gt 10 }
    server s1 127.0.0.1:3
frontend web
    mode tcp
    bind 127.0.0.1:1
    tcp-request connection track-sc0 src table st_src
    tcp-request connection reject if { sc_conn_cur(0) gt 20 }
    default_backend db
frontend www
    mode http
    bind 127.0.0.1:4
    http-request track-sc0 src table st_src
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100 }
    default_backend app
backend app
    mode http
    server s1 127.0.0.1:3
`);
  assert.deepEqual(unsupportedFeatures(config), []);
});

test('stick on and server_id load; data types the engine does not keep are still refused at their lines', () => {
  const config = parse(`defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
backend b
    stick-table type ip size 1k store bytes_in_rate(10s),server_id
    stick on src
    server s1 127.0.0.1:3
`);
  assert.deepEqual(unsupportedFeatures(config).map((u) => `${u.line} ${u.what}`), [
    `7 'stick-table … store bytes_in_rate'`,
  ]);
});
