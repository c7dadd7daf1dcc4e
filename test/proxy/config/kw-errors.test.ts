/**
 * `http-errors` sections, `errorfile`, `errorfiles`, `errorloc*`, `http-error` and a rule's `errorfiles` in the
 * configuration: what HAProxy 2.6 refuses or warns about (each case also run through `haproxy -c`
 * where it is installed), and that the lines survive an edit made through the forms.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyEdits, formModel } from '../../../proxy/config/edit.ts';
import { parseConfig, serialize } from '../../../proxy/config/index.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-kw-errors-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const page = path.join(dir, '403.http');
fs.writeFileSync(page, 'HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno');
const badLength = path.join(dir, 'bad-length.http');
fs.writeFileSync(badLength, 'HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nnope');
const chunked = path.join(dir, 'chunked.http');
fs.writeFileSync(chunked, 'HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nno\r\n0\r\n\r\n');
const noHead = path.join(dir, 'no-head.http');
fs.writeFileSync(noHead, 'HTTP/1.1 403 Forbidden\r\nX-A: 1\r\n');

const DEFAULTS = `defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
`;

function load(text: string) {
  return parseConfig([{ name: 'x.cfg', text }]);
}

/** [what, configuration, Loadstar's message at that line (alert unless warning), line, HAProxy refuses it]. */
const CASES: Array<{ what: string; text: string; message: string; line: number; warning?: boolean }> = [
  {
    what: 'an errorfiles naming no http-errors section',
    text: `${DEFAULTS}frontend f\n    bind 127.0.0.1:8080\n    errorfiles nope\n`,
    message: "proxy 'f': unknown http-errors section 'nope' (at x.cfg:8).", line: 8,
  },
  {
    what: "a defaults section's errorfiles naming no section, reported for the proxy that inherits it",
    text: `defaults\n    mode http\n    errorfiles nope\nbackend b\n`,
    message: "proxy 'b': unknown http-errors section 'nope' (at x.cfg:3).", line: 3,
  },
  {
    what: 'a deny rule whose errorfiles names no section',
    text: `${DEFAULTS}frontend f\n    bind 127.0.0.1:8080\n    http-request deny errorfiles nope\n`,
    message: "Proxy 'f': unknown http-errors section 'nope' referenced by an http reply .", line: 8,
  },
  {
    what: 'an errorfiles status the section does not have (warning)',
    text: `http-errors site\n    errorfile 403 ${page}\n${DEFAULTS}frontend f\n    bind 127.0.0.1:8080\n    errorfiles site 404\n`,
    message: "config: proxy 'f' : status '404' not declared in http-errors section 'site' (at x.cfg:10).", line: 10, warning: true,
  },
  {
    what: "a rule's status the section does not have (warning)",
    text: `http-errors site\n    errorfile 403 ${page}\n${DEFAULTS}frontend f\n    bind 127.0.0.1:8080\n    http-request deny deny_status 404 errorfiles site\n`,
    message: "Proxy 'f': status '404' referenced by an http reply not declared in http-errors section 'site'.", line: 10, warning: true,
  },
  {
    what: 'an errorfiles status HAProxy never answers',
    text: `http-errors site\n    errorfile 403 ${page}\n${DEFAULTS}frontend f\n    bind 127.0.0.1:8080\n    errorfiles site 302\n`,
    message: "'errorfiles' : status code '302' not handled.", line: 10,
  },
  {
    what: 'an errorfile in an http-errors section with a status HAProxy never answers',
    text: `http-errors site\n    errorfile 302 ${page}\n`,
    message: "'errorfile' : status code '302' not handled.", line: 2,
  },
  {
    what: 'a missing errorfile in an http-errors section',
    text: `http-errors site\n    errorfile 403 ${dir}/missing.http\n`,
    message: `'errorfile' : error opening file '${dir}/missing.http'.`, line: 2,
  },
  {
    what: 'an errorfile whose body is not its Content-Length',
    text: `${DEFAULTS}frontend f\n    bind 127.0.0.1:8080\n    errorfile 403 ${badLength}\n`,
    message: 'payload size does not match the announced content-length (4 != 2)', line: 8,
  },
  {
    what: 'a chunked errorfile',
    text: `http-errors site\n    errorfile 403 ${chunked}\n`,
    message: 'chunk-encoded payload not supported', line: 2,
  },
  {
    what: 'an errorfile without the end of its head',
    text: `http-errors site\n    errorfile 403 ${noHead}\n`,
    message: 'unable to parse headers', line: 2,
  },
  {
    what: 'another keyword in an http-errors section',
    text: `http-errors site\n    errorloc 403 /x\n`,
    message: "unknown keyword 'errorloc' in 'http-errors' section", line: 2,
  },
  {
    what: 'two http-errors sections of one name',
    text: `http-errors site\n    errorfile 403 ${page}\nhttp-errors site\n`,
    message: "http-errors section 'site' already exists (declared at x.cfg:1).", line: 3,
  },
  {
    what: 'an http-errors section without a name',
    text: `http-errors\n    errorfile 403 ${page}\n`,
    message: 'missing name for http-errors section.', line: 1,
  },
  {
    what: 'an errorloc without its URL',
    text: `${DEFAULTS}frontend f\n    bind 127.0.0.1:8080\n    errorloc 403\n`,
    message: 'errorloc : expects <status_code> and <url> as arguments.', line: 8,
  },
  {
    what: 'an errorloc303 with a status HAProxy never answers',
    text: `${DEFAULTS}frontend f\n    bind 127.0.0.1:8080\n    errorloc303 302 /x\n`,
    message: "'errorloc303' : status code '302' not handled.", line: 8,
  },
  {
    what: 'an http-error without a status',
    text: `${DEFAULTS}frontend f\n    bind 127.0.0.1:8080\n    http-error content-type text/plain string x\n`,
    message: 'http-error : expects at least a <status> as arguments.', line: 8,
  },
  {
    what: 'an http-error with a status HAProxy never answers',
    text: `${DEFAULTS}frontend f\n    bind 127.0.0.1:8080\n    http-error status 302\n`,
    message: "http-error: status code '302' not handled.", line: 8,
  },
  {
    what: 'an http-error payload without a content type',
    text: `${DEFAULTS}frontend f\n    bind 127.0.0.1:8080\n    http-error status 503 string down\n`,
    message: 'http-error : a content type must be defined when non-empty payload is configured', line: 8,
  },
  {
    what: 'an http-error with two payloads',
    text: `${DEFAULTS}frontend f\n    bind 127.0.0.1:8080\n    http-error status 503 content-type text/plain string a file ${page}\n`,
    message: "http-error : unexpected 'file' argument, 'string' already defined", line: 8,
  },
  {
    what: 'an http-error with an unknown word',
    text: `${DEFAULTS}frontend f\n    bind 127.0.0.1:8080\n    http-error status 503 foo\n`,
    message: "http-error : unknown keyword 'foo'.", line: 8,
  },
  {
    what: 'an http-error content type without a payload (warning)',
    text: `${DEFAULTS}frontend f\n    bind 127.0.0.1:8080\n    http-error status 503 content-type text/plain\n`,
    message: "content-type 'text/plain' ignored by the http reply because neither errorfile nor payload defined.", line: 8, warning: true,
  },
];

for (const c of CASES) {
  test(`${c.what}: ${c.warning ? 'a warning' : 'refused'} at its line, as HAProxy 2.6 does`, (t) => {
    const r = load(c.text);
    const found = r.diagnostics.find((d) => d.line === c.line && d.message.includes(c.message));
    assert.ok(found, `expected "${c.message}" at line ${c.line}; got:\n${r.diagnostics.map((d) => `${d.line}: ${d.message}`).join('\n')}`);
    assert.equal(found.severity, c.warning ? 'warning' : 'alert');
    assert.equal(r.ok, c.warning === true);
    if (!requireHaproxy(t)) return;
    const file = path.join(dir, 'check.cfg');
    fs.writeFileSync(file, c.text);
    const h = haproxyCheck(file, dir);
    assert.equal(h.status === 0, c.warning === true, h.output);
  });
}

test('an errorfile whose body is in ISO-8859-1 is taken, its Content-Length counted in bytes, as HAProxy does', (t) => {
  const latin = path.join(dir, 'latin.http');
  fs.writeFileSync(latin, Buffer.concat([Buffer.from('HTTP/1.1 403 Forbidden\r\nContent-Length: 3\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\n'), Buffer.from([0xe9, 0x74, 0xe9])]));
  const text = `${DEFAULTS}frontend f\n    bind 127.0.0.1:8080\n    errorfile 403 ${latin}\n`;
  const r = load(text);
  assert.ok(r.ok, r.diagnostics.map((d) => d.message).join('\n'));
  if (!requireHaproxy(t)) return;
  const file = path.join(dir, 'check.cfg');
  fs.writeFileSync(file, text);
  assert.equal(haproxyCheck(file, dir).status, 0);
});

test('an http-error with a log-format payload or hdr value is taken (rendered per answer); a bad one is refused', () => {
  const payload = load(`${DEFAULTS}frontend f\n    bind 127.0.0.1:8080\n    http-error status 503 content-type text/plain lf-string "%[path]"\n`);
  assert.equal(payload.ok, true, payload.diagnostics.map((d) => d.message).join(' / '));
  const taken = load(`${DEFAULTS}frontend f\n    bind 127.0.0.1:8080\n    http-error status 503 hdr x-path "%[path]"\n`);
  assert.equal(taken.ok, true, taken.diagnostics.map((d) => d.message).join(' / '));
  const bad = load(`${DEFAULTS}frontend f\n    bind 127.0.0.1:8080\n    http-error status 503 hdr x-path "%[nosuchfetch]"\n`);
  assert.equal(bad.ok, false);
});

const FULL = `# error pages
http-errors site   # the site's own pages
    errorfile 403 ${page}

${DEFAULTS}    errorfiles site
    errorloc303 503 /maintenance
frontend web
    bind 127.0.0.1:8080
    errorfiles site 403
    errorloc 500 "/oops?x=1"
    errorloc302 502 /bad
    http-error status 429 content-type text/plain string "slow down" hdr retry-after 5
    http-request deny deny_status 403 errorfiles site if { path /private }
    http-request return status 403 errorfiles site if { path /gone }
    default_backend app
backend app
    server s1 127.0.0.1:9001
`;

test('http-errors sections and the error lines are kept byte for byte when a form edits something else, and read back the same', () => {
  const r = applyEdits(FULL, [{ op: 'set-server', backend: 'app', server: { name: 's2', address: '127.0.0.1', port: 9002 } }], {});
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  assert.equal(r.text, FULL.replace('    server s1 127.0.0.1:9001\n', '    server s1 127.0.0.1:9001\n    server s2 127.0.0.1:9002\n'));
  const parsed = load(r.text);
  assert.ok(parsed.ok, parsed.diagnostics.map((d) => d.message).join('\n'));
  // The canonical text (serialize) keeps every error line too.
  const canonical = serialize(parsed.config);
  for (const line of FULL.split('\n').filter((l) => /errorfile|errorloc|http-error/.test(l))) assert.ok(canonical.includes(line.replace(/ +#/, ' #')), line);
  assert.equal(formModel(parsed.config).backends[0]!.servers.length, 2);
  const web = parsed.config.proxies.find((p) => p.name === 'web')!;
  assert.deepEqual([...web.errorfiles].sort(([a], [b]) => a - b), [
    [403, { kind: 'file', path: page }],
    [429, { kind: 'reply', contentType: 'text/plain', body: { kind: 'string', text: 'slow down' }, headers: [{ name: 'retry-after', value: '5' }] }],
    [500, { kind: 'location', url: '/oops?x=1', code: 302 }],
    [502, { kind: 'location', url: '/bad', code: 302 }],
    [503, { kind: 'location', url: '/maintenance', code: 303 }],
  ]);
});
