/**
 * Cookie-based persistence (`cookie NAME insert|rewrite|prefix …` and the
 * server `cookie` option), as HAProxy 2.6's http_ana.c does it: the request's
 * cookie names a server that then takes the request without the balancer;
 * the response gets (insert) or has its own cookie changed (rewrite, prefix)
 * so the client comes back. With `maxidle` / `maxlife` the inserted cookie
 * carries dates (cookie-dates.ts) and a cookie idle or old too long is
 * ignored. Also the two persistence characters of the termination state
 * (%tsc in httplog).
 */
import type { PersistVerdict } from '../runtime/persist-rules.ts';
import type { CookieSettings, Proxy } from '../config/model.ts';
import type { RuntimeServer } from '../runtime/server.ts';
import { serverStopped } from '../runtime/backend.ts';
import { headerIs } from '../runtime/llhttp.ts';
import { cookieDates, dateField, lastSeenField, nowSeconds } from './cookie-dates.ts';
import { responseCacheability } from './cacheability.ts';

/** Client cookie state, %tsc's 3rd character (HAProxy's TX_CK_*): E expired (maxidle), O old (maxlife). */
export type ClientCookieFlag = 'N' | 'I' | 'D' | 'V' | 'U' | 'E' | 'O';
/** Server cookie state, %tsc's 4th character (HAProxy's TX_SCK_*): U the same server, its cookie's date refreshed. */
export type ServerCookieFlag = 'N' | 'I' | 'P' | 'R' | 'D' | 'U';

/** What the request's cookie decided, kept by the transaction until the response. */
export interface PersistenceOutcome {
  /** The server the cookie names, to be used without balancing (HAProxy's SF_DIRECT). */
  server: RuntimeServer | undefined;
  clientFlag: ClientCookieFlag;
  serverFlag: ServerCookieFlag;
  /** The cookie's last-seen and first-seen dates (UNIX seconds, multiples of 4), 0 when it has none. */
  lastDate: number;
  firstDate: number;
}

export class CookiePersistence {
  private readonly insert: boolean;
  /** The Set-Cookie attributes after `NAME=VALUE; path=/`, in HAProxy's order. */
  private readonly attributes: string;
  /** `maxidle` / `maxlife` in seconds, 0 when not set (HAProxy's cookie_maxidle / cookie_maxlife). */
  private readonly maxidle: number;
  private readonly maxlife: number;

  constructor(private readonly settings: CookieSettings, private readonly servers: readonly RuntimeServer[], private readonly persist: boolean) {
    this.insert = settings.mode === 'insert';
    let attributes = '';
    // Several `domain` options make one attribute list: "; domain=a; domain=b" (cfgparse joins them so).
    for (const domain of settings.domains) attributes += `; domain=${domain}`;
    if (settings.httponly) attributes += '; HttpOnly';
    if (settings.secure) attributes += '; Secure';
    if (settings.attrs.length > 0) attributes += `; ${settings.attrs.join('; ')}`;
    this.attributes = attributes;
    this.maxidle = Math.ceil((settings.maxidle ?? 0) / 1000);
    this.maxlife = Math.ceil((settings.maxlife ?? 0) / 1000);
  }

  static fromConfig(config: Proxy, servers: readonly RuntimeServer[]): CookiePersistence | undefined {
    if (!config.cookie) return undefined;
    return new CookiePersistence(config.cookie, servers, config.options['persist']?.enabled ?? false);
  }

  /**
   * Reads the persistence cookie of a request and edits the Cookie headers as
   * the mode requires: removed with insert+indirect, the `SRV~` prefix
   * stripped in prefix mode. `headers` is the flat [name, value, …] list.
   */
  onRequest(headers: string[], verdict?: PersistVerdict): PersistenceOutcome {
    const outcome: PersistenceOutcome = { server: undefined, clientFlag: 'N', serverFlag: 'N', lastDate: 0, firstDate: 0 };
    const { name } = this.settings;
    const prefix = this.settings.mode === 'prefix';
    for (let i = 0; i < headers.length; i += 2) {
      if (!headerIs(headers[i]!, 'cookie')) continue;
      const kept: string[] = [];
      let changed = false;
      for (const raw of headers[i + 1]!.split(';')) {
        const eq = raw.indexOf('=');
        if (eq < 0 || raw.slice(0, eq).trim() !== name) {
          kept.push(raw);
          continue;
        }
        const value = raw.slice(eq + 1).trim();
        const tilde = prefix ? value.indexOf('~') : -1;
        let id = value;
        if (prefix) {
          if (tilde >= 0) id = value.slice(0, tilde);
        } else {
          // NAME=SRV|<last seen>|<first seen>: the dates stay known to the response even when ignored here.
          const bar = value.indexOf('|');
          if (bar >= 0) {
            id = value.slice(0, bar);
            cookieDates(value.slice(bar + 1), outcome);
          }
        }
        if ((outcome.firstDate !== 0 || outcome.lastDate !== 0) && this.tooOld(outcome, nowSeconds())) id = '';
        // `ignore-persist`: the cookie names no server; a first one is logged U ("unused"), as HAProxy's TX_CK_UNUSED.
        if (verdict === 'ignore') {
          if (outcome.clientFlag === 'N') outcome.clientFlag = 'U';
        } else this.match(id, outcome, verdict === 'force');
        if (tilde >= 0) {
          // The server gets its own cookie back, without Loadstar's prefix.
          kept.push(`${kept.length > 0 ? ' ' : ''}${name}=${value.slice(tilde + 1)}`);
          changed = true;
        } else if (this.insert && this.settings.indirect) changed = true;
        else kept.push(raw);
      }
      if (!changed) continue;
      if (kept.length === 0) {
        headers.splice(i, 2);
        i -= 2;
        continue;
      }
      kept[0] = kept[0]!.trimStart();
      headers[i + 1] = kept.join(';');
    }
    return outcome;
  }

  /**
   * `maxlife` first, then `maxidle`, as HAProxy checks them: a cookie too old
   * or idle too long (or dated more than a day ahead: a clock fixed since) is
   * flagged O or E, its dates forgotten, and its server not used.
   */
  private tooOld(outcome: PersistenceOutcome, now: number): boolean {
    const { firstDate, lastDate } = outcome;
    if (firstDate !== 0 && this.maxlife !== 0 && (now - firstDate > this.maxlife || firstDate - now > 86400)) outcome.clientFlag = 'O';
    else if (lastDate !== 0 && this.maxidle !== 0 && (now - lastDate > this.maxidle || lastDate - now > 86400)) outcome.clientFlag = 'E';
    else return false;
    outcome.firstDate = 0;
    outcome.lastDate = 0;
    return true;
  }

  /** HAProxy: the first server (in configuration order) with this cookie value, if running, draining, NOLB — or any with `option persist` or a `force-persist` rule that holds. */
  private match(id: string, outcome: PersistenceOutcome, force: boolean): void {
    if (id !== '' && !outcome.server) {
      for (const server of this.servers) {
        if (server.cookie !== id) continue;
        const stopped = serverStopped(server);
        if (!stopped || this.persist || force) {
          outcome.clientFlag = stopped ? 'D' : 'V';
          outcome.server = server;
          return;
        }
        outcome.clientFlag = 'D';
      }
    }
    // An empty (or expired) value never binds (a cookie-less backup must not capture clients), nor does a
    // second cookie. HAProxy tests TX_CK_DOWN|EXPIRED|OLD as bits, which cover every state but none:
    // so only a first cookie says I (or U); a later one leaves the flag of the earlier one (V, I, D …).
    if (outcome.clientFlag === 'N') outcome.clientFlag = outcome.server ? 'U' : 'I';
  }

  /**
   * Response side, after the http-response rules: the server's own cookie
   * is deleted (insert, or indirect on a direct hit), rewritten or prefixed;
   * then insert mode adds Set-Cookie when the client did not come with the
   * right one, and `nocache` marks a cacheable response private.
   */
  onResponse(outcome: PersistenceOutcome, server: RuntimeServer | undefined, direct: boolean, method: string, status: number, headers: string[], ignore = false): void {
    // `ignore-persist`: the server's cookie is left as it is and none is inserted (HAProxy's SF_IGNORE_PRST).
    if (ignore) return;
    const { name, mode, preserve } = this.settings;
    const value = server?.cookie;
    let found = false;
    for (let i = 0; i < headers.length; i += 2) {
      if (!headerIs(headers[i]!, 'set-cookie')) continue;
      const text = headers[i + 1]!;
      const eq = text.indexOf('=');
      if (eq < 0 || text.slice(0, eq).trim() !== name) continue;
      found = true;
      outcome.serverFlag = 'P';
      if (preserve) continue;
      if ((server && this.insert) || (direct && this.settings.indirect)) {
        headers.splice(i, 2);
        i -= 2;
        outcome.serverFlag = 'D';
      } else if (server && value !== undefined && (mode === 'rewrite' || mode === 'prefix')) {
        const afterEq = text.slice(eq + 1);
        const valueStart = eq + 1 + (afterEq.length - afterEq.trimStart().length);
        const end = text.indexOf(';', valueStart);
        const old = text.slice(valueStart, end < 0 ? text.length : end).trimEnd();
        headers[i + 1] = text.slice(0, valueStart) + (mode === 'rewrite' ? value : `${value}~${old}`) + text.slice(valueStart + old.length);
        outcome.serverFlag = 'R';
      }
    }
    if (!server || !this.insert || (found && preserve) || (this.settings.postonly && method !== 'POST')) return;
    // The clock is read only where dates are involved: a cookie without them costs nothing more.
    const now = this.maxidle !== 0 || this.maxlife !== 0 || outcome.lastDate !== 0 || outcome.firstDate !== 0 ? nowSeconds() : 0;
    if (direct && !this.datesNeedWriting(outcome, now)) return;
    headers.push('set-cookie', value === undefined
      ? `${name}=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/${this.attributes}`
      : `${name}=${value}${this.dates(outcome, now)}; path=/${this.attributes}`);
    // The client keeps its server and only the dates changed: U; a new server for it: I.
    outcome.serverFlag = value !== undefined && direct ? 'U' : 'I';
    if (this.settings.nocache && responseCacheability(method, status, headers).cacheable) {
      headers.push('cache-control', 'private');
    }
  }

  /**
   * A client that came with the right cookie gets it again when its dates must
   * change: the last-seen date is past (HAProxy writes it up to 4 s ahead, so
   * at most every 4 s), a maxlife cookie lacks its first date, or a cookie has
   * a first date `maxlife` no longer wants.
   */
  private datesNeedWriting(outcome: PersistenceOutcome, now: number): boolean {
    const { lastDate, firstDate } = outcome;
    return ((this.maxidle !== 0 || lastDate !== 0) && (lastDate === 0 || lastDate - now < 0))
      || (this.maxlife !== 0 && firstDate === 0)
      || (this.maxlife === 0 && firstDate !== 0);
  }

  /** `|<last seen>[|<first seen>]` after the server's value, with maxidle or maxlife: now, and the first date kept. */
  private dates(outcome: PersistenceOutcome, now: number): string {
    if (this.maxidle === 0 && this.maxlife === 0) return '';
    const last = lastSeenField(now);
    if (this.maxlife === 0) return `|${last}`;
    return `|${last}|${outcome.firstDate !== 0 ? dateField(outcome.firstDate) : last}`;
  }
}

