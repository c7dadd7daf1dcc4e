/**
 * Answers Loadstar gives itself on HTTP frontends: the statistics page
 * (`stats enable|uri|refresh|auth|realm|admin|http-request`, HTML or `;csv`) and
 * `http-request use-service prometheus-exporter`. Each returns a LocalAnswer
 * the transaction sends like any rule's answer; an admin action (POST from
 * the page's form) answers once the request body is in.
 */
import type { Proxy } from '../config/model.ts';
import { DEFAULT_STATS_URI } from '../config/model.ts';
import type { StatsHost } from '../stats/host.ts';
import type { HttpTransaction } from './transaction.ts';
import type { LocalAnswer, RuleOutcome } from './rules.ts';
import { compileRequestRules, runRequestRules } from './rules.ts';
import { requestDenied } from '../stick/http.ts';
import { compileTxCondition } from './samples.ts';
import type { TxPredicate } from './samples.ts';
import { getHeader } from './headers.ts';
import { setServerAdminState } from '../runtime/admin.ts';
import type { RuntimeBackend } from '../runtime/backend.ts';
import type { RuntimeServer } from '../runtime/server.ts';
import { applyAdminForm } from '../stats/admin-form.ts';
import type { AdminFormAction } from '../stats/admin-form.ts';
import { atoi } from '../stats/cli-numbers.ts';
import { proxyIds, statRows } from '../stats/rows.ts';
import { statCsv, statJson, withoutLegends } from '../stats/csv.ts';
import { statsPageHtml } from '../stats/page.ts';
import { infoValues } from '../stats/info.ts';
import { exporterOptions, prometheusText } from '../stats/prometheus.ts';
import { builtinResponse } from './error-pages.ts';
import { compileAuthChallenge } from './auth-challenge.ts';
import { uriPath } from '../acl/eval-http.ts';


export const DEFAULT_STATS_REALM = 'HAProxy Statistics';

function answer(status: number, reason: string, type: string, body: string, headers = ''): LocalAnswer {
  const payload = Buffer.from(body);
  const head = `HTTP/1.1 ${status} ${reason}\r\ncache-control: no-cache\r\ncontent-type: ${type}\r\ncontent-length: ${payload.length}\r\n${headers}\r\n`;
  return { response: Buffer.concat([Buffer.from(head, 'latin1'), payload]), status, termination: 'LR', kind: 'intercepted' };
}

/** A proxy's `stats http-request` rules, compiled once per configuration load. */
export type StatsAccess = ReadonlyArray<(tx: HttpTransaction) => RuleOutcome>;

/**
 * Who may see a proxy's stats page (undefined: anybody). The `stats http-request` rules: allow and
 * deny as http-request rules, auth with the page's realm by default, its 401 the proxy's own error
 * page with the challenge added last (HAProxy's http_action_auth). Without them, `stats auth` is
 * the rule HAProxy turns it into: `auth [realm R] unless` the credentials are one of its accounts.
 */
export function compileStatsAccess(proxy: Proxy, errorResponse: (status: number) => Buffer): StatsAccess | undefined {
  const stats = proxy.stats;
  if (stats.httpRequest.length === 0) {
    if (stats.auth.length === 0) return undefined;
    const challenge = compileAuthChallenge(errorResponse, statsRealm(stats.realm));
    return [(tx) => (statsCredentials(proxy, tx) ? 'continue' : (requestDenied(tx), challenge(tx.proxyAuth)))];
  }
  return stats.httpRequest.map((rule) => {
    const action = rule.action;
    if (action.type !== 'auth') return compileRequestRules([rule], proxy, errorResponse)[0]!;
    const challenge = compileAuthChallenge(errorResponse, statsRealm(action.realm));
    const when = rule.condition ? compileTxCondition(rule.condition, proxy) : undefined;
    return (tx) => {
      if (when && !when(tx)) return 'continue';
      // HAProxy counts it as an HTTP error of the stick counters (stream_inc_http_err_ctr).
      requestDenied(tx);
      return challenge(tx.proxyAuth);
    };
  });
}

/** The stats page's realm, without the quotes its challenge would break on. */
const statsRealm = (realm: string | undefined): string => (realm ?? DEFAULT_STATS_REALM).replace(/"/g, '');

/** Whether the request carries one of the `stats auth` accounts (in Proxy-Authorization for a forward proxy's request). */
function statsCredentials(proxy: Proxy, tx: HttpTransaction): boolean {
  const header = getHeader(tx.request.headers, tx.proxyAuth ? 'proxy-authorization' : 'authorization') ?? '';
  const m = /^Basic\s+(\S+)$/i.exec(header);
  if (!m) return false;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  return proxy.stats.auth.some((a) => decoded === `${a.user}:${a.password}`);
}

export class LocalServices {
  /** `stats admin` conditions compiled once per proxy of the running configuration. */
  private readonly adminRules = new WeakMap<Proxy, TxPredicate[]>();

  constructor(private readonly engine: StatsHost) {}

  /**
   * The stats page's answer when the request is for it (its URI prefix), else undefined.
   * @param access who may see it: the proxy's `stats http-request` rules or `stats auth` (compileStatsAccess).
   */
  statsPage(proxy: Proxy, tx: HttpTransaction, access?: StatsAccess): LocalAnswer | undefined {
    const page = this.statsAnswer(proxy, tx, access);
    return page && { applet: '<STATS>', ...page };
  }

  private statsAnswer(proxy: Proxy, tx: HttpTransaction, access?: StatsAccess): LocalAnswer | undefined {
    const stats = proxy.stats;
    const uri = stats.uri ?? DEFAULT_STATS_URI;
    // HAProxy's http_stats_check_uri: GET, HEAD and POST only; a prefix that is a path is compared
    // with the request's path (an absolute-form target's too), another with the whole target.
    const method = tx.request.method;
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') return undefined;
    const url = uri.startsWith('/') ? uriPath(tx.request.url, true) ?? '' : tx.request.url;
    if (!url.startsWith(uri)) return undefined;
    if (access) {
      const verdict = runRequestRules(access, tx);
      // `stats http-request` has no wait-for-body: its rules only answer or go on.
      if (verdict !== 'continue' && !('waitForBody' in verdict)) return { ...verdict, applet: '<STATS>', loggedStatus: 400 };
    }
    // The page's own links put the Scope box's `?scope=` after the options (`;up;norefresh?scope=x`).
    const rest = url.slice(uri.length);
    const query = rest.indexOf('?');
    const options = (query < 0 ? rest : rest.slice(0, query)).split(';').filter((o) => o !== '');
    const admin = this.adminAllowed(proxy, tx);
    if (tx.request.method === 'POST') {
      if (!admin) return redirect(uri, 'DENY');
      return { response: Buffer.alloc(0), status: 303, kind: 'intercepted', withBody: (body) => redirect(uri, body === undefined ? 'EXCD' : this.applyForm(body.toString('latin1'))) };
    }
    const tables = this.engine.stats.view();
    if (!tables) return answer(503, 'Service Unavailable', 'text/plain', 'statistics are not available yet\n');
    this.engine.stats.sync();
    let rows = statRows(tables);
    if (stats.scope.length > 0) rows = rows.filter((r) => stats.scope.includes(r.proxy.name));
    // The page's Scope box (`?scope=`): proxies whose name holds the text, ignoring case.
    const scope = scopeText(rest);
    if (scope) rows = rows.filter((r) => r.proxy.name.toLowerCase().includes(scope.toLowerCase()));
    const hideDown = options.includes('up');
    if (hideDown) {
      // HAProxy adds " (<up>/<servers>)" to a backend's status then: servers not stopped (neither DOWN nor MAINT) of all.
      const servers = new Map<string, { up: number; all: number }>();
      for (const r of rows) {
        if (r.type !== 2) continue;
        const count = servers.get(r.proxy.name) ?? { up: 0, all: 0 };
        const status = String(r.values['status'] ?? '');
        if (!status.startsWith('DOWN') && !status.startsWith('MAINT')) count.up++;
        count.all++;
        servers.set(r.proxy.name, count);
      }
      for (const r of rows) {
        const count = servers.get(r.proxy.name) ?? { up: 0, all: 0 };
        if (r.type === 1) r.values['status'] = `${r.values['status']} (${count.up}/${count.all})`;
      }
      rows = rows.filter((r) => r.type !== 2 || !hiddenWhenUp(String(r.values['status'] ?? '')));
    }
    const configuredRefresh = stats.refresh !== undefined ? Math.max(1, Math.round(stats.refresh / 1000)) : undefined;
    const refresh = !options.includes('norefresh') ? configuredRefresh : undefined;
    // HAProxy 2.6 sends its refresh header with the CSV and JSON forms too.
    const refreshHeader = refresh !== undefined ? `refresh: ${refresh}\r\n` : '';
    if (!stats.showLegends && (options.includes('csv') || options.includes('json'))) rows = withoutLegends(rows);
    if (options.includes('csv')) return answer(200, 'OK', 'text/plain', statCsv(rows), refreshHeader);
    if (options.includes('json')) return answer(200, 'OK', 'application/json', statJson(rows), refreshHeader);
    const st = options.find((o) => o.startsWith('st='))?.slice(3, 7);
    const info = infoValues(this.engine);
    const html = statsPageHtml(rows, {
      uri, admin, hideVersion: stats.hideVersion, showLegends: stats.showLegends, noRefresh: options.includes('norefresh'), hideDown, scope, info,
      // `stats show-node` / `show-desc` without a word name the global `node` / `description`.
      ...(stats.showNode !== undefined ? { node: stats.showNode || String(info.get('node') ?? '') } : {}),
      ...(stats.showDesc !== undefined ? { description: stats.showDesc || String(info.get('description') ?? '') } : {}),
      ...(configuredRefresh !== undefined ? { refreshSeconds: configuredRefresh } : {}), ...(st !== undefined ? { status: st } : {}),
    });
    return answer(200, 'OK', 'text/html; charset=utf-8', html, refreshHeader);
  }

  /** `use-service <name>`: only HAProxy's Prometheus exporter exists (the parser refuses other names). */
  service(name: string, tx: HttpTransaction): LocalAnswer | undefined {
    if (name !== 'prometheus-exporter') return undefined;
    const url = tx.request.url;
    const query = url.indexOf('?');
    const options = exporterOptions(query < 0 ? '' : url.slice(query + 1));
    // A query HAProxy's promex_parse_uri refuses gets its built-in 400, and the connection closes.
    if (!options) return { response: builtinResponse(400), status: 400, close: true, termination: 'LR', kind: 'intercepted', applet: '<PROMEX>' };
    return { ...answer(200, 'OK', 'text/plain; version=0.0.4', prometheusText(this.engine, Date.now(), options)), applet: '<PROMEX>' };
  }

  private adminAllowed(proxy: Proxy, tx: HttpTransaction): boolean {
    let rules = this.adminRules.get(proxy);
    if (!rules) {
      rules = proxy.stats.admin.filter((a) => a.condition).map((a) => compileTxCondition(a.condition!, proxy));
      this.adminRules.set(proxy, rules);
    }
    return rules.some((r) => r(tx));
  }

  /** The page's form (admin-form.ts reads it as HAProxy does): HAProxy's `st=` code. */
  private applyForm(body: string): string {
    const tables = this.engine.stats.view();
    if (!tables) return 'NONE';
    const ids = proxyIds(tables);
    const backends = tables.config.proxies.filter((p) => p.kind === 'backend' || p.kind === 'listen');
    const status = applyAdminForm<RuntimeBackend>(body, {
      // proxy_be_by_name: `#<id>` (atoi) or a name, among the proxies that are backends.
      backend: (word) => {
        const proxy = word.startsWith('#') ? backends.find((p) => ids.get(p.name) === atoi(word.slice(1))) : backends.find((p) => p.name === word);
        return proxy && this.engine.backend(proxy.name);
      },
      apply: (backend, name, action) => {
        const server = backend.server(name);
        return server && this.adminAction(backend, server, action);
      },
    });
    this.engine.stats.sync();
    return status;
  }

  /** One server's admin action, as stats_process_http_post applies it ('skipped': nothing to do there, not counted). */
  private adminAction(backend: RuntimeBackend, server: RuntimeServer, action: AdminFormAction): 'altered' | 'skipped' | 'failed' {
    const set = (state: 'ready' | 'drain' | 'maint'): 'altered' | 'failed' => (setServerAdminState(this.engine, backend.name, server.name, state).ok ? 'altered' : 'failed');
    const check = server.check;
    switch (action) {
      case 'ready': case 'drain': case 'maint': return set(action);
      // The older names: maintenance and drain set or cleared only when they change something.
      case 'disable': return server.admin === 'MAINT' ? 'skipped' : set('maint');
      case 'enable': return server.admin === 'MAINT' ? set('ready') : 'skipped';
      // HAProxy's drain flag set on a server in maintenance leaves it there; Loadstar's one admin state keeps the maintenance.
      case 'stop': return server.admin === 'DRAIN' ? 'skipped' : server.admin === 'MAINT' ? 'altered' : set('drain');
      case 'start': return server.admin === 'DRAIN' ? set('ready') : 'skipped';
      case 'dhlth': case 'ehlth':
        if (check?.settings.active !== true) return 'skipped';
        check.setHealthEnabled(action === 'ehlth');
        server.stats.relabel(server.status);
        return 'altered';
      case 'dagent': case 'eagent':
        if (check?.agent === undefined) return 'skipped';
        check.setAgentEnabled(action === 'eagent');
        server.stats.relabel(server.status);
        return 'altered';
      case 'shutdown':
        // As `shutdown sessions server`: the exchanges of an HTTP backend's server (Loadstar keeps no TCP session per server).
        if (backend.mode === 'tcp') return 'failed';
        for (const frontend of this.engine.stats.view()?.frontends.values() ?? []) frontend.shutdownServerSessions(server);
        return 'altered';
      // Forced health: any server but a tracking one (one with neither check nor agent gets a ServerCheck to hold it).
      case 'hrunn': case 'hnolb': case 'hdown': {
        if (server.track) return 'skipped';
        const forcible = check ?? this.engine.healthChecks?.()?.forcible(backend, server);
        if (!forcible) return 'failed';
        forcible.forceHealth(action === 'hrunn' ? 'UP' : action === 'hnolb' ? 'NOLB' : 'DOWN', 'changed from Web interface');
        return 'altered';
      }
      // Forced agent verdict: only with the agent enabled.
      case 'arunn': case 'adown':
        if (check?.agent === undefined || !check.agentEnabled) return 'skipped';
        check.forceAgent(action === 'arunn', 'changed from Web interface');
        return 'altered';
    }
  }
}

/**
 * The `scope=` text of the page's URL as HAProxy's http_handle_stats reads it: up to ';', '&' or a
 * space, at most 20 characters, dropped when it holds a character outside letters, digits and ".:_-".
 */
function scopeText(rest: string): string {
  const at = rest.indexOf('scope=');
  if (at < 0) return '';
  const text = /^[^;& ]*/.exec(rest.slice(at + 6))![0].slice(0, 20);
  return /^[A-Za-z0-9._:-]*$/.test(text) ? text : '';
}

/** `;up` hides servers in maintenance and those down with no health left (HAProxy's STAT_HIDE_DOWN), not those going up. */
function hiddenWhenUp(status: string): boolean {
  return status.startsWith('MAINT') || status === 'DOWN' || status === 'DOWN (agent)';
}

/** 303 back to the page with the action's result, as HAProxy answers its admin form. */
function redirect(uri: string, status: string): LocalAnswer {
  const head = `HTTP/1.1 303 See Other\r\ncache-control: no-cache\r\ncontent-type: text/plain\r\ncontent-length: 0\r\nlocation: ${uri};st=${status}\r\n\r\n`;
  return { response: Buffer.from(head, 'latin1'), status: 303, termination: 'LR', kind: 'intercepted' };
}
