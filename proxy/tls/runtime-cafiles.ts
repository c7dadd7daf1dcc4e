/**
 * HAProxy's CA file tree (ssl_ckch.c) for the runtime API: every CA file (`ca-file`,
 * `ca-verify-file`) and CRL file (`crl-file`) the binds, their crt-list lines and the servers name,
 * plus `@system-ca` and the files `new ssl ca-file` / `new ssl crl-file` made. `set ssl ca-file` /
 * `set ssl crl-file` fill one transaction of each kind; `commit` makes every bind entry that verifies
 * clients against the file verify them against the new contents for new handshakes, and every server
 * with a client certificate that verifies its server against it (HAProxy's server ckch instances,
 * server-tls.ts serverTrustUser) use them for new connections; connections already established keep
 * theirs. The file on disk is not written (HAProxy does not either).
 *
 * Committed contents stay in use across a reload while the file on disk is unchanged, as committed
 * certificates do (runtime-certs.ts); once the file changes on disk, the disk's contents win.
 */
import fs from 'node:fs';
import { objectsOfLocation } from './trust-store.ts';
import type { TrustObject } from './trust-store.ts';

export type TrustKind = 'ca' | 'crl';

/** What the tree needs of a bind (BindTls satisfies it) or of a server (server-tls.ts serverTrustUser). */
export interface TrustUsingBind {
  /** The CA and CRL files its entries name, resolved, each with how many entries verify against it (HAProxy's ckch instances). */
  trustFiles(): Array<{ path: string; kind: TrustKind; instances: number }>;
  /** Builds again the entries that verify clients against `path`; returns what installs them and how many they are. Throws when unusable. */
  prepareTrust(path: string): { install: () => void; count: number };
}

export interface TrustTransaction {
  path: string;
  objects: TrustObject[];
}

export class TrustCommitError extends Error {}

export class RuntimeCaFiles {
  /** The one transaction of each kind, as HAProxy keeps a CA file one and a CRL file one. */
  readonly transactions: Record<TrustKind, TrustTransaction | undefined> = { ca: undefined, crl: undefined };
  /** Committed over the runtime API, by path, with the file's mtime then (-1: no such file). */
  private readonly committed = new Map<string, { kind: TrustKind; objects: TrustObject[]; mtime: number }>();
  /** Made by `new ssl ca-file` / `new ssl crl-file`: empty until a commit fills them. */
  private readonly created = new Map<string, TrustKind>();
  /** Unused files of the configuration taken out of the tree (`del ssl ca-file`). */
  private readonly deleted = new Set<string>();

  /**
   * @param binds the running binds.
   * @param others the other files the configuration names (servers' `ca-file` and `crl-file`, `@system-ca`), which no bind entry uses.
   * @param changed told of each commit (a reload under way then builds its binds again).
   * @param servers the running servers that verify against a CA or CRL file with a client certificate of their own.
   */
  constructor(
    private readonly binds: () => Iterable<TrustUsingBind>,
    private readonly others: () => Iterable<{ path: string; kind: TrustKind }> = () => [],
    private readonly changed: () => void = () => {},
    private readonly servers: () => Iterable<TrustUsingBind> = () => [],
  ) {}

  /** The binds, then the servers. */
  private *users(): Iterable<TrustUsingBind> {
    yield* this.binds();
    yield* this.servers();
  }

  /** For a bind (re)loading its trust: the committed contents of `path` while its file is unchanged on disk. */
  committedTrust(path: string): { ca: string[]; crl: string[] } | undefined {
    const entry = this.fresh(path);
    if (!entry) return undefined;
    return { ca: entry.objects.filter((o) => o.kind === 'cert').map((o) => o.pem), crl: entry.objects.filter((o) => o.kind === 'crl').map((o) => o.pem) };
  }

  /** The tree: every file by path in HAProxy's order (strcmp), with its kind and its instances. */
  entries(): Map<string, { kind: TrustKind; instances: number }> {
    const all = new Map<string, { kind: TrustKind; instances: number }>();
    const add = (path: string, kind: TrustKind, instances: number): void => {
      if (this.deleted.has(path)) return;
      const known = all.get(path);
      if (known) known.instances += instances;
      else all.set(path, { kind, instances });
    };
    for (const user of this.users()) for (const f of user.trustFiles()) add(f.path, f.kind, f.instances);
    for (const f of this.others()) add(f.path, f.kind, 0);
    for (const [path, kind] of this.created) add(path, kind, 0);
    // A commit may have given a file the other kind (`set ssl ca-file` on a CRL file, as HAProxy allows).
    for (const [path, entry] of all) {
      const committed = this.fresh(path);
      if (committed) entry.kind = committed.kind;
    }
    return new Map([...all].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  }

  /** The objects the tree holds for a file; undefined when `new` made it and nothing was committed yet (HAProxy's "Empty"). */
  objects(path: string): TrustObject[] | undefined {
    const committed = this.fresh(path);
    if (committed) return committed.objects;
    if (this.created.has(path)) return undefined;
    return objectsOfLocation(path);
  }

  /** `new ssl ca-file` / `new ssl crl-file`: false when the tree has the file already. */
  create(path: string, kind: TrustKind): boolean {
    if (this.entries().has(path)) return false;
    this.created.set(path, kind);
    this.deleted.delete(path);
    return true;
  }

  /** `del ssl ca-file` / `del ssl crl-file` (cli_parse_del_cafile / _crlfile), HAProxy 2.6.12's checks in its order. */
  remove(path: string, kind: TrustKind): 'deleted' | 'missing' | 'other kind' | 'transaction' | 'in use' {
    const entry = this.entries().get(path);
    if (!entry) return 'missing';
    if (kind === 'crl' && entry.kind !== 'crl') return 'other kind';
    if (this.transactions[kind]?.path === path) return 'transaction';
    if (entry.instances > 0) return 'in use';
    this.created.delete(path);
    this.committed.delete(path);
    this.deleted.add(path);
    return 'deleted';
  }

  /**
   * Makes `objects` the contents of `path` (of `kind` from now on) and rebuilds every bind entry
   * verifying clients against it and every server instance verifying its server against it: all
   * are built first, then installed, so a failure changes nothing.
   * Returns the number of entries rebuilt (HAProxy's dots).
   */
  commit(path: string, kind: TrustKind, objects: TrustObject[]): number {
    if (!this.entries().has(path)) throw new TrustCommitError(`'${path}' is no longer in the CA file tree.`);
    const previous = this.committed.get(path);
    this.committed.set(path, { kind, objects, mtime: mtimeOf(path) });
    const installs: Array<() => void> = [];
    let count = 0;
    try {
      for (const user of this.users()) {
        if (!user.trustFiles().some((f) => f.path === path && f.instances > 0)) continue;
        const prepared = user.prepareTrust(path);
        installs.push(prepared.install);
        count += prepared.count;
      }
    } catch (e) {
      if (previous) this.committed.set(path, previous);
      else this.committed.delete(path);
      throw new TrustCommitError((e as Error).message);
    }
    for (const install of installs) install();
    if (this.created.has(path)) this.created.set(path, kind);
    this.changed();
    return count;
  }

  private fresh(path: string): { kind: TrustKind; objects: TrustObject[]; mtime: number } | undefined {
    const entry = this.committed.get(path);
    if (!entry) return undefined;
    if (this.created.has(path) || entry.mtime === mtimeOf(path)) return entry;
    this.committed.delete(path);
    return undefined;
  }
}

/** A file's mtime, -1 when it cannot be read. */
function mtimeOf(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}
