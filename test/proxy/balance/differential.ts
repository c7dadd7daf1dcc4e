/**
 * Runs one balancing scenario twice — on a live HAProxy and on Loadstar's
 * balancer — and returns the server each request landed on, in the order the
 * requests were sent. The backend section is parsed with Loadstar's own
 * configuration parser, so both sides read the very same text.
 *
 * Steps are sequential: a `get` completes, and HAProxy has closed its stream
 * (connection slot released), before the next step; a `hold` stays open until its
 * `release`, which is how a server gets loaded (leastconn) or full (maxconn).
 * A hold that no server takes at once (HAProxy queues it) is recorded as
 * `<queued>`. Queues are not modelled on Loadstar's side, so queued holds must come
 * last, a `get` must never meet a full server, and a queued hold is never released.
 */
import { findBackend, parseConfig } from '../../../proxy/config/index.ts';
import type { Proxy } from '../../../proxy/config/model.ts';
import { assignServerIds, createBalancer, resetRandom } from '../../../proxy/balance/index.ts';
import type { LbRequest, LbServer } from '../../../proxy/balance/index.ts';
import { startBackend, startHaproxy } from './haproxy-live.ts';

export type Step =
  | { get: string; headers?: Record<string, string>; from?: string; times?: number }
  | { hold: string; path?: string; headers?: Record<string, string> }
  | { release: string }
  /** `set server B/S state maint` (not usable) */
  | { down: string }
  /** `set server B/S state ready`; `warmup`: the slow-start sixteenths HAProxy is expected to start it at */
  | { up: string; warmup?: number }
  /** `set server B/S state drain` (not usable for new traffic) */
  | { drain: string }
  /** `set weight B/S N` */
  | { weight: string; to: number };

export interface Scenario {
  name: string;
  /** Backend lines (balance, hash-type, options) without the servers. */
  lines: string[];
  /**
   * Server lines without `server` and the address: `s1 weight 2 backup`. The extra
   * word `dead` points the server to a closed port: with `retries 1` and
   * `option redispatch`, HAProxy then retries once on another server, passing the
   * dead one as the server to avoid.
   */
  servers: string[];
  steps: Step[];
}

function sectionText(s: Scenario, port: number | string): string {
  return [
    'listen t',
    '  bind 127.0.0.1:__PORT__',
    '  http-response set-header X-Server %s',
    ...s.lines.map((l) => `  ${l}`),
    ...s.servers.map((l) => {
      const [name, ...rest] = l.split(/\s+/);
      // `dead`: the server's port refuses connections (port 1), to observe redispatch
      const dead = rest.includes('dead');
      return `  server ${name} 127.0.0.1:${dead ? 1 : port} ${rest.filter((w) => w !== 'dead').join(' ')}`.trimEnd();
    }),
  ].join('\n');
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What HAProxy picked, request by request. */
export async function onHaproxy(s: Scenario): Promise<string[]> {
  const be = await startBackend();
  const h = await startHaproxy(sectionText(s, be.port)).catch(async (e: unknown) => { await be.stop(); throw e; });
  const out: Array<string | Promise<string>> = [];
  const holds = new Map<string, Promise<string>>();
  /** Waits until HAProxy has closed every stream but the `open` ones (the slot release is what leastconn sees). */
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      const row = (await h.cli('show stat -1 1 -1')).split('\n').find((l) => l.startsWith('t,FRONTEND,'));
      if (row && Number(row.split(',')[4]) <= holds.size) return;
      await pause(2);
    }
    throw new Error('HAProxy did not close the finished streams');
  };
  /** Requests waiting in a queue of backend t (its own and its servers'). */
  const queued = async (): Promise<number> => (await h.cli('show stat')).split('\n')
    .filter((l) => l.startsWith('t,') && !l.startsWith('t,FRONTEND,'))
    .reduce((sum, l) => sum + (Number(l.split(',')[2]) || 0), 0);
  /** Resolves true once the request reached the backend, false once HAProxy queued it. */
  const placed = async (before: number, queuedBefore: number): Promise<boolean> => {
    for (let i = 0; i < 1000; i++) {
      if (be.arrivals > before) return true;
      if ((await queued()) > queuedBefore) return false;
      await pause(5);
    }
    throw new Error('a held request neither reached the backend nor waited in a queue');
  };
  try {
    for (const step of s.steps) {
      if ('get' in step) {
        for (let i = 0; i < (step.times ?? 1); i++) {
          out.push(await h.get(step.get, step.headers, step.from));
          await settle();
        }
      } else if ('hold' in step) {
        const path = step.path ?? '/';
        const before = be.arrivals;
        const queuedBefore = await queued();
        const p = h.get(`${path}${path.includes('?') ? '&' : '?'}hold=${step.hold}`, step.headers);
        const arrived = await placed(before, queuedBefore);
        holds.set(step.hold, p.catch(() => '<error>'));
        if (arrived) {
          out.push(p);
        } else {
          // HAProxy queued it (every candidate full): what counts is that no server took it now
          out.push('<queued>');
          p.catch(() => undefined);
        }
      } else if ('release' in step) {
        be.release(step.release);
        await holds.get(step.release);
        holds.delete(step.release);
        await settle();
      } else {
        const [server, command] = 'down' in step ? [step.down, 'state maint']
          : 'up' in step ? [step.up, 'state ready']
          : 'drain' in step ? [step.drain, 'state drain']
          : [step.weight, ''];
        const cmd = 'weight' in step ? `set weight t/${server} ${step.to}` : `set server t/${server} ${command}`;
        const answer = await h.cli(cmd);
        if (answer.trim() !== '') throw new Error(`'${cmd}': ${answer}`);
      }
    }
  } finally {
    for (const step of s.steps) if ('hold' in step) be.release(step.hold);
    const done = await Promise.all(out.map((o) => Promise.resolve(o).catch((e: unknown) => `<${String(e)}>`)));
    out.length = 0;
    out.push(...done);
    await h.stop();
    await be.stop();
  }
  return out as string[];
}

/** The scenario's backend as Loadstar parses it. */
export function parseScenario(s: Scenario): Proxy {
  const text = `defaults\n  mode http\n  timeout connect 2s\n  timeout client 10s\n  timeout server 10s\n${sectionText(s, 8080).replaceAll('__PORT__', '8000')}\n`;
  const r = parseConfig([{ name: `${s.name}.cfg`, text }]);
  const proxy = findBackend(r.config, 't');
  if (!r.ok || !proxy) throw new Error(`scenario '${s.name}' does not parse: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return proxy;
}

/** What Loadstar's balancer picks for the same scenario. */
export function onLoadstar(s: Scenario): string[] {
  const proxy = parseScenario(s);
  resetRandom();
  const ids = assignServerIds(proxy.servers.map((sv) => sv.options.id));
  const servers: LbServer[] = proxy.servers.map((sv, i) => ({
    name: sv.name,
    id: ids[i]!,
    backup: sv.options.backup === true,
    weight: sv.options.weight ?? 1,
    usable: sv.options.disabled !== true,
    served: 0,
    maxconn: sv.options.maxconn ?? 0,
    maxqueue: sv.options.maxqueue ?? 0,
    queued: 0,
  }));
  const byName = new Map(servers.map((sv) => [sv.name, sv]));
  const balancer = createBalancer(servers, {
    balance: proxy.balance ?? { algorithm: 'roundrobin', loc: proxy.section.loc },
    hashType: proxy.hashType,
    allBackups: proxy.options.allbackups?.enabled === true,
    hashBalanceFactor: proxy.hashBalanceFactor,
  });
  const held = new Map<string, LbServer>();
  const out: string[] = [];
  const request = (path: string, headers: Record<string, string> = {}, from = '127.0.0.1'): LbRequest => {
    const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    return { source: from, uri: path, header: (n) => lower.get(n.toLowerCase()) };
  };
  const dead = new Set(proxy.servers.filter((sv) => sv.port === 1).map((sv) => sv.name));
  const take = (req: LbRequest): LbServer | undefined => {
    let srv = balancer.pick(req);
    if (srv && dead.has(srv.name)) {
      // connect refused: the slot is given back and the retry is redispatched, avoiding it
      srv.served++;
      balancer.taken(srv);
      srv.served--;
      balancer.released(srv);
      srv = balancer.pick(req, srv);
      if (srv && dead.has(srv.name)) {
        out.push('<503>');
        return undefined;
      }
    }
    if (!srv || (srv.maxconn && srv.served >= srv.maxconn)) {
      // the engine would queue it (in the backend, or on that server)
      out.push('<queued>');
      return undefined;
    }
    out.push(srv.name);
    {
      srv.served++;
      balancer.taken(srv);
    }
    return srv;
  };
  const server = (name: string): LbServer => {
    const sv = byName.get(name);
    if (!sv) throw new Error(`no server ${name}`);
    return sv;
  };
  for (const step of s.steps) {
    if ('get' in step) {
      for (let i = 0; i < (step.times ?? 1); i++) {
        const srv = take(request(step.get, step.headers, step.from));
        if (srv) {
          srv.served--;
          balancer.released(srv);
        }
      }
    } else if ('hold' in step) {
      const path = step.path ?? '/';
      const srv = take(request(`${path}${path.includes('?') ? '&' : '?'}hold=${step.hold}`, step.headers));
      if (srv) held.set(step.hold, srv);
    } else if ('release' in step) {
      const srv = held.get(step.release);
      held.delete(step.release);
      if (srv) {
        srv.served--;
        balancer.released(srv);
      }
    } else if ('down' in step) {
      server(step.down).usable = false;
      balancer.update(server(step.down));
    } else if ('up' in step) {
      server(step.up).usable = true;
      server(step.up).warmup = step.warmup;
      balancer.update(server(step.up));
    } else if ('drain' in step) {
      server(step.drain).usable = false;
      balancer.update(server(step.drain));
    } else {
      server(step.weight).weight = step.to;
      balancer.update(server(step.weight));
    }
  }
  return out;
}
