/**
 * The Prometheus exporter next to HAProxy 2.6's (addons/promex) on the same configuration: the same
 * HELP and TYPE lines in the same order, the same series (every metric for every object, NaN where
 * HAProxy's `show stat` field is empty), and the same values where both processes know them alike
 * (states, check statuses, limits, weights, the backends' aggregates, stick tables); its query string's
 * scopes and no-maint, and the 400 for a query HAProxy refuses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requireHaproxy, startHaproxy } from '../../helpers/haproxy.ts';
import { startEngine, startRawServer, freePort, request, HTTP_DEFAULTS } from '../../helpers/net.ts';
import { until } from './helpers.ts';

interface Ports { fe: number; tcp: number; origin: number; dead: number; agent: number }

function config(p: Ports): string {
  return `${HTTP_DEFAULTS}frontend fe
    bind 127.0.0.1:${p.fe}
    http-request use-service prometheus-exporter if { path /metrics }
    default_backend be
backend be
    server up 127.0.0.1:${p.origin} check inter 200ms maxconn 20 maxqueue 5 weight 7
    server refused 127.0.0.1:${p.dead} check inter 200ms
    server agent 127.0.0.1:${p.origin} check inter 200ms agent-check agent-port ${p.agent} agent-inter 200ms
    server maint 127.0.0.1:${p.origin} check inter 200ms disabled
    server spare 127.0.0.1:${p.origin} backup
    server slow 127.0.0.1:${p.origin} check inter 200ms slowstart 60s
backend tracking
    server follower 127.0.0.1:${p.origin} track be/up
    server agentonly 127.0.0.1:${p.origin} agent-check agent-port ${p.agent} agent-inter 200ms
backend empty
backend clients
    stick-table type ip size 100k expire 30s
backend names
    stick-table type string len 32 size 1m
listen raw
    mode tcp
    bind 127.0.0.1:${p.tcp}
    server t1 127.0.0.1:${p.origin}
`;
}

/** Values both processes report alike: states and verdicts, limits and weights, aggregates. */
const COMPARED_VALUES = /^haproxy_(?:sticktable_\w+|(frontend|backend|server)_(status|check_status|check_code|agg_\w+|limit_sessions|queue_limit|weight|uweight|active_servers|backup_servers|check_failures_total|check_up_down_total|current_queue|current_sessions))\{/;

function series(text: string): { help: string[]; lines: string[] } {
  const all = text.split('\n').filter(Boolean);
  const help = all.filter((l) => l.startsWith('#'));
  const lines = all.filter((l) => !l.startsWith('#') && /^haproxy_(frontend|backend|server|sticktable)_/.test(l)).map((l) => {
    const at = l.lastIndexOf(' ');
    const [name, value] = [l.slice(0, at), l.slice(at + 1)];
    // The frontend's derived maxconn follows each process's file-descriptor limit.
    if (name.startsWith('haproxy_frontend_limit_sessions{')) return `${name} ${value === 'NaN' ? 'NaN' : 'set'}`;
    return `${name} ${COMPARED_VALUES.test(name) ? value : value === 'NaN' ? 'NaN' : 'set'}`;
  });
  return { help, lines };
}

async function scrape(port: number, query = ''): Promise<string> {
  return (await request(port, `/metrics${query}`)).body;
}

/** Every check has a verdict: the refused server is DOWN, the agent answered. */
function settled(text: string): boolean {
  return /^haproxy_server_check_status\{proxy="be",server="refused",state="L4CON"\} 1$/m.test(text)
    && /^haproxy_server_check_status\{proxy="be",server="agent",state="L4OK"\} 1$/m.test(text)
    && /^haproxy_server_check_status\{proxy="be",server="slow",state="L4OK"\} 1$/m.test(text)
    && /^haproxy_server_check_status\{proxy="be",server="up",state="L4OK"\} 1$/m.test(text)
    && /^haproxy_server_check_failures_total\{proxy="be",server="refused"\} 1$/m.test(text);
}

test("the exporter's metrics, series and comparable values are HAProxy 2.6's", { timeout: 60_000 }, async (t) => {
  if (!requireHaproxy(t)) return;
  const origin = await startRawServer((s) => s.once('data', () => s.end('HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok')));
  // The agent answers "up" alone: a weight in it would move the backends' act and weight until both proxies have asked.
  const agent = await startRawServer((s) => s.end('up\n'));
  t.after(async () => { await origin.close(); await agent.close(); });
  const base = { origin: origin.port, dead: await freePort(), agent: agent.port };
  const hPorts = { ...base, fe: await freePort(), tcp: await freePort() };
  const lPorts = { ...base, fe: await freePort(), tcp: await freePort() };
  const haproxy = await startHaproxy(config(hPorts), hPorts.fe);
  const loadstar = await startEngine(config(lPorts));
  try {
    let theirs = '';
    let ours = '';
    await until('HAProxy checks settled', async () => settled(theirs = await scrape(hPorts.fe)), 10_000);
    await until('Loadstar checks settled', async () => settled(ours = await scrape(lPorts.fe)), 10_000);
    // Scraped again: the first scrape is counted in the next one's frontend counters on both.
    theirs = await scrape(hPorts.fe);
    ours = await scrape(lPorts.fe);
    const h = series(theirs);
    const l = series(ours);
    assert.deepEqual(l.help.filter((x) => !x.includes('haproxy_process_')), h.help.filter((x) => !x.includes('haproxy_process_')));
    assert.deepEqual(l.lines, h.lines);
    // What the comparison covers, stated: empty fields are NaN, the aggregates count servers by state.
    assert.match(ours, /^haproxy_server_queue_limit\{proxy="be",server="refused"\} NaN$/m);
    assert.match(ours, /^haproxy_backend_agg_server_status\{proxy="be",state="MAINT"\} 1$/m);
    assert.match(ours, /^haproxy_backend_agg_check_status\{proxy="be",state="L4OK"\} 3$/m);
    assert.match(ours, /^haproxy_process_current_zlib_memory NaN$/m);
    assert.match(ours, /^haproxy_sticktable_size\{name="names",type="string"\} 1048576\nhaproxy_sticktable_size\{name="clients",type="ip"\} 102400$/m);

    // The query string: scopes (repeated, `*`, empty), no-maint, and what HAProxy refuses with a 400.
    for (const query of ['?scope=sticktable', '?scope=server&no-maint', '?scope=backend&scope=frontend', '?scope=frontend&scope=&scope=backend',
      '?scope=', '?x=1&scope=global', '?scope=*&no-maint', '?scope=foo', '?scope', '?scope=%zz', '?scope=a=b', '?scope=server+', '?no-maint=1&scope=server']) {
      const [hr, lr] = [await request(hPorts.fe, `/metrics${query}`), await request(lPorts.fe, `/metrics${query}`)];
      assert.equal(lr.status, hr.status, `status for ${query}`);
      if (hr.status !== 200) {
        assert.equal(lr.body, hr.body, `refusal for ${query}`);
        continue;
      }
      const [hs, ls] = [series(hr.body), series(lr.body)];
      assert.deepEqual(ls.help.filter((x) => !x.includes('haproxy_process_')), hs.help.filter((x) => !x.includes('haproxy_process_')), `metrics for ${query}`);
      assert.deepEqual(ls.lines, hs.lines, `series for ${query}`);
      assert.equal(lr.body === '', hr.body === '', `empty answer for ${query}`);
    }
  } finally {
    await loadstar.stop();
    await haproxy.stop();
  }
});
