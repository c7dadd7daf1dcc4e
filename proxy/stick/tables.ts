/**
 * The stick tables of one configuration load, by the name of the proxy
 * declaring them (a frontend's own, or a backend holding only a table that
 * rules refer to with `table <name>`). A reload builds new, empty tables,
 * except as HAProxy's local peer would hand them over: a table naming an
 * enabled `peers` section, in the old configuration and the new one, with
 * the same type, key length, size and stored data, keeps its entries.
 */
import type { EngineHooks } from '../acl/index.ts';
import type { Config, Proxy, StickTable } from '../config/model.ts';
import { RuntimeStickTable } from './table.ts';
import { stickCounterHook } from './read.ts';
import { peersSectionRuns, peersTables } from '../config/kw-peers.ts';

export class StickTables {
  private readonly byName = new Map<string, RuntimeStickTable>();
  /** What the sc*_ / src_* / table_* fetches ask (EngineHooks.stickCounter). */
  readonly stickCounter: NonNullable<EngineHooks['stickCounter']> = stickCounterHook(this);
  /** The hooks of a TCP-mode context (its other engine hooks are not wired), when there are tables. */
  readonly tcpHooks: EngineHooks | undefined;

  /** `previous`: the tables of the configuration this one replaces (a reload). */
  constructor(config: Config, previous?: StickTables) {
    const stickRuleTables = new Set<string>();
    for (const proxy of config.proxies) for (const rule of proxy.stickRules) stickRuleTables.add(rule.table ?? proxy.name);
    for (const proxy of config.proxies) {
      if (proxy.kind === 'defaults' || !proxy.stickTable) continue;
      const table = new RuntimeStickTable(proxy.name, proxy.stickTable, stickRuleTables.has(proxy.name), syncedByLocalPeer(config, proxy.stickTable));
      const old = previous?.get(proxy.name);
      if (old && table.handedOver && old.handedOver && sameDefinition(old.config, table.config)) table.adopt(old);
      this.byName.set(proxy.name, table);
    }
    // A peers section's own tables: always kept by the local peer when the section runs.
    for (const { name, table: definition } of peersTables(config)) {
      const table = new RuntimeStickTable(name, definition, stickRuleTables.has(name), syncedByLocalPeer(config, definition));
      const old = previous?.get(name);
      if (old && table.handedOver && old.handedOver && sameDefinition(old.config, table.config)) table.adopt(old);
      this.byName.set(name, table);
    }
    for (const proxy of config.proxies) if (proxy.kind !== 'defaults') tablesOfProxy.set(proxy, this);
    this.tcpHooks = this.byName.size > 0 ? { stickCounter: this.stickCounter } : undefined;
  }

  /** The table declared in proxy `name` ('' or undefined: none). */
  get(name: string | undefined): RuntimeStickTable | undefined {
    return name ? this.byName.get(name) : undefined;
  }

  get size(): number {
    return this.byName.size;
  }

  /** Every table, in the order of the configuration. */
  all(): IterableIterator<RuntimeStickTable> {
    return this.byName.values();
  }
}

/** Each proxy of a loaded configuration → its configuration's tables (rules compiled from a proxy find them here). */
const tablesOfProxy = new WeakMap<Proxy, StickTables>();

/** The hooks a TCP-mode sample context of `proxy` gets: the stick-table fetches' (undefined: no tables). */
export function tcpStickHooks(proxy: Proxy): EngineHooks | undefined {
  return tablesOfProxy.get(proxy)?.tcpHooks;
}

/**
 * The table a rule of `proxy` names (`table <name>`), else the proxy's own.
 * Throws when the configuration's tables were not built first (engine.ts builds them
 * before the frontends) or the table does not exist (config/validate.ts refuses that).
 */
export function ruleTable(proxy: Proxy, name: string | undefined): RuntimeStickTable {
  const tables = tablesOfProxy.get(proxy);
  if (!tables) throw new Error(`the stick tables of '${proxy.name}' are not built (only the running engine keeps them)`);
  const table = tables.get(name ?? proxy.name);
  if (!table) throw new Error(`proxy '${proxy.name}': no stick table '${name ?? proxy.name}'`);
  return table;
}

/** The table names a peers section that runs: enabled, with the local peer (and, config/kw-peers.ts made sure, no other). */
function syncedByLocalPeer(config: Config, table: StickTable): boolean {
  return table.peers !== undefined && peersSectionRuns(config, table.peers);
}

/** What the local peer needs to hand a table over: same type, key length, size, and stored data types. */
function sameDefinition(a: StickTable, b: StickTable): boolean {
  const store = (t: StickTable): string => t.store.map((s) => `${s.name}(${s.period ?? ''})`).join(',');
  return a.type === b.type && a.len === b.len && a.size === b.size && store(a) === store(b);
}
