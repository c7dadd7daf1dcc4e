/**
 * Closed-loop HTTP load for the reliability suite: `keepAlive` clients reuse one
 * connection each, `close` clients send `Connection: close` and reconnect. Every
 * loop stops at stop() or after `maxPerClient` requests, whichever comes first.
 */
import http from 'node:http';

export interface LoadResult {
  ok: number;
  /** Non-2xx answers, by status. */
  badStatus: Map<number, number>;
  /** Transport errors, by code (ECONNRESET, ECONNREFUSED …). */
  errors: Map<string, number>;
  /** Servers that answered, by the x-server header. */
  servers: Map<string, number>;
}

export interface LoadOptions {
  port: () => number;
  keepAlive: number;
  close: number;
  maxPerClient?: number;
  method?: () => string;
  path?: string;
}

export function startLoad(o: LoadOptions): { stop(): Promise<LoadResult>; result: LoadResult } {
  const result: LoadResult = { ok: 0, badStatus: new Map(), errors: new Map(), servers: new Map() };
  let stopping = false;
  const max = o.maxPerClient ?? 20_000;
  const one = (agent: http.Agent | false, close: boolean): Promise<void> => new Promise((resolve) => {
    const method = o.method?.() ?? 'GET';
    const req = http.request({ host: '127.0.0.1', port: o.port(), path: o.path ?? '/', method, agent, headers: close ? { connection: 'close' } : {} }, (res) => {
      res.resume();
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) result.ok++;
        else result.badStatus.set(status, (result.badStatus.get(status) ?? 0) + 1);
        const server = String(res.headers['x-server'] ?? '?');
        result.servers.set(server, (result.servers.get(server) ?? 0) + 1);
        resolve();
      });
      res.on('error', (e: NodeJS.ErrnoException) => { result.errors.set(e.code ?? e.message, (result.errors.get(e.code ?? e.message) ?? 0) + 1); resolve(); });
    });
    req.on('error', (e: NodeJS.ErrnoException) => { result.errors.set(e.code ?? e.message, (result.errors.get(e.code ?? e.message) ?? 0) + 1); resolve(); });
    req.setTimeout(10_000, () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
    req.end(method === 'POST' ? 'payload' : undefined);
  });
  const loops: Promise<void>[] = [];
  const agents: http.Agent[] = [];
  for (let i = 0; i < o.keepAlive; i++) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    loops.push((async () => { for (let n = 0; n < max && !stopping; n++) await one(agent, false); })());
  }
  for (let i = 0; i < o.close; i++) loops.push((async () => { for (let n = 0; n < max && !stopping; n++) await one(false, true); })());
  return {
    result,
    stop: async () => {
      stopping = true;
      await Promise.all(loops);
      for (const a of agents) a.destroy();
      return result;
    },
  };
}

export function failures(r: LoadResult): number {
  let n = 0;
  for (const v of r.badStatus.values()) n += v;
  for (const v of r.errors.values()) n += v;
  return n;
}

export function summary(r: LoadResult): string {
  const map = (m: Map<unknown, number>) => [...m].map(([k, v]) => `${String(k)}: ${v}`).join(', ') || 'none';
  return `${r.ok} ok; bad statuses ${map(r.badStatus)}; errors ${map(r.errors)}; servers ${map(r.servers)}`;
}
