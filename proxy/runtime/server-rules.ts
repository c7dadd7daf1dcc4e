/**
 * `use-server` rules (configuration.txt "use-server"): after the request rules and before
 * cookies and balancing, the first rule whose condition holds names the server, HTTP and TCP
 * alike. A rule naming a server that is down (or in maintenance) is passed over, unless
 * `option persist` or a `force-persist` rule that holds; a server with weight 0 is still used (the point of the SNI example in
 * HAProxy's documentation).
 */
import type { Proxy, ServerRule } from '../config/model.ts';
import type { RuntimeServer } from './server.ts';

/**
 * The server the rules choose for a request or connection of kind C, or undefined (balance as
 * usual). `force`: a `force-persist` rule holds, a server that is down is used too.
 */
export type ServerChoice<C> = (c: C, force: boolean) => RuntimeServer | undefined;

export function compileServerRules<C>(
  proxy: Proxy,
  servers: () => readonly RuntimeServer[],
  when: (rule: ServerRule) => (c: C) => boolean,
  dynamicName: (rule: ServerRule) => (c: C) => string,
): ServerChoice<C> | undefined {
  if (proxy.serverRules.length === 0) return undefined;
  const persist = proxy.options['persist']?.enabled ?? false;
  const rules = proxy.serverRules.map((rule) => ({ when: when(rule), name: rule.dynamic ? dynamicName(rule) : () => rule.server }));
  return (c, force) => {
    for (const rule of rules) {
      if (!rule.when(c)) continue;
      const name = rule.name(c);
      const server = servers().find((s) => s.name === name);
      if (server && (server.usable || persist || force)) return server;
    }
    return undefined;
  };
}
