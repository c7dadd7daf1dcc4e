/**
 * Certificate selection by SNI, as HAProxy's bind does it: exact names first,
 * then wildcards (`*.example.org` covers one label), a negative filter
 * (`!name`) excluding a name from the wildcards of its own crt-list line; among
 * the candidates, by what the client's ClientHello accepts (client-hello.ts): ECDSA,
 * else RSA, else another key type (DSA…), else ECDSA, else RSA — HAProxy's
 * ssl_sock_switchctx_cbk; no match → the bind's first certificate.
 */
import type { ClientSignatures } from './client-hello.ts';

/** HAProxy's kinfo.sig of a certificate's key: EC → ecdsa, RSA → rsa, anything else (DSA, Ed25519, RSA-PSS) another. */
export type KeySignature = 'ecdsa' | 'rsa' | 'other';

/** The signature a key type stands for in the choice (Node's asymmetricKeyType). */
export function keySignature(keyType: string | undefined): KeySignature {
  return keyType === 'ec' ? 'ecdsa' : keyType === 'rsa' ? 'rsa' : 'other';
}

export interface SniCandidate<T> {
  value: T;
  /** Filters as written: `name`, `*.domain`, `!name`, or `*` (default). */
  filters: readonly string[];
  sig: KeySignature;
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

  /** @param client what the ClientHello accepts; asked only when the name's certificates differ in key type. */
  select(servername: string | undefined | false, client?: () => ClientSignatures): T {
    return this.match(servername, client) ?? this.fallback;
  }

  /** The entry the name selects, or undefined when no certificate matches it (`strict-sni` then refuses the handshake). */
  match(servername: string | undefined | false, client?: () => ClientSignatures): T | undefined {
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
    const first = candidates[0]!;
    if (candidates.every((c) => c.sig === first.sig)) return first.value;
    const ecdsa = candidates.find((c) => c.sig === 'ecdsa');
    const rsa = candidates.find((c) => c.sig === 'rsa');
    const other = candidates.find((c) => c.sig === 'other');
    // Without the ClientHello (a caller that has none), a client taking both.
    const accepts = client?.() ?? { ecdsa: true, rsa: true };
    const chosen = (accepts.ecdsa ? ecdsa : undefined) ?? (accepts.rsa ? rsa : undefined) ?? other ?? ecdsa ?? rsa;
    return chosen!.value;
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) {
    if (!list.includes(value)) list.push(value);
  } else map.set(key, [value]);
}
