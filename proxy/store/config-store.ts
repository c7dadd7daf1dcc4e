/**
 * Safe apply for `<data-dir>/haproxy.cfg` (issue #13 §1): every change is
 * validated, written atomically, loaded into the running engine, then watched
 * for a grace window; a change that breaks a backend (it had a usable server
 * before and has none during the window) or that the engine refuses is rolled
 * back to the previous text automatically. Every change is kept as a version
 * (versions.ts), with the reason when it was refused or rolled back.
 *
 * The file on disk may be edited by hand while Loadstar runs. The store never
 * overwrites such an edit silently: `current()` reports it (`modifiedOnDisk`
 * and the disk text), and `apply()` takes the hash of the text the user
 * started from (`baseHash`) and refuses with LS_ERR_CTL_CONFLICT when the
 * file no longer has that hash — optimistic concurrency, which also protects
 * two browser windows from overwriting each other.
 *
 * Changes are serialised: an apply that arrives during another one's grace
 * window waits for it to end.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseConfig, formatDiagnostic } from '../config/index.ts';
import type { Diagnostic, LoadResult } from '../config/index.ts';
import type { Config } from '../config/model.ts';
import type { Engine } from '../engine.ts';
import { LoadstarError } from '../errors.ts';
import { noListenerWarning } from '../config/listens.ts';
import { unsupportedFeatures, unsupportedMessage } from '../runtime/unsupported.ts';
import type { ErrorCode } from '../errors.ts';
import { writeFileAtomic, ensurePrivateDir } from '../certs/atomic-write.ts';
import { VersionStore, VERSION_SOURCES, textHash } from './versions.ts';
import type { ChangeSource, StoredVersion, VersionRecord, VersionSource } from './versions.ts';
import { summarizeChange } from './change-summary.ts';

/**
 * Writes the configuration atomically, keeping the mode and owner of the file it replaces (a hand-kept
 * /etc/haproxy/haproxy.cfg is 0644, or root:haproxy 0640: an edit in the UI made it 0600 and the
 * process's own); a new file is 0600.
 */
function writeConfigFile(file: string, text: string): void {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file);
  } catch {
    stat = undefined;
  }
  writeFileAtomic(file, text, stat ? stat.mode & 0o777 : 0o600, stat ? { uid: stat.uid, gid: stat.gid } : undefined);
}
import { unifiedDiff } from './line-diff.ts';

export type { ChangeSource, VersionRecord, VersionSource, StoredVersion } from './versions.ts';

/** The default grace window after an apply, ms. */
export const DEFAULT_GRACE_MS = 10_000;

/** Usable servers of one backend now. */
export interface BackendHealth {
  usable: number;
  total: number;
  /** `api1 DOWN, api2 DOWN`: each server's state, for the rollback reason. */
  detail: string;
}

/** What the store needs from the running engine; `engineTarget()` adapts an Engine. */
export interface ApplyTarget {
  /** Loads a validated configuration; throws (a LoadstarError) when the engine refuses it, changing nothing. */
  reload(config: Config): Promise<void>;
  /** Backends of the running configuration by name. */
  backendHealth(): Map<string, BackendHealth>;
  /** Tells the UI (the engine's `events` topic, as an alert): automatic rollbacks. */
  announce?(message: string): void;
}

export function engineTarget(engine: Engine): ApplyTarget {
  return {
    reload: (config) => engine.reload(config),
    backendHealth() {
      const out = new Map<string, BackendHealth>();
      for (const p of engine.currentConfig().proxies) {
        if (p.kind !== 'backend' && p.kind !== 'listen') continue;
        const runtime = engine.backend(p.name);
        if (!runtime) continue;
        const usable = runtime.servers.filter((s) => s.usable && s.weight > 0).length;
        out.set(p.name, { usable, total: runtime.servers.length, detail: runtime.servers.map((s) => `${s.name} ${s.status}`).join(', ') });
      }
      return out;
    },
    announce: (message) => engine.events.publish('events', { type: 'alert', time: Date.now(), message }),
  };
}

export interface StoreError {
  code: ErrorCode;
  message: string;
}

/** The contract's result shape (proxy/control/contract.ts `Result`), kept structurally equal. */
export type StoreResult<T> = { ok: true; value: T } | { ok: false; error: StoreError & { diagnostics?: StoreDiagnostic[] } };

export interface StoreDiagnostic {
  file: string;
  line: number;
  column: number;
  severity: 'warning' | 'alert' | 'fatal';
  code: string;
  keyword?: string;
  message: string;
  text: string;
}

export function toStoreDiagnostic(d: Diagnostic): StoreDiagnostic {
  return { file: d.file, line: d.line, column: d.column, severity: d.severity, code: d.code, keyword: d.keyword, message: d.message, text: formatDiagnostic(d) };
}

export interface CurrentConfig {
  /** The text Loadstar last applied or loaded (what runs). */
  text: string;
  /**
   * sha256 of `text`: the `baseHash` of a change based on it. When the file was
   * edited by hand, such a change is refused (LS_ERR_CTL_CONFLICT) instead of
   * overwriting the edit.
   */
  hash: string;
  /**
   * sha256 of the file on disk now (equal to `hash` unless it was edited by hand).
   * Passing it as `baseHash` is the explicit choice to replace the hand edit (after
   * showing `diskText`), or to adopt it (apply `diskText` itself).
   */
  diskHash: string;
  path: string;
  /** The file differs from what Loadstar last wrote or loaded: someone edited it by hand. */
  modifiedOnDisk: boolean;
  /** The file's text, when it differs from `text` (absent: the file is missing). */
  diskText?: string;
  /** epoch ms until which the latest change is watched (a grace window is running). */
  watchingUntil?: number;
}

export interface ApplyRequest {
  text: string;
  /** Hash of the text the change was based on (`current().hash`, or `current().diskHash` to replace a hand edit). */
  baseHash: string;
  source: ChangeSource;
  /** Default: computed from the model diff. */
  summary?: string;
  /** Default: the store's grace window. */
  graceMs?: number;
}

export type ApplyOutcome =
  /** Running and kept after the grace window. */
  | { outcome: 'applied'; version: VersionRecord; diagnostics: StoreDiagnostic[] }
  /** Nothing changed: the text has errors (diagnostics) or the engine refused it (reason, and then both versions). */
  | { outcome: 'refused'; reason: string; diagnostics: StoreDiagnostic[]; version?: VersionRecord; rollback?: VersionRecord; /** The engine's error code when the engine refused it. */ code?: ErrorCode }
  /** It ran, broke something during the grace window, and the previous text runs again. */
  | { outcome: 'rolled-back'; reason: string; version: VersionRecord; rollback: VersionRecord; diagnostics: StoreDiagnostic[] };

export interface ConfigStoreOptions {
  dataDir: string;
  /** Default `<dataDir>/haproxy.cfg`. */
  file?: string;
  /** The running engine; without one, apply validates and writes only. */
  target?: ApplyTarget;
  /** ms, default 10 s. */
  graceMs?: number;
  /** How often server states are looked at during the window, ms (default 100). */
  pollMs?: number;
  /** Versions kept, default 50. */
  keep?: number;
  /** The text the engine runs, when it is not the file's (default: the file's text). */
  runningText?: string;
  /** Told about automatic rollbacks and external edits adopted at open (the UI's events). */
  onEvent?: (message: string) => void;
}

const ok = <T>(value: T): StoreResult<T> => ({ ok: true, value });
const fail = (code: ErrorCode, message: string): StoreResult<never> => ({ ok: false, error: { code, message } });

export class ConfigStore {
  readonly path: string;
  readonly versions: VersionStore;
  private runningText: string;
  /** Hash of what Loadstar last wrote or loaded; the disk differing from it is a hand edit. */
  private knownHash: string;
  private readonly graceMs: number;
  private readonly pollMs: number;
  private queue: Promise<unknown> = Promise.resolve();
  private watchingUntil: number | undefined;
  /** The hand edit last announced (its hash), so one edit is told once. */
  private announcedHash: string | undefined;

  private constructor(private readonly options: ConfigStoreOptions, text: string) {
    this.path = options.file ?? path.join(options.dataDir, 'haproxy.cfg');
    this.versions = new VersionStore(path.join(options.dataDir, 'versions'), options.keep ?? 50);
    this.runningText = options.runningText ?? text;
    this.knownHash = textHash(text);
    this.graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    this.pollMs = options.pollMs ?? 100;
  }

  /**
   * Opens the store on the file (created empty-handed: a missing file reads as
   * ''). The first open records the file as version 1 (`initial`); a file that
   * changed since the newest applied version (edited while Loadstar was not
   * running) is recorded as an `external` version.
   */
  static open(options: ConfigStoreOptions): ConfigStore {
    ensurePrivateDir(options.dataDir);
    const file = options.file ?? path.join(options.dataDir, 'haproxy.cfg');
    const text = readText(file) ?? '';
    const store = new ConfigStore(options, text);
    const latest = store.versions.latestApplied();
    if (!latest) {
      store.versions.add({ text, source: 'initial', summary: 'initial configuration', outcome: 'applied' });
    } else if (latest.hash !== textHash(text)) {
      const summary = `edited outside Loadstar: ${store.summarize(latest.text, text)}`;
      store.versions.add({ text, source: 'external', summary, outcome: 'applied' });
      options.onEvent?.(`haproxy.cfg was changed outside Loadstar since version ${latest.id}; recorded as a new version`);
    }
    return store;
  }

  private parse(text: string): LoadResult {
    return parseConfig([{ name: this.path, text }]);
  }

  private summarize(before: string, after: string): string {
    const b = this.parse(before);
    const a = this.parse(after);
    return summarizeChange({ text: before, config: b.ok ? b.config : undefined }, { text: after, config: a.ok ? a.config : undefined });
  }

  /** What runs, the file's hash, and whether the file was edited by hand. */
  current(): CurrentConfig {
    const disk = readText(this.path);
    const diskHash = textHash(disk ?? '');
    const modifiedOnDisk = diskHash !== this.knownHash;
    return {
      text: this.runningText,
      hash: textHash(this.runningText),
      diskHash,
      path: this.path,
      modifiedOnDisk,
      ...(disk !== this.runningText && disk !== undefined ? { diskText: disk } : {}),
      ...(this.watchingUntil !== undefined ? { watchingUntil: this.watchingUntil } : {}),
    };
  }

  /**
   * The engine loaded the file by another way (`loadstar serve`'s SIGHUP reload):
   * the file's text becomes the running text, and a version (`external` by default)
   * when it differs from the newest applied one. Returns that version, if any.
   */
  adopt(source: VersionSource = 'external', text: string = readText(this.path) ?? ''): VersionRecord | undefined {
    const previous = this.runningText;
    this.runningText = text;
    this.knownHash = textHash(text);
    if (this.versions.latestApplied()?.hash === this.knownHash) return undefined;
    return this.versions.add({ text, source, summary: `reloaded from disk: ${this.summarize(previous, text)}`, outcome: 'applied' });
  }

  /** The diff and summary of a candidate text against what runs, with its diagnostics; changes nothing. */
  preview(text: string): StoreResult<{ diff: string; summary: string; diagnostics: StoreDiagnostic[]; valid: boolean }> {
    if (typeof text !== 'string') return fail('LS_ERR_CTL_BAD_VALUE', 'the configuration text must be a string');
    const parsed = this.parse(text);
    const diagnostics = checkedDiagnostics(parsed, this.path);
    return ok({
      diff: unifiedDiff(this.runningText, text, { from: 'running', to: 'proposed' }),
      summary: this.summarize(this.runningText, text),
      diagnostics,
      valid: !diagnostics.some((d) => d.severity !== 'warning'),
    });
  }

  /**
   * Looks at the file every `intervalMs` (a stat; the text is read only when the
   * size or time changed) and tells the UI once per hand edit (the target's
   * `announce`, and `onEvent`). Returns the function that stops watching.
   */
  watchFile(intervalMs = 2000): () => void {
    let last = '';
    const look = (): void => {
      let stamp: string;
      try {
        const st = fs.statSync(this.path);
        stamp = `${st.size}:${st.mtimeMs}`;
      } catch {
        stamp = 'missing';
      }
      if (stamp === last) return;
      last = stamp;
      const current = this.current();
      if (!current.modifiedOnDisk) {
        this.announcedHash = undefined;
        return;
      }
      if (this.announcedHash === current.diskHash) return;
      this.announcedHash = current.diskHash;
      const message = `${this.path} was changed outside Loadstar; the running configuration is unchanged. Load or compare it in the editor before applying a change.`;
      this.options.onEvent?.(message);
      this.options.target?.announce?.(message);
    };
    const timer = setInterval(look, intervalMs);
    timer.unref();
    look();
    return () => clearInterval(timer);
  }

  listVersions(): VersionRecord[] {
    return this.versions.list();
  }

  getVersion(id: number): StoreResult<StoredVersion> {
    if (!Number.isSafeInteger(id) || id < 1) return fail('LS_ERR_CTL_BAD_VALUE', `a version id is a positive whole number (got ${JSON.stringify(id)})`);
    const v = this.versions.get(id);
    return v ? ok(v) : fail('LS_ERR_CTL_NOT_FOUND', `there is no version ${id} (the newest 50 are kept)`);
  }

  /** Safe apply; see the file comment. Resolves after the grace window. */
  apply(request: ApplyRequest): Promise<StoreResult<ApplyOutcome>> {
    return this.serialised(() => this.applyNow(request));
  }

  /** Applies an older version's text again (source `rollback`), through the same safe apply. */
  rollback(id: number, baseHash?: string): Promise<StoreResult<ApplyOutcome>> {
    return this.serialised(async () => {
      const found = this.getVersion(id);
      if (!found.ok) return found;
      const v = found.value;
      return this.applyNow({
        text: v.text,
        baseHash: baseHash ?? this.knownHash,
        source: 'rollback',
        summary: `rolled back to version ${id} (${v.summary})`,
      }, id);
    });
  }

  private serialised<T>(run: () => Promise<T>): Promise<T> {
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async applyNow(request: ApplyRequest, restores?: number): Promise<StoreResult<ApplyOutcome>> {
    const bad = checkRequest(request);
    if (bad) return fail('LS_ERR_CTL_BAD_VALUE', bad);
    const diskText = readText(this.path) ?? '';
    const diskHash = textHash(diskText);
    if (request.baseHash !== diskHash) {
      const byHand = diskHash !== this.knownHash;
      return fail('LS_ERR_CTL_CONFLICT', byHand
        ? `${this.path} was edited by hand after this change was started, and Loadstar does not overwrite that silently: load the file (Configuration: "Load the file from disk") or choose to replace it, then apply again (over the API: with its diskHash as baseHash).`
        : `${this.path} changed (another window or command applied a change) after this change was started; load the configuration again and redo the change.`);
    }
    const parsed = this.parse(request.text);
    const diagnostics = checkedDiagnostics(parsed, this.path);
    if (diagnostics.some((d) => d.severity !== 'warning')) {
      const first = diagnostics.find((d) => d.severity !== 'warning');
      return ok({ outcome: 'refused', reason: `the configuration has errors${first ? `: ${first.text}` : ''}`, diagnostics });
    }
    const previousText = this.runningText;
    const summary = request.summary ?? this.summarize(previousText, request.text);
    const target = this.options.target;
    const before = target?.backendHealth() ?? new Map<string, BackendHealth>();
    try {
      writeConfigFile(this.path, request.text);
    } catch (e) {
      return fail('LS_ERR_STORE_WRITE', `${this.path} could not be written (${(e as Error).message}); nothing changed.`);
    }
    this.knownHash = textHash(request.text);
    if (target) {
      try {
        await target.reload(parsed.config);
      } catch (e) {
        // The engine kept the previous configuration; the file goes back to it too.
        const reason = `the engine refused the configuration: ${e instanceof LoadstarError ? e.message : String(e)}`;
        this.writeBack(diskText);
        const running = this.versions.latestApplied();
        const version = this.versions.add({ text: request.text, source: request.source, summary, outcome: 'refused', reason, restores });
        const rollback = this.versions.add({ text: previousText, source: 'automatic-rollback', summary: `restored the previous configuration (version ${version.id} was refused)`, outcome: 'applied', reason, restores: running?.id });
        if (!(e instanceof LoadstarError)) throw e;
        return ok({ outcome: 'refused', reason, diagnostics, version, rollback, code: e.code });
      }
    }
    this.runningText = request.text;
    const version = this.versions.add({ text: request.text, source: request.source, summary, outcome: 'applied', restores });
    if (!target) return ok({ outcome: 'applied', version, diagnostics });
    const broken = await this.watch(target, before, request.graceMs ?? this.graceMs);
    if (!broken) return ok({ outcome: 'applied', version, diagnostics });
    return ok(await this.rollBackAutomatically(target, version, previousText, broken, diagnostics));
  }

  /** Polls server states for `graceMs`; returns why the change broke something, or undefined. */
  private async watch(target: ApplyTarget, before: Map<string, BackendHealth>, graceMs: number): Promise<string | undefined> {
    // No backend had a usable server before the change (a first start, an engine that had failed):
    // none can lose its last one, so there is nothing to watch for.
    if (![...before.values()].some((h) => h.usable > 0)) return undefined;
    const until = Date.now() + graceMs;
    this.watchingUntil = until;
    try {
      for (;;) {
        const now = target.backendHealth();
        const lost = [...before].filter(([name, h]) => h.usable > 0 && now.get(name)?.usable === 0);
        if (lost.length > 0) {
          return lost.map(([name]) => `backend ${name} has no usable server after the change (${now.get(name)!.detail})`).join('; ');
        }
        if (Date.now() >= until) return undefined;
        await new Promise((r) => setTimeout(r, Math.min(this.pollMs, Math.max(0, until - Date.now()))));
      }
    } finally {
      this.watchingUntil = undefined;
    }
  }

  private async rollBackAutomatically(target: ApplyTarget, version: VersionRecord, previousText: string, reason: string, diagnostics: StoreDiagnostic[]): Promise<ApplyOutcome> {
    const restored = this.versions.list().find((v) => v.id < version.id && v.outcome === 'applied' && v.hash === textHash(previousText));
    const previous = this.parse(previousText);
    let restoreProblem = '';
    if (previous.ok) {
      try {
        await target.reload(previous.config);
        this.runningText = previousText;
        this.writeBack(previousText);
      } catch (e) {
        restoreProblem = `; restoring the previous configuration failed too: ${(e as Error).message}`;
      }
    } else restoreProblem = '; the previous configuration no longer loads, so the change stays';
    this.versions.update(version.id, { outcome: 'rolled-back', reason: reason + restoreProblem });
    const rollback = this.versions.add({
      text: this.runningText,
      source: 'automatic-rollback',
      summary: `rolled back version ${version.id} automatically`,
      outcome: 'applied',
      reason: reason + restoreProblem,
      restores: restored?.id,
    });
    const message = `configuration version ${version.id} was rolled back automatically: ${reason}${restoreProblem}`;
    this.options.onEvent?.(message);
    target.announce?.(message);
    return { outcome: 'rolled-back', reason: reason + restoreProblem, version: { ...version, outcome: 'rolled-back', reason: reason + restoreProblem }, rollback, diagnostics };
  }

  /** Puts `text` back in the file, best effort (the engine already runs it). */
  private writeBack(text: string): void {
    try {
      writeConfigFile(this.path, text);
      this.knownHash = textHash(text);
    } catch (e) {
      this.options.onEvent?.(`could not restore ${this.path}: ${(e as Error).message}`);
    }
  }
}

/**
 * The parser's diagnostics, plus what parses but the engine does not run yet
 * (runtime/unsupported.ts): an import or an edit learns it before applying,
 * at its line, instead of from a refused reload.
 */
/** `file`: the name the text was parsed under (where a whole-text warning points). */
export function checkedDiagnostics(parsed: LoadResult, file: string): StoreDiagnostic[] {
  const out = parsed.diagnostics.map(toStoreDiagnostic);
  if (!parsed.ok) return out;
  const silent = noListenerWarning(parsed.config, file);
  if (silent) out.push(toStoreDiagnostic(silent));
  for (const use of unsupportedFeatures(parsed.config)) {
    out.push(toStoreDiagnostic({
      file: use.file, line: use.line, column: 1, severity: 'alert', code: 'LS_ERR_CFG_UNSUPPORTED',
      message: unsupportedMessage(use),
    }));
  }
  return out;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function checkRequest(r: ApplyRequest | undefined): string | undefined {
  if (typeof r !== 'object' || r === null) return 'the change must be an object { text, baseHash, source }';
  if (typeof r.text !== 'string') return 'text: the configuration text must be a string';
  if (typeof r.baseHash !== 'string' || !/^[0-9a-f]{64}$/.test(r.baseHash)) return 'baseHash: the sha256 (hex) of the text the change started from, as getConfig returns it';
  if (!VERSION_SOURCES.includes(r.source)) return `source: one of ${VERSION_SOURCES.join(', ')} (got ${JSON.stringify(r.source)})`;
  if (r.summary !== undefined && typeof r.summary !== 'string') return 'summary: a one-line text';
  if (r.graceMs !== undefined && (!Number.isFinite(r.graceMs) || r.graceMs < 0 || r.graceMs > 600_000)) return 'graceMs: between 0 and 600000 ms';
  return undefined;
}
