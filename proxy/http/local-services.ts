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
import { statRows } from '../stats/rows.ts';
import { statCsv, statJson, withoutLegends } from '../stats/csv.ts';
import { statsPageHtml } from '../stats/page.ts';
import { prometheusText } from '../stats/prometheus.ts';


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
    const challenge = unauthorized(errorResponse(401), stats.realm ?? DEFAULT_STATS_REALM);
    return [(tx) => (statsCredentials(proxy, tx) ? 'continue' : (requestDenied(tx), challenge))];
  }
  return stats.httpRequest.map((rule) => {
    const action = rule.action;
    if (action.type !== 'auth') return compileRequestRules([rule], proxy, errorResponse)[0]!;
    const challenge = unauthorized(errorResponse(401), action.realm ?? DEFAULT_STATS_REALM);
    const when = rule.condition ? compileTxCondition(rule.condition, proxy) : undefined;
    return (tx) => {
      if (when && !when(tx)) return 'continue';
      // HAProxy counts it as an HTTP error of the stick counters (stream_inc_http_err_ctr).
      requestDenied(tx);
      return challenge;
    };
  });
}

/** A 401 answer: the error page with `www-authenticate` added after its headers. */
function unauthorized(page: Buffer, realm: string): LocalAnswer {
  const end = page.indexOf('\r\n\r\n');
  const header = Buffer.from(`\r\nwww-authenticate: Basic realm="${realm.replace(/"/g, '')}"`, 'latin1');
  const response = end < 0 ? page : Buffer.concat([page.subarray(0, end), header, page.subarray(end)]);
  return { response, status: 401, termination: 'LR' };
}

/** Whether the request carries one of the `stats auth` accounts. */
function statsCredentials(proxy: Proxy, tx: HttpTransaction): boolean {
  const header = getHeader(tx.request.headers, 'authorization') ?? '';
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
    const url = tx.request.url;
    if (!url.startsWith(uri)) return undefined;
    if (access) {
      const verdict = runRequestRules(access, tx);
      // `stats http-request` has no wait-for-body: its rules only answer or go on.
      if (verdict !== 'continue' && !('waitForBody' in verdict)) return { ...verdict, applet: '<STATS>', loggedStatus: 400 };
    }
    const options = url.slice(uri.length).split(';').filter((o) => o !== '');
    const admin = this.adminAllowed(proxy, tx);
    if (tx.request.method === 'POST') {
      if (!admin) return redirect(uri, 'DENY');
      return { response: Buffer.alloc(0), status: 303, kind: 'intercepted', withBody: (body) => redirect(uri, this.applyForm(body.toString('latin1'))) };
    }
    const tables = this.engine.stats.view();
    if (!tables) return answer(503, 'Service Unavailable', 'text/plain', 'statistics are not available yet\n');
    this.engine.stats.sync();
    let rows = statRows(tables);
    if (stats.scope.length > 0) rows = rows.filter((r) => stats.scope.includes(r.proxy.name));
    if (options.includes('up')) rows = rows.filter((r) => r.type !== 2 || r.server!.usable);
    const refresh = stats.refresh !== undefined && !options.includes('norefresh') ? Math.max(1, Math.round(stats.refresh / 1000)) : undefined;
    // HAProxy 2.6 sends its refresh header with the CSV and JSON forms too.
    const refreshHeader = refresh !== undefined ? `refresh: ${refresh}\r\n` : '';
    if (!stats.showLegends && (options.includes('csv') || options.includes('json'))) rows = withoutLegends(rows);
    if (options.includes('csv')) return answer(200, 'OK', 'text/plain', statCsv(rows), refreshHeader);
    if (options.includes('json')) return answer(200, 'OK', 'application/json', statJson(rows), refreshHeader);
    const st = options.find((o) => o.startsWith('st='))?.slice(3);
    const html = statsPageHtml(rows, {
      uri, admin, hideVersion: stats.hideVersion, uptimeSeconds: Math.floor((Date.now() - this.engine.stats.startedAt) / 1000),
      ...(refresh !== undefined ? { refreshSeconds: refresh } : {}), ...(st !== undefined ? { status: st } : {}),
    });
    return answer(200, 'OK', 'text/html; charset=utf-8', html, refreshHeader);
  }

  /** `use-service <name>`: only HAProxy's Prometheus exporter exists (the parser refuses other names). */
  service(name: string, _tx: HttpTransaction): LocalAnswer | undefined {
    if (name !== 'prometheus-exporter') return undefined;
    return { ...answer(200, 'OK', 'text/plain; version=0.0.4', prometheusText(this.engine)), applet: '<PROMEX>' };
  }

  private adminAllowed(proxy: Proxy, tx: HttpTransaction): boolean {
    let rules = this.adminRules.get(proxy);
    if (!rules) {
      rules = proxy.stats.admin.filter((a) => a.condition).map((a) => compileTxCondition(a.condition!, proxy));
      this.adminRules.set(proxy, rules);
    }
    return rules.some((r) => r(tx));
  }

  /** The page's form: b=#<backend id>, s=<server> (repeated), action=ready|drain|maint. Returns HAProxy's `st=` code. */
  private applyForm(body: string): string {
    const form = new URLSearchParams(body);
    const action = form.get('action') ?? '';
    const servers = form.getAll('s');
    const b = form.get('b') ?? '';
    if (action !== 'ready' && action !== 'drain' && action !== 'maint') return action === '' ? 'NONE' : 'ERRP';
    const tables = this.engine.stats.view();
    if (!tables || servers.length === 0) return 'NONE';
    const rows = statRows(tables);
    const id = Number(b.replace(/^#/, ''));
    const backendRow = rows.find((r) => r.type === 1 && (r.iid === id || r.proxy.name === b));
    if (!backendRow) return 'ERRP';
    let changed = 0;
    for (const s of servers) if (setServerAdminState(this.engine, backendRow.proxy.name, s, action).ok) changed++;
    this.engine.stats.sync();
    return changed === servers.length ? 'DONE' : changed > 0 ? 'PART' : 'ERRP';
  }
}

/** 303 back to the page with the action's result, as HAProxy answers its admin form. */
function redirect(uri: string, status: string): LocalAnswer {
  const head = `HTTP/1.1 303 See Other\r\ncache-control: no-cache\r\ncontent-type: text/plain\r\ncontent-length: 0\r\nlocation: ${uri};st=${status}\r\n\r\n`;
  return { response: Buffer.from(head, 'latin1'), status: 303, termination: 'LR', kind: 'intercepted' };
}
