/**
 * History that survives a restart: per-minute points of every frontend,
 * backend and server, and health events, in `<data-dir>/history.sqlite`
 * (SQLite through better-sqlite3).
 *
 * Durability: WAL journal with synchronous=NORMAL. Every batch is one
 * transaction, so a crash (even SIGKILL or power loss in the middle of a
 * batch) leaves the database as it was after the last committed batch — a
 * power loss may forget the last batches before a checkpoint, never corrupt
 * the file.
 *
 * Retention: per-minute points and health events are kept 31 days (the
 * contract's history ranges reach 30 days back), then dropped; no
 * downsampling, because no screen asks for older data. Minutes without any
 * activity are not stored (a missing minute reads as zeros), so an idle
 * object costs nothing. On top of the age limit, the database's live pages
 * are capped (default 1 GiB): past it, the oldest day of points goes first.
 * See docs/ui.md for the measured bytes per object-day.
 *
 * This module knows nothing about the engine (history-recorder.ts feeds it)
 * nor about the control contract (whose history source it satisfies
 * structurally: store sits below control in the layering).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { HealthEvent } from '../checks/index.ts';
import type { CheckCode } from '../checks/types.ts';
import { METRICS } from '../runtime/series.ts';
import type { Metric, SeriesPoint } from '../runtime/series.ts';
import { StoreError } from '../errors.ts';

export const HISTORY_FILE = 'history.sqlite';
export const RETENTION_DAYS = 31;
export const DEFAULT_MAX_BYTES = 1024 * 1024 * 1024;
const MINUTE_MS = 60_000;
const DAY_MINUTES = 1440;
/**
 * 1: minutes and health events; 2: when each object was first configured (`configured`, `meta`);
 * 3: when the engine ran (`runs`).
 */
const SCHEMA_VERSION = 3;

/** Percentiles are stored as whole microseconds (compact integers instead of 8-byte reals). */
const PERCENTILES = new Set<Metric>(['p50', 'p95', 'p99']);
/** Metrics that count events within the minute (the others are gauges and percentiles). */
const SUMMED = new Set<Metric>(['requests', 'bytesIn', 'bytesOut', 'hrsp1xx', 'hrsp2xx', 'hrsp3xx', 'hrsp4xx', 'hrsp5xx', 'sessions']);
const COLUMNS = METRICS.map((m) => m.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));

/** A minute of one object, ready to store. */
export interface MinuteRecord {
  /** `frontend:<name>`, `backend:<name>`, `server:<backend>/<server>` */
  id: string;
  point: SeriesPoint;
}

/** A health transition of a server, or (server '') of a backend's own state. */
export type StoredHealthEvent = Omit<HealthEvent, 'code'> & { code?: string };

/**
 * Since when an object has been configured, as the history knows it:
 * `added`, a start or reload that brought it was seen (its age is exact);
 * `history-began`, it was there when this history began (the first start of a
 * new data dir, or of one whose history predates first-seen times), so it may
 * be older.
 */
export interface ConfiguredSince {
  time: number;
  how: 'added' | 'history-began';
}

/**
 * One run of the engine: from its start to the last moment it was known
 * alive (the recorder's last update: its stop, or within a minute of a kill).
 */
export interface EngineRun {
  /** epoch ms: the engine's start */
  from: number;
  /** epoch ms: last known alive */
  to: number;
}

export interface HistoryStoreOptions {
  /** Bytes of live pages past which the oldest days are dropped; default 1 GiB. */
  maxBytes?: number;
  retentionDays?: number;
}

export class HistoryStore {
  private readonly db: Database.Database;
  private readonly objectIds = new Map<string, number>();
  private readonly insertObject: Database.Statement;
  private readonly selectObject: Database.Statement;
  private readonly insertMinute: Database.Statement;
  private readonly insertHealth: Database.Statement;
  private readonly upsertRun: Database.Statement;
  private readonly maxBytes: number;
  private readonly retentionDays: number;
  private closed = false;

  /** Opens (creating when missing) the database; a file that is not a usable history database is a StoreError. */
  static open(file: string, options: HistoryStoreOptions = {}): HistoryStore {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      const store = new HistoryStore(new Database(file), options);
      // Traffic history is private like the rest of the data dir (SQLite creates its files with the umask's mode).
      for (const f of [file, `${file}-wal`, `${file}-shm`]) if (fs.existsSync(f)) fs.chmodSync(f, 0o600);
      return store;
    } catch (e) {
      if (e instanceof StoreError) throw e;
      throw new StoreError('LS_ERR_STORE_OPEN', `cannot open the history database ${file}: ${(e as Error).message}. Move the file away to start a new history.`, { cause: e });
    }
  }

  private constructor(db: Database.Database, options: HistoryStoreOptions) {
    this.db = db;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.retentionDays = options.retentionDays ?? RETENTION_DAYS;
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // Another process holding the write lock (a second `serve` on the same data dir) waits briefly, then fails.
      db.pragma('busy_timeout = 2000');
      this.migrate();
    } catch (e) {
      db.close();
      throw e;
    }
    this.insertObject = db.prepare('INSERT OR IGNORE INTO objects(name) VALUES (?)');
    this.selectObject = db.prepare('SELECT id FROM objects WHERE name = ?');
    // A minute written twice holds both parts (the part before a restart and the part after it, within one
    // minute): counts add up, gauges and percentiles keep the higher value.
    const merge = METRICS.map((m, i) => {
      const c = COLUMNS[i]!;
      return SUMMED.has(m) ? `${c} = ${c} + excluded.${c}` : `${c} = MAX(${c}, excluded.${c})`;
    });
    this.insertMinute = db.prepare(`INSERT INTO minutes(object, minute, ${COLUMNS.join(', ')}) VALUES (?, ?, ${COLUMNS.map(() => '?').join(', ')})
      ON CONFLICT(object, minute) DO UPDATE SET ${merge.join(', ')}`);
    this.insertHealth = db.prepare('INSERT INTO health(time, backend, server, from_state, to_state, code, duration_ms, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.upsertRun = db.prepare('INSERT INTO runs(started, alive) VALUES (?, ?) ON CONFLICT(started) DO UPDATE SET alive = MAX(alive, excluded.alive)');
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new StoreError('LS_ERR_STORE_OPEN', `the history database was written by a newer Loadstar (schema ${version}, this one knows ${SCHEMA_VERSION}).`);
    }
    if (version === SCHEMA_VERSION) return;
    // A history older than run records has none: no gap is known before the first run recorded from now on.
    if (version === 2) {
      this.db.exec(`BEGIN; ${RUN_TABLE} PRAGMA user_version = ${SCHEMA_VERSION}; COMMIT;`);
      return;
    }
    if (version === 1) {
      // A history older than first-seen times: it began with its oldest point or health event (what it can vouch for).
      const oldest = this.db.prepare('SELECT MIN(t) AS t FROM (SELECT MIN(minute) * 60000 AS t FROM minutes UNION ALL SELECT MIN(time) FROM health)').get() as { t: number | null };
      this.db.exec(`BEGIN; ${CONFIGURED_TABLES} ${RUN_TABLE} PRAGMA user_version = ${SCHEMA_VERSION}; COMMIT;`);
      this.db.prepare("INSERT INTO meta(key, value) VALUES ('history_began', ?)").run(oldest.t ?? Date.now());
      return;
    }
    this.db.exec(`
      BEGIN;
      ${CONFIGURED_TABLES}
      ${RUN_TABLE}
      INSERT INTO meta(key, value) VALUES ('history_began', ${Date.now()});
      CREATE TABLE objects(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
      CREATE TABLE minutes(
        object INTEGER NOT NULL,
        minute INTEGER NOT NULL,
        ${COLUMNS.map((c) => `${c} INTEGER NOT NULL`).join(',\n        ')},
        PRIMARY KEY (object, minute)
      ) WITHOUT ROWID;
      CREATE TABLE health(
        id INTEGER PRIMARY KEY,
        time INTEGER NOT NULL,
        backend TEXT NOT NULL,
        server TEXT NOT NULL,
        from_state TEXT NOT NULL,
        to_state TEXT NOT NULL,
        code TEXT,
        duration_ms INTEGER,
        reason TEXT NOT NULL
      );
      CREATE INDEX health_by_object ON health(backend, server, time);
      CREATE INDEX health_by_time ON health(time);
      PRAGMA user_version = ${SCHEMA_VERSION};
      COMMIT;
    `);
  }

  private objectId(name: string): number {
    let id = this.objectIds.get(name);
    if (id === undefined) {
      this.insertObject.run(name);
      id = (this.selectObject.get(name) as { id: number }).id;
      this.objectIds.set(name, id);
    }
    return id;
  }

  /**
   * Records the objects the running configuration has (`frontend:`, `backend:`,
   * `server:` ids): one not known yet was added at `nowMs`, one no longer in
   * the list was removed (added again later, it starts a new age); a renamed
   * one (`renamed`: new id → old id) keeps its age. The first call of a
   * history records every object as there when the history began.
   */
  syncConfigured(ids: readonly string[], renamed: ReadonlyMap<string, string> = new Map(), nowMs = Date.now()): void {
    if (this.closed) return;
    const db = this.db;
    db.transaction(() => {
      const first = db.prepare("SELECT value FROM meta WHERE key = 'configured_synced'").get() === undefined;
      const began = (db.prepare("SELECT value FROM meta WHERE key = 'history_began'").get() as { value: number } | undefined)?.value ?? nowMs;
      const present = new Set(ids);
      const rename = db.prepare('UPDATE OR IGNORE configured SET name = ? WHERE name = ?');
      for (const [to, from] of renamed) if (present.has(to) && !present.has(from)) rename.run(to, from);
      const known = db.prepare('SELECT name FROM configured').pluck().all() as string[];
      const drop = db.prepare('DELETE FROM configured WHERE name = ?');
      for (const name of known) if (!present.has(name)) drop.run(name);
      const add = db.prepare('INSERT OR IGNORE INTO configured(name, since, added) VALUES (?, ?, ?)');
      for (const id of present) add.run(id, first ? Math.min(began, nowMs) : nowMs, first ? 0 : 1);
      if (first) db.prepare("INSERT INTO meta(key, value) VALUES ('configured_synced', ?)").run(nowMs);
    })();
  }

  /** Since when each of `ids` has been configured, as far as known (ids never synced are left out). */
  configuredSince(ids: readonly string[]): Record<string, ConfiguredSince> {
    const get = this.db.prepare('SELECT since, added FROM configured WHERE name = ?');
    const out: Record<string, ConfiguredSince> = {};
    for (const id of ids) {
      const row = get.get(id) as { since: number; added: number } | undefined;
      if (row) out[id] = { time: row.since, how: row.added ? 'added' : 'history-began' };
    }
    return out;
  }

  /** Stores minutes in one transaction; a minute already stored for the object is merged with the new part. */
  writeMinutes(records: readonly MinuteRecord[]): void {
    if (records.length === 0 || this.closed) return;
    this.db.transaction(() => {
      for (const { id, point } of records) {
        const values = METRICS.map((m) => Math.round(PERCENTILES.has(m) ? point.values[m] * 1000 : point.values[m]));
        this.insertMinute.run(this.objectId(id), Math.floor(point.t / MINUTE_MS), ...values);
      }
    })();
  }

  /** Stores health events in one transaction. */
  writeHealthEvents(events: readonly StoredHealthEvent[]): void {
    if (events.length === 0 || this.closed) return;
    this.db.transaction(() => {
      for (const e of events) {
        this.insertHealth.run(Math.round(e.time), e.backend, e.server ?? '', e.from, e.to, e.code ?? null, e.durationMs === undefined ? null : Math.round(e.durationMs), e.reason);
      }
    })();
  }

  /**
   * Records that the engine run started at `startedMs` was alive at `aliveMs`
   * (its start, each minute, its stop): the run's end only moves forward.
   */
  writeRun(startedMs: number, aliveMs: number): void {
    if (this.closed) return;
    this.upsertRun.run(Math.round(startedMs), Math.round(Math.max(startedMs, aliveMs)));
  }

  /**
   * The engine's runs that reach into [fromMs, toMs], oldest first, with the
   * last one that ended before `fromMs` (so a range that begins while the
   * engine was not running knows it). Empty when no run was recorded: the
   * time before the first recorded run has no known gaps.
   */
  runs(fromMs: number, toMs: number): EngineRun[] {
    const before = this.db.prepare('SELECT started, alive FROM runs WHERE alive < ? ORDER BY alive DESC LIMIT 1').get(Math.floor(fromMs)) as RunRow | undefined;
    const within = this.db.prepare('SELECT started, alive FROM runs WHERE alive >= ? AND started <= ? ORDER BY started').all(Math.floor(fromMs), Math.ceil(toMs)) as RunRow[];
    return (before ? [before, ...within] : within).map((r) => ({ from: r.started, to: r.alive }));
  }

  /**
   * The stored per-minute points of one object whose minute starts within
   * [fromMs, toMs], oldest first. Sparse: a minute without activity (or
   * while no engine ran) has no point; read it as zeros.
   */
  series(id: string, fromMs: number, toMs: number): SeriesPoint[] {
    const object = this.db.prepare('SELECT id FROM objects WHERE name = ?').get(id) as { id: number } | undefined;
    if (!object) return [];
    const rows = this.db.prepare(`SELECT minute, ${COLUMNS.join(', ')} FROM minutes WHERE object = ? AND minute >= ? AND minute <= ? ORDER BY minute`)
      .raw().all(object.id, Math.ceil(fromMs / MINUTE_MS), Math.floor(toMs / MINUTE_MS)) as number[][];
    return rows.map((row) => toPoint(row[0]!, row.slice(1)));
  }

  /** Health transitions within [fromMs, toMs], oldest first: of one server, or of every server of the backend when `server` is undefined. */
  healthEvents(backend: string, server: string | undefined, fromMs: number, toMs: number): HealthEvent[] {
    const rows = (server === undefined
      ? this.db.prepare('SELECT * FROM health WHERE backend = ? AND time >= ? AND time <= ? ORDER BY time, id').all(backend, Math.floor(fromMs), Math.ceil(toMs))
      : this.db.prepare('SELECT * FROM health WHERE backend = ? AND server = ? AND time >= ? AND time <= ? ORDER BY time, id').all(backend, server, Math.floor(fromMs), Math.ceil(toMs))) as HealthRow[];
    return rows.map(toHealthEvent);
  }

  /** The latest event before `timeMs` (the state at the start of a range), if any is kept. */
  lastHealthEventBefore(backend: string, server: string | undefined, timeMs: number): HealthEvent | undefined {
    const row = this.db.prepare('SELECT * FROM health WHERE backend = ? AND server = ? AND time < ? ORDER BY time DESC, id DESC LIMIT 1')
      .get(backend, server ?? '', Math.floor(timeMs)) as HealthRow | undefined;
    return row && toHealthEvent(row);
  }

  /**
   * Drops what is older than the retention, then, while the live pages exceed
   * the size cap, the oldest remaining day of points. Each step is its own
   * transaction so a large prune never holds the write lock for long.
   */
  prune(nowMs = Date.now()): { droppedMinutes: number; droppedEvents: number } {
    if (this.closed) return { droppedMinutes: 0, droppedEvents: 0 };
    const cutoffMinute = Math.floor(nowMs / MINUTE_MS) - this.retentionDays * DAY_MINUTES;
    let droppedMinutes = this.deleteMinutesBefore(cutoffMinute);
    const droppedEvents = this.db.prepare('DELETE FROM health WHERE time < ?').run(cutoffMinute * MINUTE_MS).changes;
    // The newest run that ended before the cutoff stays: the gap after it may still reach into the ranges shown.
    this.db.prepare('DELETE FROM runs WHERE alive < @cutoff AND started < (SELECT MAX(started) FROM runs WHERE alive < @cutoff)').run({ cutoff: cutoffMinute * MINUTE_MS });
    for (let step = 0; step < this.retentionDays && this.usedBytes() > this.maxBytes; step++) {
      const oldest = (this.db.prepare('SELECT MIN(minute) AS m FROM minutes').get() as { m: number | null }).m;
      if (oldest === null) break;
      droppedMinutes += this.deleteMinutesBefore(oldest + DAY_MINUTES);
    }
    this.db.prepare('DELETE FROM objects WHERE id NOT IN (SELECT DISTINCT object FROM minutes)').run();
    this.objectIds.clear();
    return { droppedMinutes, droppedEvents };
  }

  private deleteMinutesBefore(minute: number): number {
    // Per object, so each delete walks the primary key instead of scanning the table.
    const objects = this.db.prepare('SELECT id FROM objects').pluck().all() as number[];
    const del = this.db.prepare('DELETE FROM minutes WHERE object = ? AND minute < ?');
    let changes = 0;
    this.db.transaction(() => {
      for (const id of objects) changes += del.run(id, minute).changes;
    })();
    return changes;
  }

  /** Bytes in use by the database's pages (free pages, reused by later writes, not counted). */
  usedBytes(): number {
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    return (pages - free) * pageSize;
  }

  /** `PRAGMA integrity_check`'s verdict: 'ok' or the problems found. */
  integrityCheck(): string {
    return (this.db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; ');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

/** First-seen times of configured objects, and facts about the history itself (`history_began`, `configured_synced`). */
const CONFIGURED_TABLES = `
  CREATE TABLE configured(name TEXT PRIMARY KEY, since INTEGER NOT NULL, added INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;

/** Each engine run: its start and the last moment it was known alive. */
const RUN_TABLE = `
  CREATE TABLE runs(started INTEGER PRIMARY KEY, alive INTEGER NOT NULL);
`;

interface RunRow {
  started: number;
  alive: number;
}

interface HealthRow {
  time: number;
  backend: string;
  server: string;
  from_state: string;
  to_state: string;
  code: string | null;
  duration_ms: number | null;
  reason: string;
}

function toHealthEvent(r: HealthRow): HealthEvent {
  const e: HealthEvent = { time: r.time, backend: r.backend, server: r.server, from: r.from_state, to: r.to_state, reason: r.reason };
  if (r.code !== null) e.code = r.code as CheckCode;
  if (r.duration_ms !== null) e.durationMs = r.duration_ms;
  return e;
}

function toPoint(minute: number, row: number[]): SeriesPoint {
  const values = {} as Record<Metric, number>;
  METRICS.forEach((m, i) => {
    const v = row[i]!;
    values[m] = PERCENTILES.has(m) ? v / 1000 : v;
  });
  return { t: minute * MINUTE_MS, values };
}
