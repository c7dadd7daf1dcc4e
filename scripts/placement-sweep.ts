/**
 * Placement sweep: each sample fetch of a list in each rule family that checks where its fetches
 * may be used (log-format arguments, sample expressions, conditions; sample.c fetch_cap), in a
 * frontend, a backend and a listen section, through `haproxy -c` and Loadstar's parser: prints
 * the lines where they disagree (refused or not, "will never match" / "L6 sample fetch" warned
 * or not). Not part of `npm test`: it runs haproxy a few thousand times (about a minute).
 *
 *   node --import tsx scripts/placement-sweep.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseConfig } from '../proxy/config/index.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-placement-'));
const FETCHES = ['req.hdr(host)', 'res.hdr(x)', 'path', 'url', 'status', 'src', 'req.len', 'res.len', 'var(txn.x)', 'method', 'capture.req.hdr(0)', 'capture.res.hdr(0)', 'be_name', 'srv_id', 'req.body', 'res.body', 'ssl_fc', 'fc_rtt', 'req.cook(a)', 'res.cook(a)', 'base', 'query', 'req.ver', 'res.ver', 'txn.status', 'hdr(host)', 'shdr(x)', 'sc0_conn_cnt', 'fe_name', 'dst_conn'];
const T = [
  'http-request set-header X %[F]', 'http-response set-header X %[F]', 'http-after-response set-header X %[F]',
  'http-request set-var(txn.y) F', 'http-response set-var(txn.y) F', 'http-after-response set-var(txn.y) F',
  'http-request set-var-fmt(txn.y) %[F]', 'http-request redirect location /%[F]', 'http-response redirect location /%[F]',
  'http-request return status 200 content-type text/plain lf-string %[F]', 'http-response return status 200 content-type text/plain lf-string %[F]',
  'http-request track-sc0 F', 'http-response track-sc0 F', 'http-request capture F len 10', 'http-response capture F id 0',
  'http-request sc-set-gpt0(0) F', 'http-response sc-set-gpt0(0) F',
  'tcp-request content set-var(txn.y) F', 'tcp-request connection set-var(sess.y) F', 'tcp-request session set-var(sess.y) F',
  'tcp-request content track-sc0 F', 'tcp-request content capture F len 10', 'tcp-response content set-var(txn.y) F',
  'http-request deny if { F -m found }', 'http-response deny if { F -m found }', 'http-after-response allow if { F -m found }',
  'tcp-request connection reject if { F -m found }', 'tcp-request content reject if { F -m found }', 'tcp-response content reject if { F -m found }',
  'use_backend b if { F -m found }', 'stick on F', 'stick store-response F', 'use-server s1 if { F -m found }',
];
let n = 0, bad = 0, okCount = 0, wCount = 0;
for (const kind of ['frontend', 'backend', 'listen']) {
  for (const t of T) {
    if (kind === 'backend' && /tcp-request (connection|session)|use_backend|capture F len/.test(t)) continue;
    if (kind === 'frontend' && /tcp-response|stick|use-server/.test(t)) continue;
    for (const f of FETCHES) {
      const line = t.replace('F', f);
      const text = `defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n${kind} p\n${kind === 'backend' ? '' : '    bind 127.0.0.1:1\n    declare capture request len 10\n    declare capture response len 10\n'}${kind === 'frontend' ? '' : '    stick-table type string size 10\n    server s1 127.0.0.1:1\n'}    ${line}\nbackend b\n    server s1 127.0.0.1:1\n${kind === 'backend' ? 'frontend f\n    bind 127.0.0.1:2\n' : ''}`;
      fs.writeFileSync(path.join(dir, 'x.cfg'), text);
      const r = spawnSync('haproxy', ['-c', '-f', 'x.cfg'], { cwd: dir, encoding: 'utf8' });
      const out = r.stdout + r.stderr;
      const res = parseConfig([{ name: 'x.cfg', text }]);
      const lsOk = !res.diagnostics.some((d) => d.severity === 'alert');
      const haOk = r.status === 0;
      const re = /will never match|which is incompatible|ignored in HTTP log-format/;
      const lsW = res.diagnostics.some((d) => d.severity === 'warning' && re.test(d.message));
      const haW = re.test(out);
      n++; if (haOk) okCount++; if (haW) wCount++;
      if (lsOk !== haOk || (haOk && lsW !== haW)) {
        bad++;
        console.log(`${kind} | ${line} | haproxy ${haOk ? 'ok' : 'ERR'}${haW ? '+W' : ''} loadstar ${lsOk ? 'ok' : 'ERR'}${lsW ? '+W' : ''}`);
        console.log('   H: ' + out.split('\n').filter((l) => /ALERT|WARNING/.test(l)).slice(0, 2).join('\n   H: '));
        console.log('   L: ' + res.diagnostics.slice(0, 2).map((d) => d.message).join('\n   L: '));
      }
    }
  }
}
console.log(`${n} cases, ${bad} differ, haproxy accepted ${okCount}, warned ${wCount}`);
fs.rmSync(dir, { recursive: true, force: true });
process.exitCode = bad > 0 ? 1 : 0;
