/**
 * `fullconn` and the dynamic connection limit of servers with `minconn` (configuration.txt
 * §4.2 fullconn, §5.2 minconn): HAProxy 2.6's proxy_adjust_all_maxconn() and
 * srv_dynamic_maxconn().
 */
import type { Config, Proxy } from '../config/model.ts';
import { effectiveMaxconn } from './default-maxconn.ts';

/**
 * The backend's `fullconn`, else 10% (rounded up, at least 1) of the maxconn of the frontends
 * that can reach it through `default_backend` or a static `use_backend` (a listen counts its
 * own). A frontend without maxconn counts the global one, the configured one or else the one
 * derived from the open-file limit (default-maxconn.ts); undefined only when that limit is unknown.
 */
export function backendFullconn(config: Config, backend: Proxy): number | undefined {
  if (backend.fullconn) return backend.fullconn;
  let total = 0;
  const globalMaxconn = effectiveMaxconn(config);
  for (const fe of config.proxies) {
    if ((fe.kind !== 'frontend' && fe.kind !== 'listen') || fe.disabled) continue;
    const reaches = fe.defaultBackend?.name === backend.name
      || (fe.kind === 'listen' && fe.name === backend.name && fe.defaultBackend === undefined)
      || fe.switchingRules.some((r) => !r.dynamic && r.backend === backend.name && r.backend !== fe.defaultBackend?.name);
    if (!reaches) continue;
    const maxconn = fe.maxconn ?? globalMaxconn;
    if (maxconn === undefined) return undefined;
    total += maxconn;
  }
  return Math.max(1, Math.ceil(total / 10));
}

/**
 * srv_dynamic_maxconn(): below `fullconn` streams on the backend (`beconn`: those holding a slot
 * or waiting in a queue, the arriving one included), a server with `minconn` < `maxconn` accepts
 * max(minconn, beconn × maxconn / fullconn) connections; from `fullconn` on, its maxconn.
 */
export function dynamicMaxconn(minconn: number, maxconn: number, beconn: number, fullconn: number): number {
  if (beconn >= fullconn) return maxconn;
  return Math.max(minconn, Math.floor((beconn * maxconn) / fullconn));
}
