import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { startEngine, startNamedServer, freePort, request, HTTP_DEFAULTS } from '../../helpers/net.ts';
import { until } from './helpers.ts';

function requireBinary(t: TestContext, name: string): boolean {
  if (spawnSync('sh', ['-c', `command -v ${name}`]).status === 0) return true;
  if (process.env.CI) throw new Error(`${name} is not installed, and CI=true requires it (.ci/run installs the prometheus package)`);
  console.warn(`\n*** ${name} not found: skipping (apt-get install prometheus) ***\n`);
  t.skip(`${name} not installed`);
  return false;
}

async function exporter() {
  const origin = await startNamedServer('app');
  const port = await freePort();
  const tcpPort = await freePort();
  const e = await startEngine(`${HTTP_DEFAULTS}frontend web
  bind 127.0.0.1:${port}
  http-request use-service prometheus-exporter if { path /metrics }
  default_backend app
backend app
  server a 127.0.0.1:${origin.port} check inter 200ms
  server "b-2" 127.0.0.1:${origin.port} weight 5
listen raw
  mode tcp
  bind 127.0.0.1:${tcpPort}
  server t 127.0.0.1:${origin.port}
`);
  for (let i = 0; i < 5; i++) await request(port, '/');
  await request(port, '/missing');
  return { port, close: async () => { await e.stop(); await origin.close(); } };
}

test('the exporter answers with HAProxy\'s metric names, and promtool check metrics accepts the output', async (t) => {
  const s = await exporter();
  try {
    const res = await request(s.port, '/metrics');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const body = res.body;
    assert.match(body, /^# TYPE haproxy_frontend_http_requests_total counter$/m);
    assert.match(body, /^haproxy_frontend_http_responses_total\{proxy="web",code="2xx"\} 6$/m, 'five / and one /missing answered 200 by the origin');
    assert.match(body, /^haproxy_backend_http_requests_total\{proxy="app"\} 6$/m);
    assert.match(body, /^haproxy_server_status\{proxy="app",server="a",state="UP"\} 1$/m);
    assert.match(body, /^haproxy_server_weight\{proxy="app",server="b-2"\} 5$/m);
    assert.match(body, /^haproxy_frontend_connections_total\{proxy="raw"\} 0$/m);
    assert.match(body, /^haproxy_process_uptime_seconds \d+$/m);
    // Every process metric of HAProxy's exporter, from show info's fields.
    for (const m of ['max_fds', 'current_ssl_connections', 'limit_connection_rate', 'idle_time_percent', 'jobs', 'listeners', 'bytes_out_total', 'bytes_out_rate'])
      assert.match(body, new RegExp(`^haproxy_process_${m} \\d+$`, 'm'));
    assert.match(body, /^# TYPE haproxy_process_bytes_out_total counter$/m);
    assert.match(body, /^haproxy_process_build_info\{version="2\.6-loadstar"\} 1$/m);
    assert.match(body, /^haproxy_frontend_limit_session_rate\{proxy="web"\} 0$/m);
    if (!requireBinary(t, 'promtool')) return;
    const check = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8', timeout: 20_000 });
    // HAProxy's exporter names one counter without `_total` (failed_resolutions): the same name, the same lint finding; nothing else.
    const findings = `${check.stdout}${check.stderr}`.split('\n').filter((l) => l.trim() !== '' && !l.includes('haproxy_process_failed_resolutions counter metrics should have "_total" suffix'));
    assert.deepEqual(findings, [], `promtool check metrics (exit ${check.status}):\n${check.stdout}${check.stderr}`);
  } finally {
    await s.close();
  }
});

test('a real Prometheus on loopback scrapes the exporter', { timeout: 60_000 }, async (t) => {
  if (!requireBinary(t, 'prometheus')) return;
  const s = await exporter();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadstar-prom-'));
  const webPort = await freePort();
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), `global:
  scrape_interval: 1s
scrape_configs:
  - job_name: loadstar
    metrics_path: /metrics
    static_configs:
      - targets: ['127.0.0.1:${s.port}']
`);
  const child = spawn('prometheus', [
    `--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${webPort}`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d));
  child.stderr.on('data', (d: Buffer) => (output += d));
  const api = async (p: string): Promise<any> => {
    try {
      const r = await request(webPort, p);
      return r.status === 200 ? JSON.parse(r.body) : undefined;
    } catch {
      return undefined;
    }
  };
  try {
    await until('Prometheus to report the target up', async () => {
      const targets = await api('/api/v1/targets');
      return targets?.data?.activeTargets?.some((a: { health: string }) => a.health === 'up') ?? false;
    }, 30_000).catch((e: Error) => { throw new Error(`${e.message}\n${output}`); });
    let value: string | undefined;
    await until('the scraped series to be queryable', async () => {
      const q = await api(`/api/v1/query?query=${encodeURIComponent('haproxy_backend_http_requests_total{proxy="app"}')}`);
      value = q?.data?.result?.[0]?.value?.[1];
      return value !== undefined;
    }, 20_000);
    assert.equal(Number(value), 6);
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
    await s.close();
  }
});

test("a backend without servers (a stats listen's) is UP in the exporter, as HAProxy's promex says", { timeout: 30_000 }, async (t) => {
  const { requireHaproxy, startHaproxy } = await import('../../helpers/haproxy.ts');
  if (!requireHaproxy(t)) return;
  const cfg = (port: number, statsPort: number): string => `${HTTP_DEFAULTS}frontend web
  bind 127.0.0.1:${port}
  http-request use-service prometheus-exporter if { path /metrics }
listen stats
  bind 127.0.0.1:${statsPort}
  stats enable
  stats uri /
`;
  const [hPort, hStats, lPort, lStats] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const haproxy = await startHaproxy(cfg(hPort, hStats), hPort);
  const loadstar = await startEngine(cfg(lPort, lStats));
  try {
    const status = (body: string): string[] => body.split('\n').filter((l) => l.startsWith('haproxy_backend_status{proxy="stats"'));
    const h = status((await request(hPort, '/metrics')).body);
    assert.ok(h.includes('haproxy_backend_status{proxy="stats",state="UP"} 1'), h.join('\n'));
    assert.deepEqual(status((await request(lPort, '/metrics')).body), h);
  } finally {
    await haproxy.stop();
    await loadstar.stop();
  }
});
