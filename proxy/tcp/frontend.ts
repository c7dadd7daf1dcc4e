/**
 * A frontend (or listen section) in TCP mode: each connection is balanced on
 * its own, connected with HAProxy's retries, then bytes are piped both ways
 * with backpressure and half-close. Timers: `timeout client`/`server` while
 * connecting and for each side's inactivity, `timeout tunnel` (when set)
 * for the whole established connection, `client-fin`/`server-fin` once one
 * side has closed.
 */
import net from 'node:net';
import type { Proxy } from '../config/model.ts';
import type { RuntimeBackend } from '../runtime/backend.ts';
import type { RuntimeServer } from '../runtime/server.ts';
import type { Logger } from '../runtime/logger.ts';
import { compileConnCondition, connLbRequest } from './samples.ts';
import type { ConnPredicate } from './samples.ts';

export interface TcpBackendTimers {
  connect: number;
  server: number;
  tunnel: number;
  serverFin: number;
}

export interface TcpSessionRecord {
  frontend: TcpFrontend;
  backend?: RuntimeBackend;
  server?: RuntimeServer;
  client: net.Socket;
  acceptedAt: number;
  /** ms: queue wait, connect, total */
  tw: number;
  tc: number;
  bytesIn: number;
  bytesOut: number;
  termination: string;
  retries: number;
}

export class TcpFrontend {
  readonly name: string;
  readonly sessions = new Set<net.Socket>();
  private readonly switching: Array<{ when: ConnPredicate | undefined; backend: RuntimeBackend | undefined }>;
  private readonly defaultBackend: RuntimeBackend | undefined;
  private readonly clientTimeout: number;
  private readonly clientFin: number;

  constructor(readonly config: Proxy, private readonly backends: ReadonlyMap<string, RuntimeBackend>, private readonly logger: Logger) {
    this.name = config.name;
    this.clientTimeout = config.timeouts.client ?? 0;
    this.clientFin = config.timeouts['client-fin'] ?? this.clientTimeout;
    this.switching = config.switchingRules.map((rule) => ({
      when: rule.condition ? compileConnCondition(rule.condition, config) : undefined,
      backend: backends.get(rule.backend),
    }));
    const defaultName = config.defaultBackend?.name ?? (config.kind === 'listen' ? config.name : undefined);
    this.defaultBackend = defaultName !== undefined ? backends.get(defaultName) : undefined;
  }

  handle(client: net.Socket): void {
    this.sessions.add(client);
    const record: TcpSessionRecord = {
      frontend: this, client, acceptedAt: Date.now(), tw: -1, tc: -1, bytesIn: 0, bytesOut: 0, termination: '--', retries: 0,
    };
    client.setNoDelay(true);
    client.on('close', () => this.sessions.delete(client));
    let backend: RuntimeBackend | undefined;
    for (const rule of this.switching) {
      if (rule.when && !rule.when(client, this.config)) continue;
      backend = rule.backend;
      if (backend) break;
    }
    backend ??= this.defaultBackend;
    if (!backend) {
      record.termination = 'SC';
      return this.end(record);
    }
    record.backend = backend;
    // Until connected, data from the client waits in the socket (paused).
    client.pause();
    client.on('error', () => client.destroy());
    // One 'timeout' listener per socket; later phases only change the delay (setTimeout(ms)).
    client.on('timeout', () => {
      if (record.termination === '--') record.termination = 'cD';
      client.destroy();
      upstreamOf.get(client)?.destroy();
    });
    if (this.clientTimeout > 0) client.setTimeout(this.clientTimeout);
    this.acquire(record, backend);
  }

  private acquire(record: TcpSessionRecord, backend: RuntimeBackend, avoid?: RuntimeServer): void {
    let cancel: (() => void) | undefined;
    const onClose = (): void => cancel?.();
    record.client.once('close', onClose);
    cancel = backend.acquire(connLbRequest(record.client), (result) => {
      record.client.off('close', onClose);
      record.tw = Date.now() - record.acceptedAt;
      if ('error' in result) {
        if (result.error === 'no-server') this.logger.alert(`backend ${backend.name} has no server available!`);
        record.termination = result.error === 'no-server' ? 'SC' : 'sQ';
        return this.end(record);
      }
      record.server = result.server;
      this.connect(record, backend, result.server);
    }, avoid);
  }

  private connect(record: TcpSessionRecord, backend: RuntimeBackend, server: RuntimeServer): void {
    const timers = backendTimers(backend);
    const started = Date.now();
    const upstream = net.connect({ host: server.host, port: server.port, noDelay: true, allowHalfOpen: true });
    let connected = false;
    const timer = timers.connect > 0 ? setTimeout(() => upstream.destroy(new Error('timeout')), timers.connect) : undefined;
    const release = once(() => backend.release(server));
    upstream.once('connect', () => {
      connected = true;
      clearTimeout(timer);
      server.check?.observe('layer4', true, '');
      record.tc = Date.now() - started;
      this.pipe(record, upstream, timers, release);
    });
    upstream.once('error', () => {
      if (connected) return;
      clearTimeout(timer);
      upstream.destroy();
      server.connectErrors++;
      server.check?.observe('layer4', false, 'connection error');
      if (record.client.destroyed) return release();
      if (record.retries >= backend.retries) {
        release();
        record.termination = 'SC';
        return this.end(record);
      }
      record.retries++;
      server.retries++;
      const redispatch = backend.redispatch && record.retries === backend.retries;
      setTimeout(() => {
        if (record.client.destroyed) return release();
        if (redispatch) {
          release();
          this.acquire(record, backend, server);
        } else this.connect(record, backend, server);
      }, Math.min(timers.connect || 1000, 1000));
    });
  }

  private pipe(record: TcpSessionRecord, upstream: net.Socket, timers: TcpBackendTimers, release: () => void): void {
    const client = record.client;
    // In TCP mode `timeout tunnel`, when set, replaces the client and server timeouts once connected.
    const clientIdle = timers.tunnel || this.clientTimeout;
    const serverIdle = timers.tunnel || timers.server;
    upstreamOf.set(client, upstream);
    client.setTimeout(clientIdle);
    upstream.on('timeout', () => {
      if (record.termination === '--') record.termination = 'sD';
      destroyBoth();
    });
    upstream.setTimeout(serverIdle);
    const destroyBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (d: Buffer) => (record.bytesIn += d.length));
    upstream.on('data', (d: Buffer) => (record.bytesOut += d.length));
    client.pipe(upstream);
    upstream.pipe(client);
    // Half-close: once one side has sent FIN, the other side's *-fin timer bounds the wait.
    client.once('end', () => { if (this.clientFin > 0 || timers.serverFin > 0) upstream.setTimeout(timers.serverFin || this.clientFin); });
    upstream.once('end', () => { if (this.clientFin > 0 || timers.serverFin > 0) client.setTimeout(this.clientFin || timers.serverFin); });
    upstream.on('error', () => { if (record.termination === '--') record.termination = 'SD'; destroyBoth(); });
    client.on('error', () => { if (record.termination === '--') record.termination = 'CD'; destroyBoth(); });
    let closed = 0;
    const onClose = (): void => {
      if (++closed === 2) {
        release();
        this.logger.tcp(record);
      } else destroyBothLater();
    };
    // When one side is fully closed (not just half-closed), the other follows.
    const destroyBothLater = (): void => {
      if (client.destroyed && !upstream.writableEnded) upstream.end();
      if (upstream.destroyed && !client.writableEnded) client.end();
    };
    client.once('close', onClose);
    upstream.once('close', onClose);
    client.resume();
  }

  private end(record: TcpSessionRecord): void {
    record.client.destroy();
    this.logger.tcp(record);
  }

  closeAll(): void {
    for (const s of this.sessions) s.destroy();
  }
}

/** The server-side socket of each client connection, for the client's timeout listener. */
const upstreamOf = new WeakMap<net.Socket, net.Socket>();

function backendTimers(backend: RuntimeBackend): TcpBackendTimers {
  const t = backend.config.timeouts;
  return { connect: t.connect ?? 0, server: t.server ?? 0, tunnel: t.tunnel ?? 0, serverFin: t['server-fin'] ?? 0 };
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
