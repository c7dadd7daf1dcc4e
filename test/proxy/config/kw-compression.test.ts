/**
 * The compression keywords in the configuration: what HAProxy 2.6 refuses or warns about (each
 * case also run through `haproxy -c` where it is installed), what Loadstar refuses because it does
 * not run it (filters other than compression, compression rate and CPU limits), and how a
 * defaults section's lines combine with a proxy's (HAProxy chains the lists; offload stays behind).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../../proxy/config/index.ts';
import { reducedFeatureWarnings, unsupportedFeatures } from '../../../proxy/runtime/unsupported.ts';
import { requireHaproxy, haproxyCheck } from '../../helpers/haproxy.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-kw-compression-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

const DEFAULTS = `defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
`;
const site = (global: string, frontend: string, defaults = ''): string =>
  `global\n${global}${DEFAULTS}${defaults}frontend web\n    bind 127.0.0.1:8080\n${frontend}    default_backend app\nbackend app\n    server s1 127.0.0.1:8081\n`;

interface Case {
  what: string;
  text: string;
  /** Loadstar's diagnostic (undefined: none); `warning`: not an error. */
  message?: string;
  warning?: boolean;
  /** What `haproxy -c` says: accepted (exit 0) or not. */
  haproxyAccepts: boolean;
}

const CASES: Case[] = [
  { what: 'the usual lines', text: site('', '    compression algo gzip\n    compression type text/html text/plain\n    compression offload\n'), haproxyAccepts: true },
  { what: 'a misspelt algorithm', text: site('', '    compression algo gzipp\n'), message: "'compression' : 'gzipp' is not a supported algorithm.", haproxyAccepts: false },
  { what: 'an unknown compression word', text: site('', '    compression level 5\n'), message: "'compression' expects 'algo', 'type' or 'offload'", haproxyAccepts: false },
  { what: 'offload in a defaults section (ignored, as HAProxy warns)', text: site('', '', '    compression offload\n'), message: "'compression' : 'offload' ignored in 'defaults' section.", warning: true, haproxyAccepts: true },
  { what: 'filter compression', text: site('', '    filter compression\n    compression algo gzip\n'), haproxyAccepts: true },
  { what: 'two compression filters', text: site('', '    filter compression\n    filter compression\n'), message: "'filter' : 'web: Proxy supports only one compression filter'", haproxyAccepts: false },
  { what: 'an unknown filter', text: site('', '    filter foo\n'), message: "'filter' : unknown keyword 'foo'. Registered keywords : cache, compression, fcgi-app, opentracing, spoe, trace", haproxyAccepts: false },
  { what: 'a filter Loadstar does not run', text: site('', '    filter spoe\n'), message: "'filter spoe' is not supported by Loadstar (only 'filter compression' and 'filter cache' are).", haproxyAccepts: false },
  { what: 'the trace filter (HAProxy\'s debugging filter: accepted, nothing run)', text: site('', '    filter trace name BEFORE random-forwarding quiet\n'), message: "'filter trace' has no effect in Loadstar and is ignored (it traces HAProxy's filter callbacks).", warning: true, haproxyAccepts: true },
  { what: 'a trace filter word HAProxy does not know', text: site('', '    filter trace name X foo\n'), message: "'filter trace' : unknown keyword 'foo'.", haproxyAccepts: false },
  { what: 'compression beside another filter needs its own filter line', text: site('', '    compression algo gzip\n    filter trace\n'), message: "config: frontend 'web': require an explicit filter declaration to use HTTP compression", haproxyAccepts: false },
  { what: 'tune.comp.maxlevel in range', text: site('    tune.comp.maxlevel 9\n', '    compression algo gzip\n'), haproxyAccepts: true },
  { what: 'tune.comp.maxlevel out of range', text: site('    tune.comp.maxlevel 10\n', ''), message: "'tune.comp.maxlevel' expects a numeric value between 1 and 9", haproxyAccepts: false },
  { what: 'no compression rate or CPU limit', text: site('    maxcomprate 0\n    maxcompcpuusage 100\n', ''), haproxyAccepts: true },
  { what: 'a compression rate limit', text: site('    maxcomprate 100\n', ''), haproxyAccepts: true },
  { what: 'a compression rate limit without its value', text: site('    maxcomprate\n', ''), message: "'maxcomprate' expects an integer argument in kb/s.", haproxyAccepts: false },
  { what: 'a compression CPU limit', text: site('    maxcompcpuusage 50\n', ''), haproxyAccepts: true },
  { what: 'a compression CPU limit out of range', text: site('    maxcompcpuusage 101\n', ''), message: "'maxcompcpuusage' expects an integer argument between 0 and 100.", haproxyAccepts: false },
  { what: 'a compression CPU limit that is not a number (atoi: 0)', text: site('    maxcompcpuusage x\n', ''), haproxyAccepts: true },
];

for (const c of CASES) {
  test(`compression keywords: ${c.what}`, () => {
    const r = parseConfig([{ name: 'x.cfg', text: c.text }]);
    // A case about an error leaves out the no-effect warning of a filter on the same lines.
    const found = r.diagnostics.filter((d) => !/missing timeouts/.test(d.message) && (c.warning || d.severity !== 'warning' || c.message === undefined));
    if (c.message === undefined) {
      assert.deepEqual(found.map((d) => d.message), []);
      assert.ok(r.ok);
      return;
    }
    assert.deepEqual(found.map((d) => [d.severity === 'warning', d.message]), [[c.warning ?? false, c.message]]);
    assert.equal(r.ok, c.warning ?? false);
  });
}

test('compression keywords: haproxy -c accepts and refuses the same lines', (t) => {
  if (!requireHaproxy(t)) return;
  for (const c of CASES) {
    const file = path.join(dir, 'check.cfg');
    fs.writeFileSync(file, c.text);
    const { status, output } = haproxyCheck(file, dir);
    assert.equal(status === 0, c.haproxyAccepts, `${c.what}:\n${output}`);
  }
});

test("a proxy's compression lines add to its defaults section's (offload is not passed on); the engine runs them without a warning", () => {
  const r = parseConfig([{ name: 'x.cfg', text: site('', '    compression algo deflate\n    compression type text/plain\n', '    compression algo gzip identity\n    compression type text/html\n    compression offload\n') }]);
  assert.ok(r.ok);
  const web = r.config.proxies.find((p) => p.name === 'web')!;
  assert.deepEqual(web.compression, { algorithms: ['gzip', 'identity', 'deflate'], types: ['text/html', 'text/plain'], offload: false });
  const app = r.config.proxies.find((p) => p.name === 'app')!;
  assert.deepEqual(app.compression, { algorithms: ['gzip', 'identity'], types: ['text/html'], offload: false });
  assert.deepEqual(reducedFeatureWarnings(r.config), []);
  assert.deepEqual(unsupportedFeatures(r.config), []);
});
