/**
 * The history store as the main thread uses it: the same operations as
 * HistoryStore, answered by its worker thread (history-worker.ts), so the
 * engine's event loop never waits for SQLite. Satisfies the control's
 * HistorySource (series, healthEvents) structurally and the recorder's sink.
 */
import { Worker } from 'node:worker_threads';
import type { HealthEvent } from '../checks/index.ts';
import type { SeriesPoint } from '../runtime/series.ts';
import { StoreError } from '../errors.ts';
import type { ConfiguredSince, EngineRun, HistoryStoreOptions, MinuteRecord, StoredHealthEvent } from './history.ts';
import type { HistoryReply, HistoryRequest } from './history-worker.ts';

/** The worker's file next to this one: `.ts` when run from the sources (tsx), `.js` once compiled. */
function workerUrl(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './history-worker.ts' : './history-worker.js', import.meta.url);
}

export class HistoryClient {
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private closed = false;

  private constructor(private readonly worker: Worker, private readonly file: string) {
    worker.on('message', (reply: HistoryReply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.ok) waiting.resolve(reply.value);
      else waiting.reject(Object.assign(new Error(reply.message), { code: reply.code }));
    });
    worker.on('error', (e) => this.failAll(e));
    worker.on('exit', () => this.failAll(new Error('the history worker ended')));
  }

  /** Starts the worker and opens the database in it; a database that cannot be used is a StoreError. */
  static async open(file: string, options: HistoryStoreOptions = {}): Promise<HistoryClient> {
    const url = workerUrl();
    const workerData = { file, options };
    // From the sources (tests run through tsx), a worker thread does not get tsx's loader hooks: it registers them itself first.
    const worker = url.pathname.endsWith('.ts')
      ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`, { eval: true, workerData })
      : new Worker(url, { workerData });
    const ready = await new Promise<{ ready: boolean; message?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    }).catch((e: Error) => ({ ready: false, message: e.message }));
    if (!ready.ready) {
      await worker.terminate();
      throw new StoreError('LS_ERR_STORE_OPEN', ready.message ?? `cannot open the history database ${file}`);
    }
    // The worker must not keep a process alive that is otherwise done; close() ends it properly.
    worker.unref();
    return new HistoryClient(worker, file);
  }

  private failAll(e: Error): void {
    this.closed = true;
    for (const waiting of this.pending.values()) waiting.reject(e);
    this.pending.clear();
  }

  private ask<T>(op: HistoryRequest['op'], args: unknown[]): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('LS_ERR_STORE_OPEN', `the history database ${this.file} is closed`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      // An answer being awaited keeps the process alive; an idle worker does not.
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, op, args } satisfies HistoryRequest);
    });
  }

  writeMinutes(records: readonly MinuteRecord[]): Promise<void> {
    return records.length === 0 ? Promise.resolve() : this.ask('writeMinutes', [records]);
  }

  writeHealthEvents(events: readonly StoredHealthEvent[]): Promise<void> {
    return events.length === 0 ? Promise.resolve() : this.ask('writeHealthEvents', [events]);
  }

  syncConfigured(ids: readonly string[], renamed: ReadonlyMap<string, string> = new Map(), nowMs = Date.now()): Promise<void> {
    // A Map crosses to the worker as a Map (structured clone).
    return this.ask('syncConfigured', [ids, renamed, nowMs]);
  }

  configuredSince(ids: readonly string[]): Promise<Record<string, ConfiguredSince>> {
    return this.ask('configuredSince', [ids]);
  }

  writeRun(startedMs: number, aliveMs: number): Promise<void> {
    return this.ask('writeRun', [startedMs, aliveMs]);
  }

  runs(fromMs: number, toMs: number): Promise<EngineRun[]> {
    return this.ask('runs', [fromMs, toMs]);
  }

  series(id: string, fromMs: number, toMs: number): Promise<SeriesPoint[]> {
    return this.ask('series', [id, fromMs, toMs]);
  }

  healthEvents(backend: string, server: string | undefined, fromMs: number, toMs: number): Promise<HealthEvent[]> {
    return this.ask('healthEvents', [backend, server, fromMs, toMs]);
  }

  prune(nowMs = Date.now()): Promise<{ droppedMinutes: number; droppedEvents: number }> {
    return this.ask('prune', [nowMs]);
  }

  usedBytes(): Promise<number> {
    return this.ask('usedBytes', []);
  }

  integrityCheck(): Promise<string> {
    return this.ask('integrityCheck', []);
  }

  /** Finishes the writes already sent, closes the database and ends the worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.ref();
    await this.ask('close', []);
    this.worker.ref();
    this.closed = true;
    await exited;
  }
}
