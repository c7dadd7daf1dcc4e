/**
 * Behaviours the configuration language accepts but the engine does not run
 * yet. `loadstar run` refuses such a configuration with a list of what and
 * where, rather than running it with a feature silently missing.
 */
import { HTTP_ALPN } from '../tls/bind-tls.ts';
import type { Config, TcpRequestRule } from '../config/model.ts';
import { storeTypeIsRun } from '../stick/table.ts';
import { peersTables } from '../config/kw-peers.ts';
import { cryptScheme } from './crypt.ts';

export interface UnsupportedUse {
  what: string;
  file: string;
  line: number;
  /** Issue or topic that brings it. */
  pending: string;
}

/** What `loadstar check`, an import or an edit says of one use, at its line. */
export function unsupportedMessage(use: UnsupportedUse): string {
  return `${use.what} is not run by Loadstar yet (coming with ${use.pending}).`;
}

export function unsupportedFeatures(config: Config): UnsupportedUse[] {
  const found: UnsupportedUse[] = [];
  const add = (what: string, loc: { file: string; line: number }, pending: string) => found.push({ what, file: loc.file, line: loc.line, pending });
  for (const proxy of config.proxies) {
    if (proxy.kind === 'defaults') continue;
    for (const server of proxy.servers) {
      const o = server.options;
      if ((o.sendProxy || o.sendProxyV2) && proxy.mode === 'http' && (o.proto === 'h2' || o.alpn?.includes('h2'))) add(`'send-proxy' on an HTTP/2 server ('proto h2' or 'alpn h2')`, server.loc, 'a later engine change');
      if (o.socks4 && proxy.mode === 'http' && (o.proto === 'h2' || o.alpn?.includes('h2'))) add(`'socks4' on an HTTP/2 server ('proto h2' or 'alpn h2')`, server.loc, 'a later engine change');
    }
    if (proxy.stickTable) {
      // The engine keeps the tables (proxy/stick) but does not store every data type (peers: config/kw-peers.ts).
      const table = proxy.stickTable;
      for (const data of table.store) if (!storeTypeIsRun(data.name)) add(`'stick-table … store ${data.name}'`, table.loc, 'sticky sessions');
    }
    // A capture fills a slot of the frontend's (captures.ts); a backend's `len` rule, which would declare one, is not run.
    for (const rule of proxy.httpRequestRules) {
      if (rule.action.type === 'capture' && rule.action.id === undefined) add(`'http-request capture … len' in a ${proxy.kind} (use 'declare capture' in the frontend and 'capture … id')`, rule.loc, 'a later engine change');
    }
    for (const rule of proxy.httpResponseRules) {
      const a = rule.action;
      if (a.type === 'capture' && a.id === undefined) add(`'http-response capture … len' (use 'declare capture response' and 'capture … id')`, rule.loc, 'a later engine change');
    }
    for (const rule of proxy.httpAfterResponseRules) {
      const t = rule.action.type;
      if (t === 'track-sc' || t === 'capture') add(`'http-after-response ${t}'`, rule.loc, 'sticky sessions');
    }
    for (const rule of proxy.httpResponseRules) {
      const t = rule.action.type;
      if (!RESPONSE_ACTIONS_RUN.has(t)) add(`'http-response ${t}'`, rule.loc, 'a later engine change');
    }
    for (const rule of proxy.httpAfterResponseRules) {
      const t = rule.action.type;
      if (!RESPONSE_ACTIONS_RUN.has(t) && t !== 'capture') add(`'http-after-response ${t}'`, rule.loc, 'a later engine change');
    }
    if (proxy.mode !== 'http') for (const rule of proxy.serverRules) if (rule.dynamic) add(`'use-server' with a log-format server name in a TCP-mode ${proxy.kind}`, rule.loc, 'a later engine change');
    // tcp-response content runs in TCP mode (tcp/response-inspection.ts) and on HTTP answers (http/response-inspection.ts).
    for (const rule of proxy.tcpRequestRules) {
      // Compiled by proxy/tcp/rules.ts, run by the TCP engine and, in HTTP mode, on each request (http/content-rules.ts).
      const what = `'tcp-request ${rule.phase} ${rule.action.type}'`;
      if (!tcpRuleIsRun(rule, proxy.mode === 'http')) add(proxy.mode === 'http' ? `${what} in an HTTP-mode ${proxy.kind}` : what, rule.loc, '#5');
    }
  }
  // A peers section's tables store what proxies' tables may (config/kw-peers.ts).
  for (const { name, table } of peersTables(config)) {
    for (const data of table.store) if (!storeTypeIsRun(data.name)) add(`'table ${name} … store ${data.name}'`, table.loc, 'sticky sessions');
  }
  for (const list of config.userlists) {
    for (const user of list.users) {
      if (user.insecure) continue;
      const scheme = cryptScheme(user.password);
      if (!scheme.unsupported) continue;
      const what = `'user ${user.name} password' in userlist '${list.name}': ${scheme.name}`;
      if (scheme.tooCostly) add(`${what} (${scheme.tooCostly})`, user.loc, 'password checks off the event loop');
      else add(`${what} (Loadstar verifies SHA-512 $6$, SHA-256 $5$, MD5 $1$, bcrypt $2a$/$2b$/$2y$ and DES; e.g. 'mkpasswd -m sha-512')`, user.loc, 'a later engine change');
    }
  }
  for (const forward of config.logForwards) {
    // The relay's TCP listeners speak plain syslog only (runtime/log-forward.ts).
    for (const bind of forward.binds) {
      if (bind.ssl) add(`'ssl' on a bind of log-forward '${forward.name}'`, bind.loc, 'syslog over TLS');
      if (bind.acceptProxy) add(`'accept-proxy' on a bind of log-forward '${forward.name}'`, bind.loc, 'a later engine change');
    }
  }
  return found;
}

/** Parsed behaviours that run in a reduced form for now: the engine starts, with these warnings. */
export function reducedFeatureWarnings(config: Config): string[] {
  const warnings: string[] = [];
  const servers = config.proxies.filter((p) => p.kind !== 'defaults').flatMap((p) => p.servers);
  const observedWithoutCheck = servers.find((s) => s.options.observe !== undefined && s.options.observe !== 'none' && !s.options.check);
  if (observedWithoutCheck) warnings.push(`'observe' needs 'check' on the same server (as in HAProxy); ignored at ${observedWithoutCheck.loc.file}:${observedWithoutCheck.loc.line}`);
  for (const proxy of config.proxies) {
    if (proxy.kind === 'defaults' || proxy.mode !== 'http') continue;
    for (const bind of proxy.binds) {
      const dropped = (bind.alpn ?? []).filter((p) => !HTTP_ALPN.has(p));
      if (bind.ssl && dropped.length > 0) warnings.push(`'alpn' ${dropped.join(',')} is not offered at ${bind.loc.file}:${bind.loc.line}: the HTTP engine serves h2 and http/1.1 only`);
    }
  }
  return warnings;
}

/** http-response actions the HTTP engine runs (proxy/http/rules.ts compileResponseAction); the parser accepts more. */
const RESPONSE_ACTIONS_RUN = new Set(['set-header', 'add-header', 'del-header', 'replace-header', 'replace-value', 'allow', 'set-status', 'set-var', 'set-var-fmt', 'unset-var', 'deny', 'return', 'redirect', 'set-log-level', 'capture', 'track-sc', 'sc-inc-gpc', 'sc-set-gpt', 'strict-mode', 'cache-store', 'wait-for-body', 'set-map', 'del-map', 'add-acl', 'del-acl']);

/**
 * Rule kinds the engine runs (proxy/tcp/rules.ts); the others are refused here. `http`: the rule is
 * an HTTP-mode proxy's, whose content rules run on each request (where silent-drop can be run too).
 */
export function tcpRuleIsRun(rule: TcpRequestRule, http = false): boolean {
  const t = rule.action.type;
  if (t === 'set-src' || t === 'set-src-port' || t === 'set-dst' || t === 'set-dst-port' || t === 'set-priority-class' || t === 'set-priority-offset' || t === 'set-log-level') return true;
  if (rule.phase === 'connection') return t === 'accept' || t === 'reject' || t === 'expect-proxy' || t === 'track-sc' || t === 'sc-inc-gpc' || t === 'sc-set-gpt';
  if (t === 'set-var' || t === 'unset-var' || t === 'set-var-fmt') return true;
  if (t === 'silent-drop') return rule.phase === 'session' || http;
  // A TCP frontend's connection goes on as HTTP (tcp/frontend.ts); on an HTTP request the rules stop there.
  if (t === 'switch-mode') return true;
  return t === 'accept' || t === 'reject' || t === 'track-sc' || t === 'sc-inc-gpc' || t === 'sc-set-gpt';
}
