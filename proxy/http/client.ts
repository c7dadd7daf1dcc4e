/**
 * One client connection in HTTP mode: llhttp frames the requests, each request
 * becomes a transaction routed on its own (keep-alive, pipelining in order),
 * and HAProxy's client-side timers apply: `timeout http-request` until a
 * request head is complete (408), `timeout http-keep-alive` between requests,
 * `timeout client` for inactivity.
 */
import type net from 'node:net';
import { newParser, REQUEST, METHODS, kOnHeaders, kOnHeadersComplete, kOnBody, kOnMessageComplete } from './llhttp.ts';
import type { HTTPParser, HeadersCompleteCallback } from './llhttp.ts';
import { HttpTransaction } from './transaction.ts';
import type { HttpFrontend } from './frontend.ts';
import { builtinResponse } from './error-pages.ts';
import { connectionInfo } from './samples.ts';
import type { ConnectionInfo, Sample } from '../acl/index.ts';

/** Pipelined requests parsed ahead of the one being served, before reading pauses. */
const MAX_PIPELINE = 16;

export class ClientConnection {
  readonly parser: HTTPParser;
  /** Transactions in arrival order; the first one owns the response side. */
  readonly queue: HttpTransaction[] = [];
  closed = false;
  /** No more requests will be read (Connection: close, error, stop). */
  draining = false;
  readonly acceptedAt = Date.now();
  private flushedHeaders: string[] = [];
  private flushedUrl = '';
  private requestTimer: NodeJS.Timeout | undefined;
  /** A request has started arriving (bytes seen since the last one completed). */
  private partial = false;
  /** sess.* variables live as long as the connection. */
  readonly sessionVars = new Map<string, Sample>();
  private info: ConnectionInfo | undefined;

  connectionInfo(): ConnectionInfo {
    return (this.info ??= connectionInfo(this));
  }

  constructor(readonly socket: net.Socket, readonly frontend: HttpFrontend) {
    socket.setNoDelay(true);
    const parser = (this.parser = newParser(REQUEST));
    parser[kOnHeaders] = (headers: string[], url: string) => {
      for (const h of headers) this.flushedHeaders.push(h);
      this.flushedUrl += url;
    };
    const onHead: HeadersCompleteCallback = (major, minor, headers, method, url, _s, _r, upgrade, keepAlive) => {
      if (headers === undefined) {
        headers = this.flushedHeaders;
        this.flushedHeaders = [];
      }
      if (url === undefined) {
        url = this.flushedUrl;
        this.flushedUrl = '';
      }
      this.clearRequestTimer();
      const tx = new HttpTransaction(this, {
        method: METHODS[method!] ?? 'GET', url, versionMajor: major, versionMinor: minor, headers, keepAlive, upgrade,
      });
      this.queue.push(tx);
      if (!keepAlive) this.draining = true;
      if (this.queue.length === 1) tx.start();
      else if (this.queue.length >= MAX_PIPELINE) socket.pause();
      return 0;
    };
    parser[kOnHeadersComplete] = onHead;
    parser[kOnBody] = (chunk: Buffer) => this.queue[this.queue.length - 1]?.requestBody(chunk);
    parser[kOnMessageComplete] = () => {
      this.partial = false;
      this.queue[this.queue.length - 1]?.requestComplete();
      if (!this.draining) this.armRequestTimer(true);
    };
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('end', () => this.onClientEnd());
    socket.on('close', () => this.close());
    socket.on('error', () => this.close());
    const client = frontend.timeouts.client;
    if (client > 0) socket.setTimeout(client, () => this.onClientTimeout());
    this.armRequestTimer(false);
  }

  private onData(data: Buffer): void {
    if (this.draining && this.queue.length === 0) return;
    if (!this.partial) {
      this.partial = true;
      // The keep-alive wait is over; the request itself now has `timeout http-request`.
      this.armRequestTimer(false);
    }
    const r = this.parser.execute(data);
    if (typeof r !== 'number') {
      if (r.code === 'HPE_PAUSED_UPGRADE' || this.queue.at(-1)?.upgrading) return this.queue.at(-1)?.upgradeData(data.subarray(r.bytesParsed));
      return this.protocolError(r.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400);
    }
    const tx = this.queue.at(-1);
    if (tx?.upgrading && r < data.length) tx.upgradeData(data.subarray(r));
  }

  /** Timer for the head of the next request: http-request (or http-keep-alive while idle). */
  private armRequestTimer(idle: boolean): void {
    this.clearRequestTimer();
    const t = this.frontend.timeouts;
    const ms = idle ? (t.httpKeepAlive || t.httpRequest) : t.httpRequest;
    if (ms > 0) this.requestTimer = setTimeout(() => this.onRequestTimeout(idle), ms);
  }

  private clearRequestTimer(): void {
    if (this.requestTimer) clearTimeout(this.requestTimer);
    this.requestTimer = undefined;
  }

  private onRequestTimeout(idleWait: boolean): void {
    if (!this.partial && this.queue.length > 0) return; // a request is being served
    if (idleWait && !this.partial) return this.close(); // idle keep-alive connection: close silently
    this.frontend.counters.requestErrors++;
    this.frontend.logProtocolError(this, 408, 'cR');
    this.sendAndClose(builtinResponse(408));
  }

  private onClientTimeout(): void {
    // While a server is working on a request, `timeout server` decides; else the client is gone.
    const tx = this.queue[0];
    if (tx && tx.waitingForServer) return;
    if (tx) tx.abort('cD');
    this.close();
  }

  private onClientEnd(): void {
    // Half-close: finish what was asked, then close.
    this.draining = true;
    if (this.queue.length === 0) this.close();
  }

  protocolError(status: number): void {
    this.frontend.counters.requestErrors++;
    this.frontend.logProtocolError(this, status, 'PR');
    const tx = this.queue[0];
    if (tx && tx.responseStarted) return this.close();
    this.sendAndClose(builtinResponse(status === 431 ? 400 : status));
  }

  private sendAndClose(response: Buffer): void {
    this.draining = true;
    this.clearRequestTimer();
    // Aborting ends each transaction, which removes it from the queue: work on a copy.
    for (const tx of this.queue.splice(0)) tx.abort('cR');
    if (!this.socket.destroyed) this.socket.end(response);
    this.closed = true;
    this.socket.once('finish', () => this.socket.destroy());
  }

  /** Called by the first transaction when its response has been fully written. */
  transactionDone(tx: HttpTransaction, keepAlive: boolean): void {
    if (this.queue[0] !== tx) return;
    this.queue.shift();
    if (!keepAlive) this.draining = true;
    if (this.draining) {
      if (this.queue.length === 0 || !keepAlive) return this.end();
    }
    if (this.socket.isPaused() && this.queue.length < MAX_PIPELINE) this.socket.resume();
    const next = this.queue[0];
    if (next) next.start();
    else if (!this.partial) this.armRequestTimer(true);
  }

  /** Graceful end: flush what was written, then close. */
  end(): void {
    this.clearRequestTimer();
    if (!this.socket.destroyed) this.socket.end();
    this.closed = true;
  }

  close(): void {
    if (this.closed && this.socket.destroyed) return;
    this.closed = true;
    this.draining = true;
    this.clearRequestTimer();
    for (const tx of this.queue.splice(0)) tx.abort('cD');
    this.socket.destroy();
    this.frontend.connectionClosed(this);
    setImmediate(() => this.parser.close());
  }
}
