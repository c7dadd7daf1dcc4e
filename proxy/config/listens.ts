/**
 * Whether a configuration would listen at all: HAProxy's test at the end of `-c` ("Configuration
 * file has no error but will not start (no listener) => exit(2)").
 */
import type { Config } from './model.ts';
import type { Diagnostic } from './diagnostics.ts';
import { localPeerName } from './kw-peers.ts';

/** Some enabled frontend or listen section binds, a stats socket is set, or a peers section has the local peer. */
export function listensAtAll(config: Config): boolean {
  if (config.proxies.some((p) => (p.kind === 'frontend' || p.kind === 'listen') && !p.disabled && p.binds.length > 0)) return true;
  // A stats socket is a listener of HAProxy's own CLI frontend.
  if (config.global.statsSockets.length > 0) return true;
  const local = localPeerName(config);
  return config.peers.some((section) => !section.disabled && section.peers.some((peer) => peer.name === local));
}

/**
 * A warning for a valid text that would serve nothing, where Loadstar applies texts (the editor, the
 * API): the engine would run with no traffic at all, and `haproxy` would not start with it.
 */
export function noListenerWarning(config: Config, file: string): Diagnostic | undefined {
  if (listensAtAll(config) || config.global.masterWorker !== undefined) return undefined;
  return {
    file, line: 1, column: 1, severity: 'warning', code: 'LS_WARN_CFG_SUSPICIOUS',
    message: "nothing would listen: no frontend or listen section has a 'bind' line, so no traffic is served (haproxy -c: 'will not start (no listener)')",
  };
}
