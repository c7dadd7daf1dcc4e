/**
 * The wizard's "test" buttons (issue #13 §2): can the engine reach a server
 * (a TCP connect from the engine's machine, short timeout), and is a listen
 * address and port free — not used by another frontend of the configuration,
 * and not taken by another program. Home-lab servers live on the LAN, so any
 * address may be probed; nothing is sent on the connection.
 */
import net from 'node:net';
import type { Config } from '../config/model.ts';
import type { ProbeRequest, ProbeResult, ListenCheckRequest, ListenCheckResult } from './contract.ts';

// The request and answer shapes are the contract's own (same layer): one definition.
export type { ProbeRequest, ProbeResult, ListenCheckRequest, ListenCheckResult };

type Answer<T> = { ok: true; value: T } | { ok: false; error: { code: 'LS_ERR_CTL_BAD_VALUE'; message: string } };

const bad = (message: string): Answer<never> => ({ ok: false, error: { code: 'LS_ERR_CTL_BAD_VALUE', message } });

function validHost(h: unknown): h is string {
  return typeof h === 'string' && /^[A-Za-z0-9.:_-]{1,253}$/.test(h);
}

function validPort(p: unknown): p is number {
  return Number.isInteger(p) && (p as number) >= 1 && (p as number) <= 65535;
}

function connectReason(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ECONNREFUSED': return 'connection refused: nothing listens on that port';
    case 'ENOTFOUND': case 'EAI_AGAIN': return 'the host name cannot be resolved';
    case 'EHOSTUNREACH': case 'ENETUNREACH': return 'no route to that address (wrong network or the machine is off)';
    case 'ECONNRESET': return 'the connection was reset';
    default: return e.message;
  }
}

/** One TCP connect from the engine; closed at once. */
export function probeServer(request: ProbeRequest): Promise<Answer<ProbeResult>> {
  if (typeof request !== 'object' || request === null) return Promise.resolve(bad('a probe request { address, port } is required'));
  if (!validHost(request.address)) return Promise.resolve(bad('address: an IP address or host name'));
  if (!validPort(request.port)) return Promise.resolve(bad(`port: 1 to 65535 (got ${JSON.stringify(request.port)})`));
  const timeout = request.timeoutMs ?? 2000;
  if (!(Number.isInteger(timeout) && timeout >= 100 && timeout <= 10_000)) return Promise.resolve(bad('timeoutMs: 100 to 10000'));
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host: request.address, port: request.port });
    const done = (result: ProbeResult): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: true, value: result });
    };
    const timer = setTimeout(() => done({ reachable: false, ms: Date.now() - started, reason: `no answer within ${timeout} ms (a firewall, or the machine is off)` }), timeout);
    socket.once('connect', () => done({ reachable: true, ms: Date.now() - started }));
    socket.once('error', (e: NodeJS.ErrnoException) => done({ reachable: false, ms: Date.now() - started, reason: connectReason(e) }));
  });
}

function overlaps(a: string, b: string): boolean {
  const any = (h: string): boolean => h === '' || h === '*' || h === '0.0.0.0' || h === '::';
  return any(a) || any(b) || a === b;
}

/** A socket Loadstar itself holds besides the frontends' (`loadstar serve`'s admin UI). */
export interface OwnListener {
  /** What listens, as the answer names it: `Loadstar's admin UI`. */
  what: string;
  host: string;
  port: number;
}

/**
 * Is the address and port free for a new or edited frontend? One of Loadstar's `own` listeners there
 * is named as such (it was "another program already listens", and the user looked for one).
 */
export async function checkListen(request: ListenCheckRequest, config: Config | undefined, own: readonly OwnListener[] = []): Promise<Answer<ListenCheckResult>> {
  if (typeof request !== 'object' || request === null) return bad('a listen check { address, port } is required');
  const address = request.address === '*' ? '' : request.address;
  if (address !== '' && !validHost(address)) return bad('address: an IP address, or empty for every address');
  if (!validPort(request.port)) return bad(`port: 1 to 65535 (got ${JSON.stringify(request.port)})`);
  for (const p of config?.proxies ?? []) {
    if ((p.kind !== 'frontend' && p.kind !== 'listen') || p.disabled || p.name === request.frontend) continue;
    for (const bind of p.binds) {
      for (const a of bind.addresses) {
        if (a.family === 'unix') continue;
        if (request.port >= a.port && request.port <= a.portEnd && overlaps(a.host, address)) {
          return { ok: true, value: { free: false, usedBy: p.name, reason: `frontend ${p.name} already listens on ${a.host || '*'}:${request.port}` } };
        }
      }
    }
  }
  for (const l of own) {
    if (request.port === l.port && overlaps(l.host, address)) {
      return { ok: true, value: { free: false, reason: `${l.what} listens on ${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}` } };
    }
  }
  const ownBind = config?.proxies.find((p) => p.name === request.frontend)?.binds.some((b) => b.addresses.some((a) => request.port >= a.port && request.port <= a.portEnd && overlaps(a.host, address)));
  // The engine itself holds the frontend's own current port: that one is fine.
  if (ownBind) return { ok: true, value: { free: true } };
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (e: NodeJS.ErrnoException) => {
      const reason = e.code === 'EADDRINUSE' ? `another program already listens on ${address || '*'}:${request.port}`
        : e.code === 'EACCES' ? `ports below 1024 need administrator rights on this machine`
          : e.code === 'EADDRNOTAVAIL' ? `this machine has no address ${address}`
            : e.message;
      resolve({ ok: true, value: { free: false, reason } });
    });
    server.listen({ host: address === '' ? undefined : address, port: request.port, exclusive: true }, () => {
      server.close(() => resolve({ ok: true, value: { free: true } }));
    });
  });
}
