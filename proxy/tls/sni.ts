/**
 * Certificate selection by SNI, as HAProxy's bind does it: exact names first,
 * then wildcards (`*.example.org` covers one label), a negative filter
 * (`!name`) excluding a name from the wildcards of its own crt-list line; among
 * the candidates an ECDSA certificate is preferred over an RSA one (every
 * current client can verify ECDSA); no match → the bind's first certificate.
 */

export interface SniCandidate<T> {
  value: T;
  /** Filters as written: `name`, `*.domain`, `!name`, or `*` (default). */
  filters: readonly string[];
  ecdsa: boolean;
}

export class SniTable<T> {
  private readonly exact = new Map<string, Array<SniCandidate<T>>>();
  /** Keyed by the part after '*', e.g. '.example.org'; '' is the `*` filter. */
  private readonly wildcard = new Map<string, Array<SniCandidate<T>>>();
  private readonly excluded = new Map<SniCandidate<T>, Set<string>>();

  constructor(entries: ReadonlyArray<SniCandidate<T>>, readonly fallback: T) {
    for (const entry of entries) {
      for (const raw of entry.filters) {
        const filter = raw.toLowerCase();
        if (filter.startsWith('!')) {
          let set = this.excluded.get(entry);
          if (!set) this.excluded.set(entry, (set = new Set()));
          set.add(filter.slice(1));
        } else if (filter.startsWith('*')) push(this.wildcard, filter.slice(1), entry);
        else push(this.exact, filter, entry);
      }
    }
  }

  select(servername: string | undefined | false): T {
    return this.match(servername) ?? this.fallback;
  }

  /** The entry the name selects, or undefined when no certificate matches it (`strict-sni` then refuses the handshake). */
  match(servername: string | undefined | false): T | undefined {
    const name = (servername || '').toLowerCase();
    const dot = name.indexOf('.');
    const candidates = [...(name ? this.exact.get(name) ?? [] : [])];
    const wildKey = name === '' ? '' : dot >= 0 ? name.slice(dot) : undefined;
    if (wildKey !== undefined) {
      for (const entry of this.wildcard.get(wildKey) ?? []) {
        if (!this.excluded.get(entry)?.has(name)) candidates.push(entry);
      }
    }
    if (candidates.length === 0) return undefined;
    return (candidates.find((c) => c.ecdsa) ?? candidates[0]!).value;
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) {
    if (!list.includes(value)) list.push(value);
  } else map.set(key, [value]);
}
