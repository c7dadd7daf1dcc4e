/**
 * Rings (HAProxy 2.6's ring.c and sink.c): in-memory buffers of the latest messages, each ring a
 * `ring` section of the configuration (config/kw-ring.ts) or HAProxy's own `buf0`. `log ring@<name>`
 * lines write there (runtime/syslog.ts formats them in the ring's format); the runtime API's
 * `show events` lists the sinks and dumps a ring's messages, oldest first.
 *
 * A ring accounts for its room as HAProxy's buffer does: `size` bytes holding one counter byte and,
 * per message, its length as a varint, the message (cut to `maxlen`) and another counter byte; a
 * message that does not fit makes the oldest ones go, and one that could never fit is dropped and
 * counted ("N events dropped" is then written before the next message that fits).
 * One configuration load's rings: a reload starts empty ones, as a new HAProxy process does.
 */
import type { Config, RingFormat, RingSection } from '../config/model.ts';
import { BUF0, BUILTIN_SINKS, RING_DEFAULT_SIZE } from '../config/kw-ring.ts';
import { RingForwarder } from './ring-forward.ts';

/** The bytes HAProxy's varint takes for `v` (intops.h varint_bytes). */
export function varintBytes(v: number): number {
  if (v < 240) return 1;
  let len = 1;
  let rest = Math.floor((v - 240) / 16);
  for (;;) {
    len++;
    if (rest < 128) return len;
    rest = Math.floor((rest - 128) / 128);
  }
}

/** One reading a ring as it fills (a `server` of the ring): `pos` is the number of the next message it takes. */
export interface RingReader {
  pos: number;
  /** Called after each message written. */
  wake(): void;
}

export class Ring {
  /** The messages, oldest at `head`; the array is compacted when half of it has gone. */
  private messages: Buffer[] = [];
  private head = 0;
  /** The number of the oldest message held (messages are numbered from 0 as they are written). */
  private first = 0;
  /**
   * Readers holding a place (HAProxy's counter bytes): the message one of them has not taken yet is
   * never dropped to make room, the new message is refused instead (ring_write's stuck reader).
   */
  readonly readers = new Set<RingReader>();
  /** Bytes of the buffer in use: the first counter byte, then per message varint + message + counter. */
  private used = 1;
  /** Messages that did not go in since the last "dropped" notice (sink.ctx.dropped). */
  dropped = 0;
  readonly maxlen: number;

  constructor(
    readonly name: string,
    readonly description: string,
    readonly format: RingFormat,
    readonly size: number,
    maxlen: number,
  ) {
    // cfg_post_parse_ring: a maxlen past the size is brought down to it.
    this.maxlen = Math.min(maxlen, size);
  }

  /** Stores `message` cut to `maxlen`, dropping the oldest ones to make room; false when it can never fit (ring_write). */
  write(message: Buffer): boolean {
    const len = Math.min(message.length, this.maxlen);
    const lenlen = varintBytes(len);
    if (lenlen + len + 2 > this.size) return false;
    const need = lenlen + len + 1;
    while (this.size - this.used < need) {
      if (this.readers.size > 0 && this.stuck()) return false;
      const old = this.messages[this.head]!;
      this.messages[this.head++] = EMPTY;
      this.first++;
      this.used -= 1 + varintBytes(old.length) + old.length;
    }
    if (this.head > 64 && this.head * 2 > this.messages.length) {
      this.messages = this.messages.slice(this.head);
      this.head = 0;
    }
    this.messages.push(len < message.length ? message.subarray(0, len) : message);
    this.used += need;
    for (const reader of this.readers) reader.wake();
    return true;
  }

  private stuck(): boolean {
    for (const reader of this.readers) if (reader.pos <= this.first) return true;
    return false;
  }

  /** The number of the oldest message held, and the one the next message will have. */
  get start(): number {
    return this.first;
  }

  get end(): number {
    return this.first + this.messages.length - this.head;
  }

  /** Message number `n`, if it is held. */
  at(n: number): Buffer | undefined {
    return n >= this.first && n < this.end ? this.messages[this.head + n - this.first] : undefined;
  }

  /** The messages held, oldest first; `fromNew`: only those written from now on (none, for a dump that does not wait). */
  dump(fromNew = false): string {
    if (fromNew) return '';
    let out = '';
    for (let i = this.head; i < this.messages.length; i++) out += this.messages[i]!.toString('latin1') + '\n';
    return out;
  }
}

const EMPTY = Buffer.alloc(0);

/** The rings of one configuration load, by name: `buf0` (HAProxy's, 1 MB, timed format) and the `ring` sections. */
export class Rings {
  private readonly byName = new Map<string, Ring>();
  private readonly sections: readonly RingSection[];
  private forwarders: RingForwarder[] = [];

  constructor(config: Pick<Config, 'rings'>) {
    this.byName.set('buf0', new Ring('buf0', 'in-memory ring buffer', BUF0.format, BUF0.size, RING_DEFAULT_SIZE));
    for (const r of config.rings) this.byName.set(r.name, new Ring(r.name, r.description, r.format, r.size, r.maxlen));
    this.sections = config.rings;
  }

  /** The rings' servers start receiving their messages (once the configuration runs). */
  startForwarding(): void {
    if (this.forwarders.length > 0) return;
    for (const section of this.sections) {
      const ring = this.byName.get(section.name)!;
      const t = section.forward.timeouts;
      for (const server of section.forward.servers) this.forwarders.push(new RingForwarder(ring, server, { connect: t.connect, server: t.server }));
    }
  }

  /** The servers' connections close (a reload or a stop made this configuration's rings obsolete). */
  close(): void {
    for (const f of this.forwarders) f.close();
    this.forwarders = [];
  }

  get(name: string): Ring | undefined {
    return this.byName.get(name);
  }

  /** `show events` without a name: every sink as sink.c's cli_parse_show_events lists them. */
  list(): string {
    let out = 'Supported events sinks are listed below. Add -w(wait), -n(new). Any key to stop\n';
    for (const s of BUILTIN_SINKS) {
      if (s.type === 'fd') out += `    ${s.name.padEnd(10)} : type=fd, 0 dropped, ${s.description}\n`;
    }
    for (const ring of this.byName.values()) out += `    ${ring.name.padEnd(10)} : type=buffer, ${ring.dropped} dropped, ${ring.description}\n`;
    return out;
  }
}
