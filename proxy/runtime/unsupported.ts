/**
 * Behaviours the configuration language accepts but the engine does not run
 * yet. `loadstar run` refuses such a configuration with a list of what and
 * where, rather than running it with a feature silently missing.
 */
import type { Config } from '../config/model.ts';

export interface UnsupportedUse {
  what: string;
  file: string;
  line: number;
  /** Issue or topic that brings it. */
  pending: string;
}

export function unsupportedFeatures(config: Config): UnsupportedUse[] {
  const found: UnsupportedUse[] = [];
  const add = (what: string, loc: { file: string; line: number }, pending: string) => found.push({ what, file: loc.file, line: loc.line, pending });
  for (const proxy of config.proxies) {
    if (proxy.kind === 'defaults') continue;
    for (const bind of proxy.binds) if (bind.ssl) add(`'bind … ssl' (TLS termination)`, bind.loc, '#5');
    for (const server of proxy.servers) if (server.options.ssl) add(`'server … ssl'`, server.loc, '#5');
    for (const server of proxy.servers) if (server.options.check && server.options.checkSsl) add(`'server … check-ssl' (TLS health checks)`, server.loc, '#5');
    for (const rule of proxy.tcpCheckRules) if (rule.type === 'connect' && rule.ssl) add(`'tcp-check connect ssl' (TLS health checks)`, rule.loc, '#5');
    for (const rule of proxy.httpCheckRules) if (rule.type === 'connect' && rule.ssl) add(`'http-check connect ssl' (TLS health checks)`, rule.loc, '#5');
    if (proxy.cookie) add(`'cookie' persistence`, proxy.cookie.loc, 'sticky sessions');
    if (proxy.stickTable) add(`'stick-table'`, proxy.stickTable.loc, 'sticky sessions');
    for (const rule of proxy.stickRules) add(`'stick ${rule.kind}'`, rule.loc, 'sticky sessions');
    if (proxy.stats.enabled) add(`'stats' page`, proxy.section.loc, '#6');
    for (const rule of [...proxy.httpRequestRules, ...proxy.httpResponseRules, ...proxy.httpAfterResponseRules]) {
      const t = rule.action.type;
      if (t === 'track-sc' || t === 'use-service' || t === 'capture' || t === 'set-log-level') add(`'http-request ${t}'`, rule.loc, t === 'use-service' ? '#6' : 'sticky sessions');
    }
    if (proxy.httpAfterResponseRules.length > 0) add(`'http-after-response'`, proxy.httpAfterResponseRules[0]!.loc, 'a later engine change');
    for (const rule of proxy.tcpRequestRules) {
      if (rule.phase !== 'connection' || (rule.action.type !== 'accept' && rule.action.type !== 'reject')) add(`'tcp-request ${rule.phase} ${rule.action.type}'`, rule.loc, '#5');
    }
  }
  for (const socket of config.global.statsSockets) add(`'stats socket'`, socket.loc, '#6');
  for (const list of config.userlists) {
    for (const user of list.users) if (!user.insecure) add(`'user ${user.name} password' (crypt(3) hashes; use insecure-password for now)`, user.loc, 'a later engine change');
  }
  return found;
}

/** Parsed behaviours that run in a reduced form for now: the engine starts, with these warnings. */
export function reducedFeatureWarnings(config: Config): string[] {
  const warnings: string[] = [];
  const servers = config.proxies.filter((p) => p.kind !== 'defaults').flatMap((p) => p.servers);
  const agent = servers.find((s) => s.options.agentCheck);
  if (agent) warnings.push(`'agent-check' is not run yet: only the health check decides the state (first at ${agent.loc.file}:${agent.loc.line})`);
  const observedWithoutCheck = servers.find((s) => s.options.observe !== undefined && s.options.observe !== 'none' && !s.options.check);
  if (observedWithoutCheck) warnings.push(`'observe' needs 'check' on the same server (as in HAProxy); ignored at ${observedWithoutCheck.loc.file}:${observedWithoutCheck.loc.line}`);
  const compressed = config.proxies.find((p) => p.kind !== 'defaults' && p.compression.algorithms.length > 0);
  if (compressed) warnings.push(`'compression' is not applied yet: responses are forwarded uncompressed (${compressed.kind} '${compressed.name}')`);
  return warnings;
}
