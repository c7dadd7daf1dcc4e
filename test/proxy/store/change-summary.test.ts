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
