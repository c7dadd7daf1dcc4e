/**
 * Pattern files (`-f`) and map files, as HAProxy loads them while reading the configuration: the
 * files of anonymous ACLs (`if { path -f x.lst }`) are opened like a declared ACL's, every line must
 * parse for the ACL's method, a map file's keys for the converter's matching method and its values
 * for its output type, and the map files of the sample expressions of rule actions (set-var,
 * track-sc, capture, set-src, sc-set-gpt, stick …) are loaded as well. Each case is also run
 * through `haproxy -c` where it is installed.
 */
import { test, after } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertHaproxyParses, assertLoadstarParses, type ParseCase } from './lib/parse-cases.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-conditions-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};
const strMap = file('str.map', '# comment\n\n1 2\na b\n');
const intMap = file('int.map', '1 2\n3 4\n');
const ints = file('ints.lst', '1\n\n  a  \n');
const good = file('good.lst', '1\n2:3\n');
const missing = path.join(dir, 'nosuch.lst');

const config = (line: string): string => `defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
listen p
    bind 127.0.0.1:18080
    stick-table type string size 1k
    ${line}
    server s1 127.0.0.1:8081
`;
const rule = (r: string) => `error detected in proxy 'p' while parsing '${r}' rule : `;
const conv = (c: string) => `invalid args in converter '${c}' : `;

const CASES: ParseCase[] = [
  // Files that load.
  { text: config(`acl x path_len -f ${good}`), valid: true },
  { text: config(`http-request deny if { path_len -f ${good} }`), valid: true },
  { text: config(`http-request set-var(txn.v) int(1),map_int_int(${intMap})`), valid: true },
  { text: config(`http-request set-var(txn.v) str(a),map(${strMap})`), valid: true },
  { text: config(`http-request deny if { path -f ${strMap} }`), valid: true },
  // An anonymous ACL's pattern file.
  { text: config(`http-request deny if { path -f ${missing} }`), valid: false, message: `error detected while parsing an 'http-request deny' condition : failed to open pattern file <${missing}>.` },
  { text: config(`use_backend p if !{ path -f ${missing} }`), valid: false, message: `error detected while parsing switching rule : failed to open pattern file <${missing}>.` },
  { text: config(`tcp-request content reject if { path -f ${missing} }`), valid: false, message: `'tcp-request content reject' : error detected in proxy 'p' while parsing 'if' condition : failed to open pattern file <${missing}>` },
  { text: config(`http-request deny if { path_len -f ${ints} }`), valid: false, message: `condition : 'a  ' is not a number at line 3 of file '${ints}'.` },
  // A declared ACL's pattern file must parse for its method.
  { text: config(`acl x path_len -f ${ints}`), valid: false, message: `error detected while parsing ACL 'x' : 'a  ' is not a number at line 3 of file '${ints}'.` },
  { text: config(`acl x src -f ${ints}`), valid: false, message: `error detected while parsing ACL 'x' : 'a  ' is not a valid IPv4 or IPv6 address at line 3 of file '${ints}'.` },
  { text: config(`acl x path_len -M -f ${strMap}`), valid: false, message: `error detected while parsing ACL 'x' : 'a' is not a number at line 4 of file '${strMap}'.` },
  // A map file's values are read as the converter's output type, then its keys by its matching method.
  { text: config(`http-request set-var(txn.v) int(1),map_int_int(${strMap})`), valid: false, message: `${rule('http-request set-var(txn.v)')}${conv('map_int_int')}unable to parse 'b' at line 4 of file '${strMap}'.` },
  { text: config(`http-request set-var(txn.v) src,map_ip(${strMap})`), valid: false, message: `${conv('map_ip')}'1' is not a valid IPv4 or IPv6 address at line 3 of file '${strMap}'.` },
  { text: config(`http-request set-var(txn.v) str(a),map_reg_ip(${strMap})`), valid: false, message: `${conv('map_reg_ip')}unable to parse '2' at line 3 of file '${strMap}'.` },
  { text: config(`acl x path_len,map_int_int(${strMap}) 1`), valid: false, message: `error detected while parsing ACL 'x' : ACL keyword 'path_len' : ${conv('map_int_int')}unable to parse 'b' at line 4 of file '${strMap}'.` },
  { text: config(`acl x path,map(${missing}) -m found`), valid: false, message: `error detected while parsing ACL 'x' : ACL keyword 'path' : ${conv('map')}failed to open pattern file <${missing}>.` },
  { text: config(`http-request deny if { str(a),map_str_int(${strMap}) 1 }`), valid: false, message: `condition : ${conv('map_str_int')}unable to parse 'b' at line 4 of file '${strMap}' in ACL expression 'str(a),map_str_int(${strMap})'.` },
  { text: config(`http-request set-header X %[str(a),map_int(${strMap})]`), valid: false, message: `${conv('map_int')}'a' is not a number at line 4 of file '${strMap}'.` },
  // The map files of the sample expressions of actions.
  { text: config(`http-request set-var(txn.v) str(a),map(${missing})`), valid: false, message: `${rule('http-request set-var(txn.v)')}${conv('map')}failed to open pattern file <${missing}>.` },
  { text: config(`http-request track-sc0 src,map(${missing})`), valid: false, message: `${rule('http-request track-sc0')}${conv('map')}failed to open pattern file <${missing}>.` },
  { text: config(`http-request capture str(a),map(${missing}) len 10`), valid: false, message: `${rule('http-request capture')}${conv('map')}failed to open pattern file <${missing}>.` },
  { text: config(`http-request set-src str(a),map(${missing})`), valid: false, message: `${rule('http-request set-src')}${conv('map')}failed to open pattern file <${missing}>.` },
  { text: config(`http-request sc-set-gpt0(0) str(a),map(${missing})`), valid: false, message: `${rule('http-request sc-set-gpt0(0)')}${conv('map')}failed to open pattern file <${missing}>.` },
  { text: config(`tcp-request content set-var(txn.v) str(a),map_int(${strMap})`), valid: false, message: `${conv('map_int')}'a' is not a number at line 4 of file '${strMap}'` },
  { text: config(`tcp-request content track-sc0 str(a),map(${missing})`), valid: false, message: `'tcp-request content track-sc0' : ${conv('map')}failed to open pattern file <${missing}>` },
  { text: config(`tcp-request content capture str(a),map(${missing}) len 10`), valid: false, message: `'tcp-request content capture' : ${conv('map')}failed to open pattern file <${missing}>` },
  { text: config(`tcp-response content set-var(txn.v) str(a),map(${missing})`), valid: false, message: `${conv('map')}failed to open pattern file <${missing}>` },
  { text: config(`stick on str(a),map(${missing})`), valid: false, message: `'stick': ${conv('map')}failed to open pattern file <${missing}>` },
  // Errors in conditions, worded as each rule's parser in HAProxy words them.
  ...([
    ['http-request deny if nosuch', "error detected while parsing an 'http-request deny' condition : no such ACL : 'nosuch'."],
    ['http-response deny if { path /a', "error detected while parsing an 'http-response deny' condition : missing closing '}' in condition."],
    ['http-request redirect location /a if nosuch', "error detected in proxy 'p' while parsing 'http-request redirect' rule : error in condition: no such ACL : 'nosuch'."],
    ['redirect location /a if { path /a', "error detected in proxy 'p' while parsing redirect rule : error in condition: missing closing '}' in condition."],
    ['tcp-request content reject unless nosuch', "'tcp-request content reject' : error detected in proxy 'p' while parsing 'unless' condition : no such ACL : 'nosuch'"],
    ['tcp-request connection accept if { }', "'tcp-request connection accept' : error detected in proxy 'p' while parsing 'if' condition : missing fetch method in ACL expression ''"],
    ['tcp-response content reject if nosuch', "'tcp-response content reject' : error detected in proxy 'p' while parsing 'if' condition : no such ACL : 'nosuch'"],
    ['use_backend p if { path /a', "error detected while parsing switching rule : missing closing '}' in condition."],
    ['use-server s1 if nosuch', "error detected while parsing switching rule : no such ACL : 'nosuch'."],
    ['stick on src if nosuch', "'stick': error detected while parsing sticking condition : no such ACL : 'nosuch'."],
    ['monitor fail if nosuch', "error detected while parsing a 'monitor fail' condition : no such ACL : 'nosuch'."],
    ['stats admin if nosuch', "error detected while parsing a 'stats admin' rule : no such ACL : 'nosuch'."],
    ['stats http-request deny if { nosuch }', "error detected while parsing an 'http-request deny' condition : unknown fetch method 'nosuch' in ACL expression 'nosuch'."],
  ] as const).map(([line, message]) => ({ text: config(line), valid: false, message })),
];

test('Loadstar loads pattern and map files as HAProxy does while reading the configuration', () => {
  assertLoadstarParses(CASES);
});

test('haproxy -c loads them the same way', (t) => {
  assertHaproxyParses(t, CASES);
});
