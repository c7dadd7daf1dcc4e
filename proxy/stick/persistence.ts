/**
 * Stick-table persistence: `stick on`, `stick match`, `stick store-request` and
 * `stick store-response` of a backend (HAProxy 2.6's stream.c
 * process_sticking_rules, sticking_rule_find_target and process_store_rules),
 * for HTTP exchanges and TCP sessions alike.
 *
 * On the request, before balancing, the rules run in order: a match rule
 * (`match`, `on`) whose key is in its table sends the request to the server
 * stored there, unless something (use-server, the persistence cookie, an
 * earlier match) chose a server already, and if that server is not stopped
 * (DOWN or in maintenance) or `option persist` is on; the entry is touched
 * either way. A store rule (`store-request`, `on`) keeps its key for later;
 * only the first store-request rule that yields a key counts for each table.
 * Once the server answers (the first response headers in HTTP, the
 * connection established in TCP) the store-response rules add at most one
 * key per table, and every kept key is stored with the server actually used,
 * overwriting what its entry held. At most 8 keys per request are kept
 * (HAProxy's s->store[8]); a request that never reaches a server stores nothing.
 */
import { compileCondition, compileSample, parseSampleExpression } from '../acl/index.ts';
import type { SampleContext } from '../acl/index.ts';
import type { Proxy, StickRule } from '../config/model.ts';
import type { RuntimeServer } from '../runtime/server.ts';
import { serverStopped } from '../runtime/backend.ts';
import { patternFileReader } from '../runtime/pattern-files.ts';
import { tableKey } from './keys.ts';
import { ruleTable } from './tables.ts';
import { tickNow } from './table.ts';
import type { RuntimeStickTable, StickEntry } from './table.ts';

/** HAProxy's s->store[8]: keys one stream may store. */
export const MAX_STORED_KEYS = 8;

/** A key a store rule kept, stored with the server once it answers. */
interface PendingStore {
  readonly table: RuntimeStickTable;
  readonly key: string;
}

/** What the request-side rules decided, kept by the exchange or session until the server answers. */
export interface StickRequest {
  /** The server a match rule found (HAProxy's SF_DIRECT|SF_ASSIGNED by stickiness). */
  server: RuntimeServer | undefined;
  /** Keys of the store-request rules (and `stick on`). */
  readonly stores: PendingStore[];
}

interface CompiledRule {
  readonly match: boolean;
  readonly store: boolean;
  readonly table: RuntimeStickTable;
  readonly when: ((ctx: SampleContext) => boolean) | undefined;
  readonly key: (ctx: SampleContext) => string | undefined;
}

export class StickPersistence {
  private constructor(
    private readonly requestRules: readonly CompiledRule[],
    private readonly responseRules: readonly CompiledRule[],
    private readonly servers: () => readonly RuntimeServer[],
    /** `option persist`: a stored server that is stopped is still used. */
    private readonly persist: boolean,
  ) {}

  /** The backend's stick rules compiled, or undefined when it has none (nothing runs per request then). */
  static fromConfig(proxy: Proxy, servers: () => readonly RuntimeServer[]): StickPersistence | undefined {
    if (proxy.stickRules.length === 0) return undefined;
    const compile = (rule: StickRule): CompiledRule => compileRule(rule, proxy);
    return new StickPersistence(
      proxy.stickRules.filter((r) => r.kind !== 'store-response').map(compile),
      proxy.stickRules.filter((r) => r.kind === 'store-response').map(compile),
      servers,
      proxy.options['persist']?.enabled ?? false,
    );
  }

  /**
   * process_sticking_rules. `assigned`: a server was chosen already (use-server, persistence cookie);
   * `force`: a force-persist rule holds (a stored server that is stopped is used).
   */
  onRequest(ctx: SampleContext, assigned: boolean, force = false): StickRequest {
    const decision: StickRequest = { server: undefined, stores: [] };
    const now = tickNow();
    for (const rule of this.requestRules) {
      // Only the first store-request of each table applies (the most precise key first, a fallback after).
      if (rule.store && decision.stores.some((s) => s.table === rule.table)) continue;
      if (rule.when && !rule.when(ctx)) continue;
      const key = rule.key(ctx);
      if (key === undefined) continue;
      if (rule.match) {
        const entry = rule.table.lookup(key, now);
        if (entry) {
          if (!assigned && decision.server === undefined) decision.server = this.storedServer(entry, rule.table, force);
          rule.table.touch(entry, now);
        }
      }
      if (rule.store && decision.stores.length < MAX_STORED_KEYS) decision.stores.push({ table: rule.table, key });
    }
    return decision;
  }

  /**
   * process_store_rules, once `server` answered: the store-response rules' keys (`ctx` reads the
   * response; at most one per table besides the request's), then every kept key is stored.
   */
  onResponse(ctx: SampleContext, request: StickRequest | undefined, server: RuntimeServer): void {
    const stores = request?.stores ?? [];
    const fromRequest = stores.length;
    for (const rule of this.responseRules) {
      if (stores.slice(fromRequest).some((s) => s.table === rule.table)) continue;
      if (rule.when && !rule.when(ctx)) continue;
      const key = rule.key(ctx);
      if (key === undefined) continue;
      if (stores.length < MAX_STORED_KEYS) stores.push({ table: rule.table, key });
    }
    const now = tickNow();
    for (const { table, key } of stores) {
      const entry = table.getEntry(key, now);
      if (!entry) continue; // full of entries in use (or nopurge): HAProxy's stksess_new fails the same way
      entry.serverId = server.id;
      entry.serverKey = table.config.srvkey === 'addr' ? serverAddressKey(server) : server.name;
      table.touch(entry, now);
    }
    stores.length = 0;
  }

  /** Whether the response side has work: keys kept by the request, or store-response rules. */
  storesOnResponse(request: StickRequest | undefined): boolean {
    return this.responseRules.length > 0 || (request !== undefined && request.stores.length > 0);
  }

  /**
   * sticking_rule_find_target: the server by its stored name (by its address with `srvkey addr`),
   * else by its stored id; used if not stopped, with `option persist` or when `force` (force-persist).
   */
  private storedServer(entry: StickEntry, table: RuntimeStickTable, force: boolean): RuntimeServer | undefined {
    const servers = this.servers();
    const byKey = table.config.srvkey === 'addr' ? (s: RuntimeServer) => serverAddressKey(s) === entry.serverKey : (s: RuntimeServer) => s.name === entry.serverKey;
    const server = (entry.serverKey !== undefined ? servers.find(byKey) : undefined)
      ?? servers.find((s) => s.id === entry.serverId);
    if (!server) return undefined;
    return !serverStopped(server) || this.persist || force ? server : undefined;
  }
}

/** A server as `srvkey addr` names it (HAProxy's sa2str): `ip:port` (IPv6 without brackets), a socket path, `abns@name`. */
function serverAddressKey(server: RuntimeServer): string {
  if (server.path !== undefined) return server.path.startsWith('\0') ? `abns@${server.path.slice(1)}` : server.path;
  return `${server.host}:${server.port}`;
}

function compileRule(rule: StickRule, proxy: Proxy): CompiledRule {
  const table = ruleTable(proxy, rule.table);
  const parsed = parseSampleExpression(rule.expression);
  if ('error' in parsed) throw new Error(`'stick ${rule.kind} ${rule.expression}': ${parsed.error}`);
  const options = { readFile: patternFileReader, currentProxy: proxy.name };
  const fetch = compileSample(parsed.expr, options);
  const when = rule.condition ? compileCondition(rule.condition, proxy.acls, options) : undefined;
  return {
    match: rule.kind === 'on' || rule.kind === 'match',
    store: rule.kind !== 'match',
    table,
    when,
    key: (ctx) => {
      const sample = fetch(ctx);
      return sample === undefined ? undefined : tableKey(sample, table.config);
    },
  };
}
