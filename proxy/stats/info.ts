/**
 * `show info`: HAProxy's process lines (name: value), the ones that have a
 * meaning for Loadstar, in HAProxy's order and with its names.
 */
import os from 'node:os';
import type { StatsRegistry } from './registry.ts';

const VERSION = '2.6-loadstar';

export function infoFields(registry: StatsRegistry, now = Date.now()): Array<[string, string | number]> {
  const tables = registry.view();
  const global = tables?.config.global;
  const uptime = Math.floor((now - registry.startedAt) / 1000);
  let current = 0;
  let connRate = 0;
  let maxConnRate = 0;
  let sessRate = 0;
  let maxSessRate = 0;
  for (const f of tables?.frontends.values() ?? []) {
    current += f.stats.scur;
    connRate += f.stats.connRate;
    maxConnRate = Math.max(maxConnRate, f.stats.connRateMax);
    sessRate += f.stats.rate;
    maxSessRate = Math.max(maxSessRate, f.stats.rateMax);
  }
  const mem = process.memoryUsage();
  return [
    ['Name', 'Loadstar'],
    ['Version', VERSION],
    ['Release_date', ''],
    ['Nbthread', 1],
    ['Nbproc', 1],
    ['Process_num', 1],
    ['Pid', process.pid],
    ['Uptime', formatUptime(uptime)],
    ['Uptime_sec', uptime],
    ['Memmax_MB', 0],
    ['PoolAlloc_MB', Math.floor(mem.rss / 1048576)],
    ['PoolUsed_MB', Math.floor(mem.heapUsed / 1048576)],
    ['PoolFailed', 0],
    ['Maxconn', global?.maxconn ?? 0],
    ['Hard_maxconn', global?.maxconn ?? 0],
    ['CurrConns', current],
    ['CumConns', registry.cumConns],
    ['CumReq', registry.cumReq],
    ['ConnRate', connRate],
    ['ConnRateLimit', 0],
    ['MaxConnRate', maxConnRate],
    ['SessRate', sessRate],
    ['SessRateLimit', 0],
    ['MaxSessRate', maxSessRate],
    ['Run_queue', 0],
    ['node', os.hostname()],
    ['Stopping', 0],
    ['Listeners', tables ? [...tables.config.proxies].reduce((n, p) => n + p.binds.length, 0) : 0],
    ['Start_time_sec', Math.floor(registry.startedAt / 1000)],
  ];
}

/** "0d 0h00m05s", as HAProxy prints it. */
export function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${d}d ${h}h${String(m).padStart(2, '0')}m${String(s).padStart(2, '0')}s`;
}

export function showInfo(registry: StatsRegistry, typed: boolean): string {
  const fields = infoFields(registry);
  if (!typed) return fields.map(([k, v]) => `${k}: ${v}\n`).join('');
  return fields.map(([k, v], i) => `${i}.${k}.1:${typeof v === 'number' ? 'MGP:u32' : 'KNS:str'}:${v}\n`).join('');
}
