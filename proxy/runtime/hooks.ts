/**
 * The engine state sample fetches may read (nbsrv, be_conn, srv_is_up …, the
 * stick-table counters) and the userlist checks behind http_auth(), wired for
 * one set of tables.
 */
import type { EngineHooks } from '../acl/index.ts';
import type { Config } from '../config/model.ts';
import type { RuntimeBackend } from './backend.ts';
import type { StickTables } from '../stick/tables.ts';
import { userlistChecker } from './userlist-auth.ts';

export function engineHooks(config: Config, backends: ReadonlyMap<string, RuntimeBackend>, stick?: StickTables): EngineHooks {
  const userlists = new Map(config.userlists.map((u) => [u.name, u]));
  const checkUser = userlistChecker(config.userlists);
  return {
    ...(stick ? { stickCounter: stick.stickCounter } : {}),
    backend(name, metric) {
      const b = backends.get(name);
      if (!b) return undefined;
      const usable = b.servers.filter((s) => s.usable && s.weight > 0);
      switch (metric) {
        case 'nbsrv': return usable.length;
        case 'be_conn': return b.servers.reduce((n, s) => n + s.served, 0);
        case 'queue': return b.queue.length + b.servers.reduce((n, s) => n + s.queued, 0);
        case 'connslots': return usable.some((s) => s.maxconn === 0) ? -1 : usable.reduce((n, s) => n + s.maxconn - s.served, 0);
        default: return undefined;
      }
    },
    server(backend, name, metric) {
      const s = backends.get(backend)?.server(name);
      if (!s) return undefined;
      switch (metric) {
        case 'srv_conn': return s.served;
        case 'srv_is_up': return s.usable ? 1 : 0;
        case 'srv_queue': return s.queued;
        case 'srv_weight': case 'srv_uweight': case 'srv_iweight': return s.weight;
        default: return undefined;
      }
    },
    checkUser,
    userInGroup(userlist, user, group) {
      const list = userlists.get(userlist);
      if (!list) return false;
      return list.users.some((u) => u.name === user && u.groups.includes(group))
        || list.groups.some((g) => g.name === group && g.users.includes(user));
    },
  };
}
