/**
 * One stick table at run time (stick_table.c): entries by key, each holding
 * the data types the table stores, a reference count (the stick counters
 * tracking it) and an expiry date refreshed whenever it is touched.
 *
 * Memory is bounded by `size`: a new key in a full table first expires the
 * oldest unreferenced entries (stktable_trash_oldest, (size >> 8) + 1 at a
 * time, giving up after twice as many referenced ones), or is not stored.
 * There is no timer per entry nor per table: the Map keeps entries in the
 * order of their last touch, which with one `expire` per table is the order
 * of their expiry dates, so expired ones are dropped from its head when the
 * table is used (lookups, inserts, table_cnt) — what HAProxy's expiry task
 * would have done by then.
 */
import type { StickTable } from '../config/model.ts';
import { FreqCtr } from './freq-ctr.ts';

/** The data types the engine maintains (stick-table "store", configuration.txt). */
export const COUNTERS = ['conn_cnt', 'conn_cur', 'sess_cnt', 'http_req_cnt', 'http_err_cnt', 'http_fail_cnt', 'gpc0', 'gpc1', 'gpt0'] as const;
export const RATES = ['conn_rate', 'sess_rate', 'http_req_rate', 'http_err_rate', 'http_fail_rate', 'gpc0_rate', 'gpc1_rate'] as const;
/** An element of the gpc and gpt arrays (`store gpc(<n>)`, `gpt(<n>)`): its own counter slot. */
export type CounterType = typeof COUNTERS[number] | `gpc[${number}]` | `gpt[${number}]`;
/** An element of the gpc_rate array (`store gpc_rate(<n>,<period>)`). */
export type RateType = typeof RATES[number] | `gpc_rate[${number}]`;
/** The arrays, stored element by element. */
const ARRAYS = new Set(['gpc', 'gpt', 'gpc_rate']);

const COUNTER_INDEX = new Map<string, number>(COUNTERS.map((n, i) => [n, i]));
const RATE_INDEX = new Map<string, number>(RATES.map((n, i) => [n, i]));

/** Is this `store` data type maintained by the engine? (The others are refused at load: runtime/unsupported.ts.) */
export function storeTypeIsRun(name: string): boolean {
  return COUNTER_INDEX.has(name) || RATE_INDEX.has(name) || ARRAYS.has(name) || name === 'server_id';
}

/** The stick-table clock: milliseconds, never going back (HAProxy's now_ms). */
export function tickNow(): number {
  return Math.floor(performance.timeOrigin + performance.now());
}

let nextEntryId = 1;

export class StickEntry {
  /** What `show table` prints in place of HAProxy's entry address. */
  readonly id = nextEntryId++;
  /** Stick counters (and lookups in progress) holding it: it does not expire nor get evicted meanwhile. */
  refs = 0;
  /** Clock date after which an unreferenced entry is gone. */
  expire: number;
  /** Plain counters, by the table's counter slots; undefined when the table stores none. */
  readonly counts: Float64Array | undefined;
  /** Frequency counters, by the table's rate slots. */
  readonly rates: FreqCtr[] | undefined;
  /** server_id: the `id` of the server a stick rule stored (0: none), when the table keeps servers. */
  serverId = 0;
  /** server_key: that server's name (HAProxy's default `srvkey name`), looked up first when matching. */
  serverKey: string | undefined;

  constructor(readonly key: string, layout: Layout, now: number, expireMs: number) {
    this.expire = now + expireMs;
    this.counts = layout.counters.length > 0 ? new Float64Array(layout.counters.length) : undefined;
    this.rates = layout.rates.length > 0 ? layout.rates.map(() => new FreqCtr()) : undefined;
  }
}

/** Where each stored data type lives in an entry. */
interface Layout {
  /** Data type → slot in `counts`. */
  readonly counterSlot: ReadonlyMap<string, number>;
  readonly counters: readonly string[];
  /** Data type → slot in `rates`. */
  readonly rateSlot: ReadonlyMap<string, number>;
  readonly rates: ReadonlyArray<{ name: string; period: number }>;
}

export class RuntimeStickTable {
  private readonly entries = new Map<string, StickEntry>();
  private readonly layout: Layout;
  /** `expire`, ms; 0: entries never expire (they are only evicted when the table is full). */
  readonly expireMs: number;
  readonly size: number;
  /**
   * Entries keep server_id and server_key: the table stores `server_id`, or a `stick` rule uses it
   * (cfgparse.c allocates both data types for every table a stick rule names).
   */
  readonly keepsServer: boolean;
  /** Entries keep server_key: a `stick` rule uses the table (a table storing only `server_id` has no server_key). */
  readonly keepsServerKey: boolean;

  /**
   * @param stickRulesUseIt a `stick` rule names the table: entries keep server_id and server_key.
   * @param handedOver the table names an enabled `peers` section: a reload may hand its entries over (`adopt`).
   */
  constructor(readonly name: string, readonly config: StickTable, stickRulesUseIt = false, readonly handedOver = false) {
    this.keepsServer = stickRulesUseIt || config.store.some((s) => s.name === 'server_id');
    this.keepsServerKey = stickRulesUseIt;
    this.expireMs = config.expire ?? 0;
    this.size = config.size;
    const elements = (s: StickTable['store'][number]): string[] => (ARRAYS.has(s.name) ? Array.from({ length: s.count ?? 0 }, (_, i) => `${s.name}[${i}]`) : [s.name]);
    const counters = config.store.filter((s) => COUNTER_INDEX.has(s.name) || s.name === 'gpc' || s.name === 'gpt').flatMap(elements);
    const rates = config.store.filter((s) => RATE_INDEX.has(s.name) || s.name === 'gpc_rate').flatMap((s) => elements(s).map((name) => ({ name, period: s.period ?? 0 })));
    this.layout = {
      counters, rates,
      counterSlot: new Map(counters.map((n, i) => [n, i])),
      rateSlot: new Map(rates.map((r, i) => [r.name, i])),
    };
  }

  /**
   * Takes the entries of the table this one replaces on a reload (what HAProxy's local peer pushes to
   * the new process): the same objects, with their dates and counts, so connections of the old
   * configuration still tracking them count in the new table too.
   */
  adopt(old: RuntimeStickTable, now = tickNow()): void {
    for (const entry of old.liveEntries(now)) this.entries.set(entry.key, entry);
  }

  /** The live entries (expired ones dropped first), for `show table`. */
  liveEntries(now = tickNow()): IterableIterator<StickEntry> {
    this.purgeExpired(now);
    return this.entries.values();
  }

  /** The period of a stored rate, in ms (undefined: not stored). */
  period(name: RateType): number | undefined {
    const slot = this.layout.rateSlot.get(name);
    return slot === undefined ? undefined : this.layout.rates[slot]!.period;
  }

  /** table_cnt: entries in use (expired ones dropped first). */
  count(now = tickNow()): number {
    this.purgeExpired(now);
    return this.entries.size;
  }

  /** stktable_lookup_key: the entry of `key`, if any (no new entry; its date is not refreshed). */
  lookup(key: string, now = tickNow()): StickEntry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.isExpired(entry, now) && entry.refs === 0) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** stktable_get_entry: the entry of `key`, created if needed; undefined when the table is full of referenced entries (or `nopurge`). */
  getEntry(key: string, now = tickNow()): StickEntry | undefined {
    const found = this.lookup(key, now);
    if (found) return found;
    this.purgeExpired(now);
    if (this.entries.size >= this.size) {
      if (this.config.nopurge || this.trashOldest((this.size >> 8) + 1) === 0) return undefined;
    }
    const entry = new StickEntry(key, this.layout, now, this.expireMs);
    this.entries.set(key, entry);
    return entry;
  }

  /** stktable_touch_local: the entry's expiry starts again from now (and it becomes the newest). */
  touch(entry: StickEntry, now = tickNow()): void {
    entry.expire = now + this.expireMs;
    if (this.entries.get(entry.key) !== entry) return; // dropped meanwhile (a referenced entry never is)
    this.entries.delete(entry.key);
    this.entries.set(entry.key, entry);
  }

  /** A stick counter lets go of `entry` (stksess_kill_if_expired with decrefcnt). */
  release(entry: StickEntry, now = tickNow()): void {
    if (entry.refs > 0) entry.refs--;
    if (entry.refs === 0 && this.expireMs > 0 && this.isExpired(entry, now) && this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
  }

  /** stksess_kill: drops an unreferenced entry (`clear table`); false when a stick counter holds it. */
  remove(entry: StickEntry): boolean {
    if (entry.refs > 0) return false;
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
    return true;
  }

  /** Sets a stored counter (`set table`): unsigned 32-bit as HAProxy's std_t_uint, `value` taken modulo 2^32. */
  setCounter(entry: StickEntry, name: CounterType, value: bigint): void {
    const slot = this.layout.counterSlot.get(name);
    if (slot !== undefined) entry.counts![slot] = Number(BigInt.asUintN(32, value));
  }

  /** Sets a stored rate (`set table`): `value` events in a period starting now. */
  setRate(entry: StickEntry, name: RateType, value: bigint, now = tickNow()): void {
    const slot = this.layout.rateSlot.get(name);
    // freq_ctr's curr_ctr is an unsigned int.
    if (slot !== undefined) entry.rates![slot]!.set(Number(BigInt.asUintN(32, value)), now);
  }

  /** The value of a stored counter, or undefined when the table does not store it. */
  counter(entry: StickEntry, name: CounterType): number | undefined {
    const slot = this.layout.counterSlot.get(name);
    return slot === undefined ? undefined : entry.counts![slot];
  }

  /** Adds `delta` to a stored counter (a counter the table does not store is left alone); returns the new value. */
  add(entry: StickEntry, name: CounterType, delta: number): number | undefined {
    const slot = this.layout.counterSlot.get(name);
    if (slot === undefined) return undefined;
    const counts = entry.counts!;
    const value = Math.max(0, counts[slot]! + delta);
    counts[slot] = value > 0xffffffff ? value - 0x100000000 : value; // unsigned 32-bit, as HAProxy's std_t_uint
    return counts[slot];
  }

  /** Does the table store this data type? */
  stores(name: string): boolean {
    return this.layout.counterSlot.has(name) || this.layout.rateSlot.has(name) || (this.keepsServer && name === 'server_id');
  }

  /** The rate over the data type's period, or undefined when the table does not store it. */
  rate(entry: StickEntry, name: RateType, now = tickNow()): number | undefined {
    const slot = this.layout.rateSlot.get(name);
    if (slot === undefined) return undefined;
    return entry.rates![slot]!.read(this.layout.rates[slot]!.period, now);
  }

  /** Counts one event in a stored rate; returns the current period's count (undefined: not stored). */
  tick(entry: StickEntry, name: RateType, now = tickNow()): number | undefined {
    const slot = this.layout.rateSlot.get(name);
    if (slot === undefined) return undefined;
    return entry.rates![slot]!.update(this.layout.rates[slot]!.period, 1, now);
  }

  private isExpired(entry: StickEntry, now: number): boolean {
    return this.expireMs > 0 && now >= entry.expire;
  }

  /** Drops expired unreferenced entries from the head of the Map (the oldest), up to the first live one. */
  private purgeExpired(now: number): void {
    if (this.expireMs === 0) return;
    for (const entry of this.entries.values()) {
      if (entry.refs > 0) continue;
      if (!this.isExpired(entry, now)) break;
      this.entries.delete(entry.key);
    }
  }

  /** stktable_trash_oldest: drops up to `batch` of the oldest unreferenced entries, looking at no more than twice as many. */
  private trashOldest(batch: number): number {
    let searched = batch * 2;
    let trashed = 0;
    for (const entry of this.entries.values()) {
      if (trashed >= batch || --searched < 0) break;
      if (entry.refs > 0) continue;
      this.entries.delete(entry.key);
      trashed++;
    }
    return trashed;
  }
}
