/**
 * `force-persist` and `ignore-persist` (configuration.txt): once the backend is known, its rules
 * of both kinds run in the order written and the first whose condition holds decides, for that
 * request (HTTP) or connection (TCP), HAProxy's SF_FORCE_PRST or SF_IGNORE_PRST
 * (process_switching_rules):
 * - force: a server that is down or in maintenance is still used when a use-server rule, a
 *   persistence cookie or a stick match names it, and the request is never redispatched (a failed
 *   connection is retried on that server; a full queue answers 503);
 * - ignore: the persistence cookie names no server, and no cookie is set in the response.
 */
import type { PersistRule, Proxy } from '../config/model.ts';

export type PersistVerdict = 'force' | 'ignore' | undefined;

/** The rules of `proxy` compiled with `when` (HTTP or TCP conditions); undefined when it has none. */
export function compilePersistRules<C>(proxy: Proxy, when: (rule: PersistRule) => (c: C) => boolean): ((c: C) => PersistVerdict) | undefined {
  if (proxy.persistRules.length === 0) return undefined;
  const rules = proxy.persistRules.map((rule) => ({ type: rule.type, holds: when(rule) }));
  return (c) => {
    for (const rule of rules) if (rule.holds(c)) return rule.type;
    return undefined;
  };
}
