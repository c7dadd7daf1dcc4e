/**
 * Answers Loadstar gives itself on HTTP frontends: the statistics page
 * (`stats enable|uri|refresh|auth|realm|admin`, HTML or `;csv`) and
 * `http-request use-service prometheus-exporter`. Each returns a LocalAnswer
 * the transaction sends like any rule's answer; an admin action (POST from
 * the page's form) answers once the request body is in.
 */
import type { Proxy } from '../config/model.ts';
import type { StatsHost } from '../stats/host.ts';
import type { HttpTransaction } from './transaction.ts';
import type { LocalAnswer } from './rules.ts';
import { compileTxCondition } from './samples.ts';
import type { TxPredicate } from './samples.ts';
import { getHeader } from './headers.ts';
import { setServerAdminState } from '../runtime/admin.ts';
import { statRows } from '../stats/rows.ts';
import { statCsv, statJson, withoutLegends } from '../stats/csv.ts';
import { statsPageHtml } from '../stats/page.ts';
import { prometheusText } from '../stats/prometheus.ts';

export const DEFAULT_STATS_URI = '/haproxy?stats';
export const DEFAULT_STATS_REALM = 'HAProxy Statistics';

function answer(status: number, reason: string, type: string, body: string, headers = ''): LocalAnswer {
  const payload = Buffer.from(body);
  const head = `HTTP/1.1 ${status} ${reason}\r\ncache-control: no-cache\r\ncontent-type: ${type}\r\ncontent-length: ${payload.length}\r\n${headers}\r\n`;
  return { response: Buffer.concat([Buffer.from(head, 'latin1'), payload]), status, termination: 'LR', kind: 'intercepted' };
}

export class LocalServices {
  /** `stats admin` conditions compiled once per proxy of the running configuration. */
  private readonly adminRules = new WeakMap<Proxy, TxPredicate[]>();

  constructor(private readonly engine: StatsHost) {}

  /** The stats page's answer when the request is for it (its URI prefix), else undefined. */
  statsPage(proxy: Proxy, tx: HttpTransaction): LocalAnswer | undefined {
    const stats = proxy.stats;
    const uri = stats.uri ?? DEFAULT_STATS_URI;
    const url = tx.request.url;
    if (!url.startsWith(uri)) return undefined;
    if (stats.auth.length > 0 && !this.authorized(proxy, tx)) {
      const realm = (stats.realm ?? DEFAULT_STATS_REALM).replace(/"/g, '');
      return answer(401, 'Unauthorized', 'text/html', '<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n', `www-authenticate: Basic realm="${realm}"\r\n`);
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
    return answer(200, 'OK', 'text/plain; version=0.0.4', prometheusText(this.engine.stats));
  }

  private authorized(proxy: Proxy, tx: HttpTransaction): boolean {
    const header = getHeader(tx.request.headers, 'authorization') ?? '';
    const m = /^Basic\s+(\S+)$/i.exec(header);
    if (!m) return false;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    return proxy.stats.auth.some((a) => decoded === `${a.user}:${a.password}`);
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
