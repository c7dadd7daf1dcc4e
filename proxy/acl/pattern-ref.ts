/**
 * Pattern references (pattern.c, struct pat_ref): the entries of one pattern
 * or map file, keyed by the file name as the configuration writes it, shared
 * by every ACL (`-f`) and map converter naming it, and changed in memory (never
 * on disk) by the set-map / del-map / add-acl / del-acl actions and the
 * runtime API. A configuration load builds its own (an engine load runs its
 * compilation inside withPatternRefs()): like HAProxy's new process, a reload
 * reads the files again and forgets the changes made at run time.
 *
 * Matchers read the entries of the current version (curr_gen; `prepare` and
 * `commit` of the runtime API make others) through a change counter: an entry
 * added or removed gives the reference a new one and each matcher rebuilds its
 * index at its next lookup; a value changed in place (set-map on an existing
 * key) is seen at once. Exact (case-sensitive `str`) lookups need no index of
 * their own: they read the reference's key table (byKey).
 */
import { EvalCompileError } from './eval-errors.ts';
import { parseFileLines } from './eval-match.ts';
import type { Sample } from './eval-sample.ts';

/** One entry (pat_ref_elt): a key (the pattern) and, in two-column files, a value. */
export interface PatternEntry {
  readonly key: string;
  /** The value of a map entry; undefined in a one-column (ACL) file, or when added without one. */
  value: string | undefined;
  /** Unique in the process: the runtime API prints it where HAProxy prints the element's address. */
  readonly id: number;
  /** File line it was read from; -1 when added at run time. */
  readonly line: number;
  /** Version it belongs to (the runtime API's `prepare`/`commit`, `@<ver>`); lookups see the current one only. */
  readonly gen: number;
  /** The value as parsed by map converters, by output type; cleared when the value changes. */
  parsed?: { str?: Sample; int?: Sample; ip?: Sample };
}

/**
 * A consumer's check of a new entry (pat_ref_push/pat_ref_set_elt: every
 * expression parses the key and the value first): an error text, or
 * undefined when it accepts it. `key` undefined checks only the value.
 */
export type EntryCheck = (key: string | undefined, value: string | undefined) => string | undefined;

/** What a map converter or an ACL reading the reference tells of itself (HAProxy's pattern_expr), for the runtime API's `get map|acl`. */
export interface PatternUser {
  /** HAProxy's name of the match method (pat_match_names): str, beg, sub, dir, dom, end, reg, regm, int, ip, len, bin… */
  readonly method: string;
  readonly ignoreCase: boolean;
  readonly check: EntryCheck;
  /**
   * The entry a string sample (cast to the method's input first) finds in the current entries, the
   * type of its value (HAProxy's type name, maps only), and whether HAProxy keeps it in a tree.
   */
  lookup(text: string): { entry: PatternEntry; valueType?: string; tree: boolean } | undefined;
}

let nextEntryId = 1;
let nextVersion = 1;

export class PatternRef {
  readonly entries: PatternEntry[] = [];
  /** Entries by key, in order (the first one answers exact lookups). */
  readonly byKey = new Map<string, PatternEntry[]>();
  /** Changes whenever an entry is added or removed or another version becomes current; process-wide increasing. */
  version = nextVersion++;
  /** Used by a map converter (PAT_REF_MAP), by an ACL (PAT_REF_ACL). */
  usedByMap = false;
  usedByAcl = false;
  /** HAProxy's description: "pattern loaded from file '…' used by map at file '…' line n[, by acl …]". */
  display = '';
  /** The version `show map` shows and new entries join (curr_gen), and the last one `prepare` gave (next_gen). */
  currGen = 0;
  nextGen = 0;
  /** The map converters and ACLs reading it, in order of compilation. */
  readonly users: PatternUser[] = [];

  constructor(
    /** The file name as written (the runtime API's identifier). */
    readonly name: string,
    /** Key and value per line (a map), or the whole line as key (an ACL -f file). */
    readonly twoColumn: boolean,
    /** Number given by the registry, in order of creation (`show map` prints it; `#<id>` names it). */
    readonly uniqueId: number,
  ) {}

  /** Reads the file's content in (pat_ref_read_from_file[_smp]). */
  load(content: string): void {
    for (const l of parseFileLines(content, this.twoColumn)) this.append(l.key, this.twoColumn ? l.value : undefined, l.line);
    this.version = nextVersion++;
  }

  /** Registers a reader: it checks the entries added or changed from now on. */
  addUser(user: PatternUser): void {
    this.users.push(user);
  }

  private check(key: string | undefined, value: string | undefined): string | undefined {
    for (const u of this.users) {
      const error = u.check(key, value);
      if (error !== undefined) return error;
    }
    return undefined;
  }

  private append(key: string, value: string | undefined, line: number, gen = this.currGen): PatternEntry {
    const entry: PatternEntry = { key, value, id: nextEntryId++, line, gen };
    this.entries.push(entry);
    const list = this.byKey.get(key);
    if (list) list.push(entry);
    else this.byKey.set(key, [entry]);
    return entry;
  }

  /** The first entry of this key in the current version: what an exact lookup finds. */
  current(key: string): PatternEntry | undefined {
    const list = this.byKey.get(key);
    if (!list) return undefined;
    const first = list[0]!;
    if (first.gen === this.currGen) return first;
    for (const e of list) if (e.gen === this.currGen) return e;
    return undefined;
  }

  /** The entries of the current version, in order: what lookups see. */
  live(): PatternEntry[] {
    const gen = this.currGen;
    return this.entries.filter((e) => e.gen === gen);
  }

  /** The first entry of this key, in any version (pat_ref_find_elt). */
  find(key: string): PatternEntry | undefined {
    return this.byKey.get(key)?.[0];
  }

  /** Adds an entry at the end (pat_ref_add): an error text when a consumer cannot parse it, then nothing changes. */
  add(key: string, value: string | undefined, gen = this.currGen): string | undefined {
    const error = this.check(key, value);
    if (error !== undefined) return error;
    // An entry added without a value (add-acl on a map's file) has none, as in HAProxy.
    this.append(key, value, -1, gen);
    this.version = nextVersion++;
    return undefined;
  }

  /**
   * Sets the value of every entry of this key (pat_ref_set): 'not found' when there is none,
   * an error text when a consumer cannot parse the value, undefined when done.
   */
  set(key: string, value: string): string | undefined {
    const list = this.byKey.get(key);
    if (!list) return 'entry not found';
    const error = this.check(undefined, value);
    if (error !== undefined) return error;
    for (const e of list) setValue(e, value);
    return undefined;
  }

  /** Sets the value of the entry of this id (pat_ref_set_by_id). */
  setById(id: number, value: string): string | undefined {
    const entry = this.entries.find((e) => e.id === id);
    if (!entry) return 'key or pattern not found';
    const error = this.check(undefined, value);
    if (error !== undefined) return error;
    setValue(entry, value);
    return undefined;
  }

  /** Removes every entry of this key (pat_ref_delete); false when there was none. */
  delete(key: string): boolean {
    const list = this.byKey.get(key);
    if (!list) return false;
    this.byKey.delete(key);
    const gone = new Set(list);
    let w = 0;
    for (const e of this.entries) if (!gone.has(e)) this.entries[w++] = e;
    this.entries.length = w;
    this.version = nextVersion++;
    return true;
  }

  /** Removes the entry of this id (pat_ref_delete_by_id); false when there is none. */
  deleteById(id: number): boolean {
    const i = this.entries.findIndex((e) => e.id === id);
    if (i < 0) return false;
    const entry = this.entries[i]!;
    this.entries.splice(i, 1);
    const list = this.byKey.get(entry.key)!;
    if (list.length === 1) this.byKey.delete(entry.key);
    else list.splice(list.indexOf(entry), 1);
    this.version = nextVersion++;
    return true;
  }

  /** Removes every entry (pat_ref_prune). */
  clear(): void {
    this.entries.length = 0;
    this.byKey.clear();
    this.version = nextVersion++;
  }

  /** Removes the entries of the versions `drop` selects (pat_ref_purge_range). */
  purge(drop: (gen: number) => boolean): void {
    let w = 0;
    for (const e of this.entries) if (!drop(e.gen)) this.entries[w++] = e;
    if (w === this.entries.length) return;
    this.entries.length = w;
    this.byKey.clear();
    for (const e of this.entries) {
      const list = this.byKey.get(e.key);
      if (list) list.push(e);
      else this.byKey.set(e.key, [e]);
    }
    this.version = nextVersion++;
  }

  /** `prepare`: a new version number for entries to be added to, then committed (pat_ref_newgen). */
  newVersion(): number {
    this.nextGen = (this.nextGen + 1) >>> 0;
    return this.nextGen;
  }

  /**
   * `commit @<gen>`: `gen` becomes the current version and the older ones are removed (pat_ref_commit,
   * pat_ref_purge_range); false when `gen` is none prepared since the current one.
   */
  commit(gen: number): boolean {
    if (((gen - (this.currGen + 1)) >>> 0) >= ((this.nextGen - this.currGen) >>> 0)) return false;
    this.currGen = gen;
    this.version = nextVersion++;
    // The 2^31 versions before it, wrapping as HAProxy's unsigned numbers do.
    this.purge((g) => ((gen - 1 - g) >>> 0) < 0x80000000);
    return true;
  }
}

function setValue(entry: PatternEntry, value: string): void {
  entry.value = value;
  entry.parsed = undefined;
}

/** The pattern references of one configuration load, by file name as written. */
export class PatternRefs {
  private readonly refs = new Map<string, PatternRef>();

  /** `uses`: where the configuration reads each file, in file order (config.patternFiles), for the descriptions. */
  constructor(private readonly uses: readonly PatternUse[] = []) {}

  /**
   * The reference of `name`, read with `read` the first time (pattern_read_from_file). `used`
   * says which rule uses it (a map converter or an ACL, and where), for the runtime API's listing.
   */
  get(name: string, twoColumn: boolean, read: (path: string) => string, used: PatternUse): PatternRef {
    let ref = this.refs.get(name);
    const known = this.uses.filter((u) => u.name === name);
    if (!ref) {
      ref = newRef(name, twoColumn, this.refs.size, read, used.kind);
      // As HAProxy describes it: every use, in file order (else as compiled).
      const [first, ...more] = known.length > 0 ? known : [used];
      ref.display = `pattern loaded from file '${name}' used by ${first!.kind} at file '${first!.file ?? ''}' line ${first!.line ?? 0}`;
      for (const u of more) ref.display += `, by ${u.kind} at file '${u.file ?? ''}' line ${u.line ?? 0}`;
      this.refs.set(name, ref);
    } else {
      if (twoColumn && !ref.twoColumn) throw new EvalCompileError('file', `The file "${name}" is already used as one column file and cannot be used by as two column file.`);
      if (!twoColumn && ref.twoColumn) throw new EvalCompileError('file', `The file "${name}" is already used as two column file and cannot be used by as one column file.`);
      if (known.length === 0) ref.display += `, by ${used.kind} at file '${used.file ?? ''}' line ${used.line ?? 0}`;
    }
    if (used.kind === 'map') ref.usedByMap = true;
    else ref.usedByAcl = true;
    return ref;
  }

  /** The reference named `name` (pat_ref_lookup), or undefined. */
  lookup(name: string): PatternRef | undefined {
    return this.refs.get(name);
  }

  /** Every reference, in order of creation. */
  all(): readonly PatternRef[] {
    return [...this.refs.values()];
  }
}

/** Which rule uses a reference, and where in the configuration. */
export interface PatternUse {
  /** The file (only in the uses given to PatternRefs). */
  readonly name?: string;
  readonly kind: 'map' | 'acl';
  readonly file?: string;
  readonly line?: number;
}

function newRef(name: string, twoColumn: boolean, id: number, read: (path: string) => string, kind: 'map' | 'acl'): PatternRef {
  let content: string;
  try {
    content = read(name);
  } catch (e) {
    throw new EvalCompileError('file', `failed to open ${kind === 'map' ? 'map' : 'pattern'} file <${name}> : ${(e as Error).message}`);
  }
  const ref = new PatternRef(name, twoColumn, id);
  ref.load(content);
  return ref;
}

let active: PatternRefs | undefined;

/**
 * Runs `compile` with `refs` as the references every pattern file named by
 * what it compiles resolves to (an engine load: its rules and the runtime
 * API share them). Outside of one, each use reads its own private copy.
 */
export function withPatternRefs<T>(refs: PatternRefs, compile: () => T): T {
  const previous = active;
  active = refs;
  try {
    return compile();
  } finally {
    active = previous;
  }
}

/** The reference a compiled matcher reads for `name` (see withPatternRefs). */
export function patternRefFor(name: string, twoColumn: boolean, read: (path: string) => string, used: PatternUse): PatternRef {
  if (active) return active.get(name, twoColumn, read, used);
  const ref = newRef(name, twoColumn, 0, read, used.kind);
  if (used.kind === 'map') ref.usedByMap = true;
  else ref.usedByAcl = true;
  return ref;
}

/** The references of the load being compiled, if any (the http actions find theirs there). */
export function activePatternRefs(): PatternRefs | undefined {
  return active;
}
