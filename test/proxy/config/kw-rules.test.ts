/**
 * The arguments of http-request / tcp-request actions, where scripts/rule-args-sweep.ts found
 * Loadstar and HAProxy 2.6.12 disagreeing: each case with HAProxy's message, also run through
 * `haproxy -c` where it is installed.
 */
import { test } from 'node:test';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const config = (line: string, kind = 'listen'): string => `defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
${kind} p
    bind 127.0.0.1:18080
    ${line}
${kind === 'frontend' ? '' : '    server s1 127.0.0.1:8081\n'}`;
const rule = (r: string) => `error detected in proxy 'p' while parsing '${r}' rule : `;

const CASES: ParseCase[] = [
  // del-header -m takes the methods http_act.c handles.
  ...['str', 'beg', 'end', 'sub', 'reg'].map((m) => ({ text: config(`http-request del-header X -m ${m}`), valid: true })),
  { text: config('http-request del-header X -m found'), valid: false, message: `${rule('http-request del-header')}-m with unsupported matching method 'found'.` },
  { text: config('http-response del-header X -m abc'), valid: false, message: "-m with unsupported matching method 'abc'." },
  // set-timeout: a time (not 0, not overflowing), else a sample expression.
  { text: config('http-request set-timeout server 5s'), valid: true },
  { text: config('http-request set-timeout tunnel req.hdr(x),add(1)'), valid: true },
  { text: config('http-request set-timeout server 0'), valid: false, message: `${rule('http-request set-timeout')}null value is not valid for a 'set-timeout server' rule.` },
  { text: config('http-request set-timeout tunnel 0s'), valid: false, message: "null value is not valid for a 'set-timeout tunnel' rule." },
  { text: config('http-request set-timeout server 99999999999'), valid: false, message: "timer overflow in argument '99999999999' to rule 'set-timeout server' (maximum value is 2147483647 ms or ~24.8 days)." },
  { text: config('http-request set-timeout server 25d'), valid: false, message: "timer overflow in argument '25d' to rule 'set-timeout server' (maximum value is 2147483647 ms or ~24.8 days)." },
  { text: config('http-request set-timeout server 5x'), valid: false, message: "unexpected character 'x' in rule 'set-timeout server'." },
  { text: config('http-request set-timeout server nosuch'), valid: false, message: "unexpected character 'n' in rule 'set-timeout server'." },
  { text: config('http-request set-timeout server'), valid: false, message: `${rule('http-request set-timeout')}expects exactly 2 arguments.` },
  // wait-for-body: the time and the size overflow as HAProxy reads them.
  { text: config('http-request wait-for-body time 1s at-least 4g'), valid: false, message: "unexpected character 'g'" },
  { text: config('http-request wait-for-body time 1s at-least 4294967295'), valid: true },
  { text: config('http-request wait-for-body time 1s at-least 4294967296'), valid: false, message: `${rule('http-request wait-for-body')}unexpected character '6'.` },
  { text: config('http-request wait-for-body time 1s at-least 10kx'), valid: false, message: "unexpected character 'x'." },
  { text: config('http-request wait-for-body time 99999999999'), valid: false, message: `${rule('http-request wait-for-body')}time overflow (maximum value is 2147483647 ms or ~24.8 days).` },
  // use-service: prometheus-exporter answers http-request rules only.
  { text: config('http-request use-service prometheus-exporter'), valid: true },
  { text: config('http-request use-service'), valid: false, message: `${rule('http-request use-service')}'use-service' expects a service name.` },
  { text: config('http-request use-service nosuch'), valid: false, message: `${rule('http-request use-service')}'nosuch' unknown service name.` },
  { text: config('http-request use-service prometheus-exporter junk'), valid: false, message: "'http-request use-service' expects either 'if' or 'unless' followed by a condition but found 'junk'." },
  { text: config('tcp-request content use-service prometheus-exporter'), valid: false, message: "Prometheus exporter service only available on 'http-request' rulesets" },
  { text: config('tcp-request content use-service nosuch'), valid: false, message: "'content' unknown service name." },
  { text: config('tcp-request content use-service'), valid: false, message: "'tcp-request' expects a service name." },
  // tcp-request capture fills the stream's slots: content rules only.
  { text: config('tcp-request content capture src len 10'), valid: true },
  { text: config('tcp-request content capture len 10'), valid: false, message: "'tcp-request content capture' : unknown fetch method 'len'" },
  { text: config('tcp-request content capture src 10'), valid: false, message: "'tcp-request content capture' : a positive 'len' argument is mandatory" },
  { text: config('tcp-request content capture src len 0'), valid: false, message: "'tcp-request content capture' : length must be > 0" },
  { text: config('tcp-request content capture src len 10 foo'), valid: false, message: "'tcp-request content capture' only accepts 'if' or 'unless', in proxy 'p' (got 'foo')" },
  { text: config('tcp-request connection capture src len 10'), valid: false, message: "'capture src' is not allowed in 'tcp-request connection' rules in proxy 'p'" },
  { text: config('tcp-request session capture src len 10', 'frontend'), valid: false, message: "'capture src' is not allowed in 'tcp-request session' rules in frontend 'p'" },
  // An action no rule set has: HAProxy's list of its actions, in its order.
  { text: config('http-request nosuchx'), valid: false, message: "'http-request' expects 'wait-for-handshake', 'ot-group', 'set-log-level', 'set-nice', 'use-service', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', 'do-resolve(*)', 'cache-use', 'add-acl(*)', 'add-header', 'allow', 'auth', 'capture', 'del-acl(*)', 'del-header', 'del-map(*)', 'deny', 'disable-l7-retry', 'early-hint', 'normalize-uri', 'redirect', 'reject', 'replace-header', 'replace-path', 'replace-pathq', 'replace-uri', 'replace-value', 'return', 'set-header', 'set-map(*)', 'set-method', 'set-path', 'set-pathq', 'set-query', 'set-uri', 'strict-mode', 'tarpit', 'track-sc(*)', 'set-timeout', 'wait-for-body', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-dst', 'set-dst-port', 'set-mark', 'set-src', 'set-src-port', 'set-tos', 'silent-drop', 'set-priority-class', 'set-priority-offset', but got 'nosuchx'." },
  { text: config('http-response nosuchx'), valid: false, message: "'http-response' expects 'ot-group', 'set-log-level', 'set-nice', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', 'cache-store', 'add-acl(*)', 'add-header', 'allow', 'capture', 'del-acl(*)', 'del-header', 'del-map(*)', 'deny', 'redirect', 'replace-header', 'replace-value', 'return', 'set-header', 'set-map(*)', 'set-status', 'strict-mode', 'track-sc(*)', 'wait-for-body', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-mark', 'set-tos', 'silent-drop', but got 'nosuchx'." },
  { text: config('http-after-response nosuchx'), valid: false, message: "'http-after-response' expects 'ot-group', 'add-header', 'allow', 'capture', 'del-header', 'replace-header', 'replace-value', 'set-header', 'set-status', 'strict-mode', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', but got 'nosuchx'." },
  { text: config('tcp-request connection nosuchx'), valid: false, message: "'tcp-request connection' expects 'accept', 'reject', 'capture', 'expect-proxy', 'expect-netscaler-cip', 'track-sc0' ... 'track-sc2', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-dst', 'set-dst-port', 'set-mark', 'set-src', 'set-src-port', 'set-tos', 'silent-drop' in proxy 'p' (got 'nosuchx')." },
  { text: config('tcp-request connection switch-mode http'), valid: false, message: "'tcp-request connection' expects 'accept', 'reject', 'capture', 'expect-proxy', 'expect-netscaler-cip', 'track-sc0' ... 'track-sc2', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-dst', 'set-dst-port', 'set-mark', 'set-src', 'set-src-port', 'set-tos', 'silent-drop' in proxy 'p' (got 'switch-mode')." },
  { text: config('tcp-request content nosuchx'), valid: false, message: "'tcp-request content' expects 'accept', 'reject', 'capture', 'expect-proxy', 'expect-netscaler-cip', 'track-sc0' ... 'track-sc2', 'ot-group', 'set-log-level', 'set-nice', 'switch-mode', 'use-service', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', 'do-resolve(*)', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-src', 'set-src-port', 'set-dst', 'set-dst-port', 'set-mark', 'set-tos', 'silent-drop', 'set-priority-class', 'set-priority-offset' in proxy 'p' (got 'nosuchx')." },
  // deny/return/tarpit status, set-status, capture, track-sc tables: HAProxy's words.
  { text: config('http-request deny deny_status'), valid: false, message: `${rule('http-request deny')}'status' expects <status_code> as argument.` },
  { text: config('http-request return status'), valid: false, message: "'status' expects <status_code> as argument." },
  // An error page stands for the answer only for the codes HAProxy has one for (http_err_codes).
  { text: config('http-request deny deny_status 204'), valid: false, message: `${rule('http-request deny')}status code '204' not handled by default with 'default-errorfiles' argument.` },
  { text: config('http-request tarpit deny_status 599'), valid: false, message: `${rule('http-request tarpit')}status code '599' not handled by default with 'default-errorfiles' argument.` },
  { text: config('http-request return status 204 default-errorfiles'), valid: false, message: "status code '204' not handled by default with 'default-errorfiles' argument." },
  { text: config('http-response deny deny_status 302'), valid: false, message: "status code '302' not handled by default with 'default-errorfiles' argument." },
  { text: config('http-request deny status 204'), valid: true },
  { text: config('http-request deny deny_status 421'), valid: true },
  { text: config('http-request deny deny_status 422'), valid: true },
  { text: config('http-response set-status 200 reason'), valid: false, message: "'http-response set-status' expects either 'if' or 'unless' followed by a condition but found 'reason'." },
  { text: config('http-response set-status 200 reason a b'), valid: false, message: "'http-response set-status' expects either 'if' or 'unless' followed by a condition but found 'b'." },
  { text: config('http-after-response set-status 200 ok'), valid: false, message: "'http-after-response set-status' expects either 'if' or 'unless' followed by a condition but found 'ok'." },
  { text: config('http-response set-status 200 reason ok'), valid: true },
  { text: config('http-request capture req.hdr(x)'), valid: false, message: `${rule('http-request capture')}expects <expression> [ 'len' <length> | id <idx> ].` },
  { text: config('http-request capture req.hdr(x) foo 1'), valid: false, message: "expects 'len' or 'id', found 'foo'." },
  { text: config('http-response capture res.hdr(x)'), valid: false, message: `${rule('http-response capture')}expects <expression> id <idx>.` },
  { text: config('http-response capture res.hdr(x) foo 1'), valid: false, message: "expects 'id', found 'foo'." },
  { text: config('http-request track-sc0 src table nosuch'), valid: false, message: "Proxy 'p': unable to find table 'nosuch' referenced by track-sc0." },
  { text: config('tcp-request content track-sc2 src', 'frontend'), valid: false, message: "Proxy 'p': unable to find table 'p' referenced by track-sc2." },
  // HAProxy's "Did you mean" (action.c action_suggest: word fingerprints, its keyword order).
  { text: config('http-request sett-header X a'), valid: false, message: "but got 'sett-header'. Did you mean 'set-header' maybe ?" },
  { text: config('http-response tarpit'), valid: false, message: "but got 'tarpit'. Did you mean 'set-var' maybe ?" },
  { text: config('http-request redirct location /'), valid: false, message: "but got 'redirct'. Did you mean 'redirect' maybe ?" },
  { text: config('http-request'), valid: false, message: "'set-priority-offset', but got '' (missing argument)." },
  { text: config('tcp-request content acept'), valid: false, message: "(got 'acept'). Did you mean 'accept' maybe ?" },
  { text: config('tcp-request session trak-sc0 src', 'frontend'), valid: false, message: "(got 'trak-sc0'). Did you mean 'track-sc' maybe ?" },
  { text: config('tcp-response content clos'), valid: false, message: "(got 'clos'). Did you mean 'close' maybe ?" },
];

test('Loadstar reads the arguments of these actions as HAProxy does', () => {
  assertLoadstarParses(CASES);
});

test('haproxy -c reads them the same way', (t) => {
  assertHaproxyParses(t, CASES);
});
