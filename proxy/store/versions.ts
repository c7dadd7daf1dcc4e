/**
 * The version history of haproxy.cfg in `<data-dir>/versions/`: one JSON file
 * per applied (or attempted) change, holding the full text, who or what made
 * it, a one-line summary and the unified diff to the version before. The
 * newest `keep` (default 50) are kept. Each file is written atomically, so a
 * crash leaves whole versions only; a damaged file is skipped, not fatal.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { ensurePrivateDir, writeFileAtomic } from '../certs/atomic-write.ts';
import { unifiedDiff } from './line-diff.ts';

/**
 * Who or what made a version. `initial` is the file as Loadstar first found it (the built-in demo it wrote
 * itself, or the file given with --config): version 1, never a change, so not a source a change may claim.
 */
export type VersionSource = 'initial' | ChangeSource;
export type ChangeSource = 'wizard' | 'editor' | 'import' | 'rollback' | 'automatic-rollback' | 'cli' | 'external' | 'api';
/** The sources a change (apply) may name. */
export const VERSION_SOURCES: readonly ChangeSource[] = ['wizard', 'editor', 'import', 'rollback', 'automatic-rollback', 'cli', 'external', 'api'];

/**
 * What became of the version: `applied` (it ran, and is or was the live
 * configuration), `refused` (the engine would not load it; nothing changed),
 * `rolled-back` (it ran, failed the grace window and was replaced by the
 * version before it).
 */
export type VersionOutcome = 'applied' | 'refused' | 'rolled-back';

export interface VersionRecord {
  /** Grows by one per version, never reused. */
  id: number;
  /** epoch ms */
  time: number;
  source: VersionSource;
  summary: string;
  /** sha256 of the text, hex. */
  hash: string;
  /** Bytes of the text. */
  size: number;
  outcome: VersionOutcome;
  /** Why it was refused or rolled back; for an automatic rollback, why it happened. */
  reason?: string;
  /** For a rollback (manual or automatic): the version whose text it restored. */
  restores?: number;
  /** Unified diff to the previous version (empty for the first, or when equal). */
  diff: string;
}

export interface StoredVersion extends VersionRecord {
  text: string;
}

export function textHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const FILE = /^(\d{6,})\.json$/;

export class VersionStore {
  constructor(readonly dir: string, private readonly keep = 50) {}

  private file(id: number): string {
    return path.join(this.dir, `${String(id).padStart(6, '0')}.json`);
  }

  private ids(): number[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    return names.flatMap((n) => {
      const m = FILE.exec(n);
      return m ? [Number(m[1])] : [];
    }).sort((a, b) => a - b);
  }

  /** A version with its text, or undefined (unknown id, or a damaged file). */
  get(id: number): StoredVersion | undefined {
    if (!Number.isSafeInteger(id) || id < 1) return undefined;
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file(id), 'utf8')) as StoredVersion;
      if (typeof parsed.text !== 'string' || parsed.id !== id) return undefined;
      return parsed;
    } catch {
      return undefined;
    }
  }

  /** Every readable version, newest first, without their texts. */
  list(): VersionRecord[] {
    return this.ids().reverse().flatMap((id) => {
      const v = this.get(id);
      if (!v) return [];
      const { text: _text, ...record } = v;
      return [record];
    });
  }

  latest(): StoredVersion | undefined {
    const ids = this.ids();
    for (let i = ids.length - 1; i >= 0; i--) {
      const v = this.get(ids[i]!);
      if (v) return v;
    }
    return undefined;
  }

  /** The newest version that ran (applied), i.e. what a rollback returns to. */
  latestApplied(): StoredVersion | undefined {
    const ids = this.ids();
    for (let i = ids.length - 1; i >= 0; i--) {
      const v = this.get(ids[i]!);
      if (v?.outcome === 'applied') return v;
    }
    return undefined;
  }

  /** Changes a recorded version's outcome and reason (an automatic rollback after its grace window). */
  update(id: number, patch: { outcome: VersionOutcome; reason?: string }): void {
    const v = this.get(id);
    if (!v) return;
    writeFileAtomic(this.file(id), JSON.stringify({ ...v, ...patch }, null, 1) + '\n', 0o600);
  }

  /** Records a version; the diff is taken against the newest existing one. Prunes beyond `keep`. */
  add(entry: { text: string; source: VersionSource; summary: string; outcome: VersionOutcome; reason?: string; restores?: number; time?: number }): VersionRecord {
    ensurePrivateDir(this.dir);
    const ids = this.ids();
    const previous = this.latest();
    const id = (ids.at(-1) ?? 0) + 1;
    const diff = previous ? unifiedDiff(previous.text, entry.text, { from: `version ${previous.id}`, to: `version ${id}` }) : '';
    const stored: StoredVersion = {
      id,
      time: entry.time ?? Date.now(),
      source: entry.source,
      summary: entry.summary,
      hash: textHash(entry.text),
      size: Buffer.byteLength(entry.text),
      outcome: entry.outcome,
      ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
      ...(entry.restores !== undefined ? { restores: entry.restores } : {}),
      diff,
      text: entry.text,
    };
    writeFileAtomic(this.file(id), JSON.stringify(stored, null, 1) + '\n', 0o600);
    const all = [...ids, id];
    for (const old of all.slice(0, Math.max(0, all.length - this.keep))) fs.rmSync(this.file(old), { force: true });
    const { text: _text, ...record } = stored;
    return record;
  }
}
