/**
 * summarizeChange (proxy/store/change-summary.ts): the version history's one
 * line, with renames told as renames.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../proxy/config/index.ts';
import { summarizeChange } from '../../../proxy/store/change-summary.ts';

const HEAD = 'defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n\n';
const site = (frontend: string, backend: string, servers: string): string =>
  `${HEAD}frontend ${frontend}\n    bind 127.0.0.1:8080\n    default_backend ${backend}\n\nbackend ${backend}\n${servers}`;

function summary(before: string, after: string): string {
  const parse = (text: string) => ({ text, config: parseConfig([{ name: 'x.cfg', text }], { fileExists: () => true, readFile: () => '' }).config });
  return summarizeChange(parse(before), parse(after));
}

const TWO = '    server s1 127.0.0.1:8001\n    server s2 127.0.0.1:8002\n';

test('a server renamed in the form is one rename, with what else changed on it', () => {
  assert.equal(summary(site('www', 'app', TWO), site('www', 'app', '    server s1 127.0.0.1:8001\n    server web2 127.0.0.1:8002 weight 5\n')),
    'renamed server app/s2 to web2; changed weight of app/web2 to 5');
});

test('a server replaced by one at another address is still a removal and an addition', () => {
  assert.equal(summary(site('www', 'app', TWO), site('www', 'app', '    server s1 127.0.0.1:8001\n    server s3 127.0.0.1:8003\n')),
    'added server app/s3 (127.0.0.1:8003); removed server app/s2');
});

test('a backend renamed with its servers, and a frontend renamed with its binds and routing, are renames', () => {
  assert.equal(summary(site('www', 'app', TWO), site('www', 'web', TWO)), 'changed routing of frontend www; renamed backend app to web');
  assert.equal(summary(site('www', 'app', TWO), site('site', 'app', TWO)), 'renamed frontend www to site');
});

test('two backends without servers are not taken for a rename of each other', () => {
  const before = `${HEAD}backend a\n    balance roundrobin\n`;
  const after = `${HEAD}backend b\n    balance roundrobin\n`;
  assert.equal(summary(before, after), 'added backend b (0 servers); removed backend a');
});

test('every kind of directive a version changed is named: a backend\'s cookie and check lines, its servers\' check timings', () => {
  assert.equal(summary(site('www', 'app', TWO), site('www', 'app', '    cookie SERVERID insert indirect nocache\n    option httpchk GET /health\n'
    + '    server s1 127.0.0.1:8001 weight 3 check inter 1s fall 5 rise 1 cookie s1\n    server s2 127.0.0.1:8002 check inter 1s fall 5 rise 1 cookie s2\n    server sorry 127.0.0.1:8009 backup\n')),
  'added cookie and option httpchk to app; changed weight of app/s1 to 3; enabled health checks of app/s1, s2; changed inter to 1s, rise to 1, fall to 5 of app/s1, s2; added server app/sorry (127.0.0.1:8009)');
});

test('a rename does not hide the timing changed with it, and a frontend turned to TLS with a redirect says so', () => {
  assert.equal(summary(site('www', 'app', '    server s1 127.0.0.1:8001 check inter 1s\n'), site('www', 'app', '    server web1 127.0.0.1:8001 check inter 3s\n')),
    'renamed server app/s1 to web1; changed inter to 3s of app/web1');
  const tls = `${HEAD}frontend www\n    bind 127.0.0.1:8443 ssl crt /x.pem\n    bind 127.0.0.1:8080\n    http-request redirect scheme https code 301 unless { ssl_fc }\n    default_backend app\n\nbackend app\n${TWO}`;
  assert.equal(summary(site('www', 'app', TWO), tls), 'turned TLS on for frontend www; changed listening address of frontend www; added http-request redirect to frontend www');
});
