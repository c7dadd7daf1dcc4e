/**
 * `tls-ticket-keys <file>` (bind): the keys that encrypt TLS session tickets, shared by every bind
 * naming the same file and, when the file is shared, by every process using it — HAProxy's or
 * Loadstar's: a client resumes its session on whichever answers. The file holds one base64 key per
 * line, all 48 bytes (a 16-byte name, a 16-byte AES key, a 16-byte HMAC key) or all 80 (the AES and
 * HMAC keys 32 bytes each). As in HAProxy (TLS_TICKETS_NO = 3), the last three are in use: the
 * middle one encrypts new tickets, all three decrypt. `set ssl tls-key` adds a key at the end and
 * drops the oldest; a reload reads the file again.
 */
import fs from 'node:fs';

export const TLS_TICKETS_NO = 3;

const KEY_SIZES: Readonly<Record<number, 128 | 256>> = { 48: 128, 80: 256 };

/** HAProxy's base64dec: standard alphabet, padded, a multiple of four characters; undefined when not. */
export function strictBase64(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

/**
 * bind_parse_tls_ticket_keys: the keys of a file, oldest first (the last TLS_TICKETS_NO), or
 * HAProxy's complaint about it (without the `'<file>' : ` it starts with).
 */
export function readTicketKeys(file: string): { keys: Buffer[]; bits: 128 | 256 } | string {
  let text: string | undefined;
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch {
    text = undefined;
  }
  return ticketKeysOf(text);
}

/** readTicketKeys on a file's text (undefined: it could not be read). */
export function ticketKeysOf(text: string | undefined): { keys: Buffer[]; bits: 128 | 256 } | string {
  if (text === undefined) return 'unable to load ssl tickets keys file';
  const lines = text.split('\n');
  // fgets: the text after the last newline is a line only when there is some.
  if (lines.at(-1) === '') lines.pop();
  const keys: Buffer[] = [];
  let bits: 128 | 256 | undefined;
  for (const [i, raw] of lines.entries()) {
    const key = strictBase64(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
    if (!key) return `unable to decode base64 key on line ${i + 1}`;
    const size = KEY_SIZES[key.length];
    if (size === undefined || (bits !== undefined && size !== bits)) return `wrong sized key on line ${i + 1}`;
    bits = size;
    keys.push(key);
  }
  if (keys.length < TLS_TICKETS_NO) return `please supply at least ${TLS_TICKETS_NO} keys in the tls-tickets-file`;
  return { keys: keys.slice(-TLS_TICKETS_NO), bits: bits! };
}

/** The keys of one file, as the binds naming it use them now. */
export class TicketKeyRef {
  /** Oldest first: [1] encrypts, all decrypt. */
  private current: Buffer[];

  /** @param order when the configuration named the file first (HAProxy lists the last named first). */
  constructor(readonly file: string, keys: Buffer[], readonly bits: 128 | 256, readonly order: number) {
    this.current = keys;
  }

  get keys(): readonly Buffer[] {
    return this.current;
  }

  /** The key new tickets are encrypted with (HAProxy's penultimate). */
  encryption(): Buffer {
    return this.current[TLS_TICKETS_NO - 2]!;
  }

  /** The key whose 16-byte name a ticket carries, if still in use. */
  named(name: Buffer): Buffer | undefined {
    return this.current.find((k) => k.subarray(0, 16).equals(name));
  }

  /** ssl_sock_update_tlskey_ref: the key becomes the newest, the oldest goes; false when its size is not the file's. */
  add(key: Buffer): boolean {
    if (KEY_SIZES[key.length] !== this.bits) return false;
    this.current = [...this.current.slice(1), key];
    return true;
  }
}

/** The files of one configuration's binds, each read once (HAProxy's tlskeys_reference list). */
export class TicketKeyRefs {
  private readonly byFile = new Map<string, TicketKeyRef>();

  /** The keys of `file`, read now the first time it is named; HAProxy's complaint when it cannot be used. */
  ref(file: string): TicketKeyRef | string {
    const known = this.byFile.get(file);
    if (known) return known;
    const read = readTicketKeys(file);
    if (typeof read === 'string') return read;
    const ref = new TicketKeyRef(file, read.keys, read.bits, this.byFile.size);
    this.byFile.set(file, ref);
    return ref;
  }
}

/** The references as the runtime API numbers them: the file named last first, from 0. */
export function numberedRefs(refs: Iterable<TicketKeyRef>): TicketKeyRef[] {
  return [...new Set(refs)].sort((a, b) => b.order - a.order);
}
