/**
 * The admin HTTP(S) server of `loadstar serve`: the built UI, the control
 * contract as JSON routes (api.ts, routes.ts), pushed events as Server-Sent
 * Events (events.ts), a login when a password is set (sessions.ts), and the
 * checks every request passes first (security.ts): Host (DNS rebinding),
 * Origin, session, CSRF token on every POST.
 */
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { ControlContract, ControlTopic } from '../control/contract.ts';
import { API_ROUTES, isTopic, EVENT_TOPICS } from './routes.ts';
import { handleApiCall, DEFAULT_BODY_LIMIT } from './api.ts';
import { EventStreams, resumePoint, STREAM_RETRY_AFTER_S } from './events.ts';
import type { EventStreamOptions } from './events.ts';
import { SessionStore, LoginLimiter, SESSION_COOKIE, CSRF_HEADER, csrfMatches } from './sessions.ts';
import type { Session, SessionOptions } from './sessions.ts';
import { verifyPassword } from './password.ts';
import type { PasswordRecord } from './password.ts';
import { setSecurityHeaders, hostAllowed, originAllowed, fromAnotherSite, loginPostRefusal } from './security.ts';
import type { OriginPolicy } from './security.ts';
import { allowedHostNames, formatHostPort } from './listen.ts';
import type { ListenAddress } from './listen.ts';
import { staticFiles } from './static.ts';
import { loginPage, LOGIN_CSS, LOGIN_JS } from './login-page.ts';
import type { LoginNotice } from './login-page.ts';
import { sendError, sendJson, sendText, readBody, parseCookies, clientAddress, BodyTooLarge, ClientGone } from './http-util.ts';
import { AdminError } from '../errors.ts';

export interface AdminTls {
  certPem: string;
  keyPem: string;
  /** Host names the certificate covers (they are allowed Host values). */
  names: string[];
}

export interface AdminServerOptions {
  control: ControlContract;
  listen: ListenAddress;
  /** The admin password; without one every visitor is the admin (loopback only, see serve.ts). */
  password?: PasswordRecord;
  tls?: AdminTls;
  /** The built UI; default dist/renderer/ of the package. */
  uiDir?: string;
  bodyLimit?: number;
  events?: EventStreamOptions;
  sessions?: SessionOptions;
  /** How long a client may take to send a request; defaults in ADMIN_TIMEOUTS. */
  timeouts?: Partial<AdminTimeouts>;
  /** Login attempts per address per minute; default 5. */
  loginLimit?: number;
  log?: (line: string) => void;
}

/**
 * The admin server's limits on slow clients (Node's defaults are 60 s for a head and 5 min
 * for a whole request, checked every 30 s). Only receiving a request is timed: an answer,
 * such as an event stream, lasts as long as it needs.
 */
export interface AdminTimeouts {
  /** Request head (request line and headers) complete within this; default 10 s. */
  headersMs: number;
  /** Whole request (head and body) received within this; default 60 s: a 2 MiB body (the API's limit) at 35 kB/s. */
  requestMs: number;
  /** An idle keep-alive connection is closed after this; default 5 s. */
  keepAliveMs: number;
  /** How often the head and request timeouts are checked; default 1 s. */
  checkIntervalMs: number;
}

export const ADMIN_TIMEOUTS: Readonly<AdminTimeouts> = { headersMs: 10_000, requestMs: 60_000, keepAliveMs: 5_000, checkIntervalMs: 1_000 };

export interface AdminServer {
  /** `http://127.0.0.1:9000/` */
  readonly url: string;
  readonly port: number;
  readonly streams: EventStreams;
  readonly sessions: SessionStore;
  /** dist/renderer/ exists (otherwise a page says how to build it). */
  readonly uiBuilt: boolean;
  close(): Promise<void>;
}

export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const tls = options.tls !== undefined;
  const files = staticFiles(options.uiDir);
  const sessions = new SessionStore(options.sessions);
  const limiter = new LoginLimiter(options.loginLimit ?? 5);
  const streams = new EventStreams(options.control, { log, sessionAlive: (id) => sessions.alive(id), ...options.events });
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const password = options.password;
  const policy: OriginPolicy = { names: allowedHostNames(options.listen, options.tls?.names), port: options.listen.port, tls };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    handle(req, res).catch((e: unknown) => {
      log(`[ALERT] admin: ${req.method} ${req.url} failed unexpectedly: ${(e as Error)?.stack ?? String(e)}`);
      if (!res.headersSent) sendError(res, 500, 'LS_ERR_CTL_INTERNAL', 'unexpected failure inside Loadstar; the details are in the server log.');
      else res.destroy();
    });
  };
  const timeouts = { ...ADMIN_TIMEOUTS, ...options.timeouts };
  const timing: http.ServerOptions = { requestTimeout: timeouts.requestMs, headersTimeout: timeouts.headersMs, keepAliveTimeout: timeouts.keepAliveMs, connectionsCheckingInterval: timeouts.checkIntervalMs };
  const server = tls
    ? https.createServer({ cert: options.tls!.certPem, key: options.tls!.keyPem, minVersion: 'TLSv1.2', ...timing }, handler)
    : http.createServer(timing, handler);
  server.on('clientError', (e: NodeJS.ErrnoException, socket: net.Socket) => {
    // A head or body not received in time (ERR_HTTP_REQUEST_TIMEOUT) is answered 408, anything malformed 400.
    const status = e.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });

  /** The cookie carries the port (set once listening): cookies ignore ports, and two admins on one host must not log each other out. */
  let cookieName = SESSION_COOKIE;

  function currentSession(req: http.IncomingMessage): Session | undefined {
    return sessions.get(parseCookies(req.headers.cookie).get(cookieName));
  }

  function setSessionCookie(res: http.ServerResponse, session: Session): void {
    res.setHeader('Set-Cookie', `${cookieName}=${session.id}; HttpOnly; SameSite=Strict; Path=/${tls ? '; Secure' : ''}`);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    setSecurityHeaders(res, tls);
    // The target is taken as a path only (`//host/x` and absolute forms never change the route's host).
    const target = req.url ?? '/';
    const url = new URL('http://admin.invalid' + (target.startsWith('/') ? target : '/'));
    const api = url.pathname === '/api' || url.pathname.startsWith('/api/');
    const refuse = (status: number, message: string): void => {
      if (api) sendError(res, status, 'LS_ERR_CTL_FORBIDDEN', message);
      else sendText(res, status, message + '\n');
    };
    // Node keeps the first of two Host headers; a proxy in front may route by the last. Which site is meant is unclear: refused.
    if (hostHeaders(req.rawHeaders) > 1) return refuse(400, 'a request with more than one Host header is refused.');
    if (!hostAllowed(policy, req.headers.host)) {
      return refuse(403, `Host '${req.headers.host ?? ''}' is not this admin server's address; open ${adminUrl()} instead.`);
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(policy, origin)) {
      return refuse(403, `requests from origin '${origin}' are not accepted.`);
    }

    if (url.pathname === '/login.css' && (req.method === 'GET' || req.method === 'HEAD')) {
      return sendText(res, 200, LOGIN_CSS, 'text/css; charset=utf-8');
    }
    if (url.pathname === '/login.js' && (req.method === 'GET' || req.method === 'HEAD')) {
      return sendText(res, 200, LOGIN_JS, 'text/javascript; charset=utf-8');
    }
    if (url.pathname === '/login') {
      if (!password) return redirect(res, '/');
      if (req.method === 'GET' || req.method === 'HEAD') return loginAnswer(res, 200, notice(url.searchParams.get('failed')));
      if (req.method === 'POST') {
        // Refused before it counts: another site's frames must not spend the address's attempts (security.ts).
        const refusal = loginPostRefusal(headerValue(req.headers['sec-fetch-site']));
        if (refusal) return sendText(res, 403, refusal + '\n');
        return login(req, res, password);
      }
      return methodNotAllowed(res, 'GET, POST');
    }

    let session = currentSession(req);
    const authenticated = !password || session?.authenticated === true;

    if (url.pathname === '/api/session' && req.method === 'GET') {
      // Another site's page looping no-cors fetches would fill the session store and evict the UI's own session.
      const site = headerValue(req.headers['sec-fetch-site']);
      if (fromAnotherSite(site)) return sendError(res, 403, 'LS_ERR_CTL_FORBIDDEN', `requests from another site's page (Sec-Fetch-Site: ${site}) are not accepted: a session is opened only for this server's own pages.`);
      if (!authenticated) return sendError(res, 401, 'LS_ERR_CTL_FORBIDDEN', 'not logged in: open /login.', { 'WWW-Authenticate': 'Cookie realm="loadstar" form="/login"' });
      if (!session) {
        session = sessions.create(false);
        setSessionCookie(res, session);
      }
      return sendJson(res, 200, {
        ok: true,
        value: { csrfToken: session.csrf, csrfHeader: 'X-Loadstar-CSRF', passwordRequired: password !== undefined, authenticated: session.authenticated, topics: EVENT_TOPICS },
      });
    }

    if (!authenticated) {
      if (api) return sendError(res, 401, 'LS_ERR_CTL_FORBIDDEN', 'not logged in (or the session has ended): open /login.');
      if (req.method === 'GET' || req.method === 'HEAD') return redirect(res, session === undefined && parseCookies(req.headers.cookie).has(cookieName) ? '/login?failed=expired' : '/login');
      return refuse(401, 'not logged in.');
    }

    if (req.method === 'POST') {
      // Every POST changes state or runs a method: the page's token and its own Origin are both required.
      if (origin === undefined) return refuse(403, 'a POST must carry an Origin header (browsers send it); cross-site requests are refused.');
      if (!session || !csrfMatches(session, headerValue(req.headers[CSRF_HEADER]))) {
        return refuse(403, `missing or wrong CSRF token: read it from GET /api/session and send it in the X-Loadstar-CSRF header.`);
      }
      if (url.pathname === '/logout') {
        sessions.delete(session.id);
        streams.endSession(session.id);
        res.setHeader('Set-Cookie', `${cookieName}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${tls ? '; Secure' : ''}`);
        return sendJson(res, 200, { ok: true, value: { loggedOut: true } });
      }
      const route = API_ROUTES.get(url.pathname);
      if (!route) return sendError(res, 404, 'LS_ERR_CTL_BAD_REQUEST', `no such method: ${url.pathname} (the API is POST /api/<method>, see proxy/admin/README-api.md).`);
      return handleApiCall(options.control, route, req, res, { bodyLimit, log });
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, api ? 'POST' : 'GET, HEAD');
    if (url.pathname === '/api/events') return openEvents(req, res, url.searchParams, session);
    if (api) {
      if (API_ROUTES.has(url.pathname)) return methodNotAllowed(res, 'POST');
      return sendError(res, 404, 'LS_ERR_CTL_BAD_REQUEST', `no such method: ${url.pathname}.`);
    }
    const served = files.serve(req, res, rawPath(target));
    if (served === 'refused') return sendText(res, 400, 'Bad path.\n');
    if (!served) return sendText(res, 404, 'Not found.\n');
  }

  let lastRefusalLogged = -Infinity;

  function openEvents(req: http.IncomingMessage, res: http.ServerResponse, query: URLSearchParams, session: Session | undefined): void {
    const asked = (query.get('topics') ?? EVENT_TOPICS.join(',')).split(',').map((t) => t.trim()).filter((t) => t !== '');
    const unknown = asked.filter((t) => !isTopic(t));
    if (asked.length === 0 || unknown.length > 0) {
      return sendError(res, 400, 'LS_ERR_CTL_BAD_REQUEST', `/api/events: unknown topic${unknown.length === 1 ? '' : 's'} '${unknown.join("', '")}'; topics are ${EVENT_TOPICS.join(', ')}.`);
    }
    const address = clientAddress(req);
    const refused = streams.refusal(address);
    if (refused) {
      // One line a minute at most: a client that keeps retrying must not fill the log.
      const now = Date.now();
      if (now - lastRefusalLogged >= 60_000) {
        lastRefusalLogged = now;
        log(`[NOTICE] admin: refused an event stream to ${address} (HTTP ${refused.status}): ${refused.message}`);
      }
      return sendError(res, refused.status, 'LS_ERR_CTL_LIMIT', refused.message, { 'Retry-After': String(STREAM_RETRY_AFTER_S) });
    }
    // With a password a stream lives only as long as its login (without one, anyone on loopback may read it).
    streams.open(req, res, [...new Set(asked)] as ControlTopic[], resumePoint(req, query), password ? session?.id : undefined, address);
  }

  async function login(req: http.IncomingMessage, res: http.ServerResponse, record: PasswordRecord): Promise<void> {
    const address = clientAddress(req);
    const wait = limiter.attempt(address);
    if (wait > 0) {
      res.setHeader('Retry-After', String(wait));
      return loginAnswer(res, 429, 'rate-limited', wait);
    }
    let body: string;
    try {
      body = await readBody(req, 4096);
    } catch (e) {
      if (e instanceof BodyTooLarge) return sendText(res, 413, 'Too large.\n');
      if (e instanceof ClientGone) return void res.destroy();
      throw e;
    }
    const given = new URLSearchParams(body).get('password') ?? '';
    if (!(await verifyPassword(record, given))) {
      log(`[NOTICE] admin: failed login from ${address}`);
      return redirect(res, '/login?failed=password');
    }
    limiter.succeeded(address);
    const old = currentSession(req);
    if (old) {
      sessions.delete(old.id);
      streams.endSession(old.id);
    }
    // A fresh id at login: a session id planted before login is never promoted.
    const session = sessions.create(true);
    setSessionCookie(res, session);
    log(`[NOTICE] admin: login from ${address}`);
    return redirect(res, '/');
  }

  function loginAnswer(res: http.ServerResponse, status: number, n: LoginNotice, wait = 0): void {
    // Its form then posts with this server's Origin (under no-referrer a browser sends `Origin: null`,
    // which only Sec-Fetch-Site could vouch for, and browsers without it could not log in at all).
    res.setHeader('Referrer-Policy', 'same-origin');
    sendText(res, status, loginPage(n, wait), 'text/html; charset=utf-8');
  }

  function adminUrl(): string {
    // A wildcard address is not one to browse to; on this machine, loopback reaches it.
    return `${tls ? 'https' : 'http'}://${formatHostPort(options.listen.wildcard ? '127.0.0.1' : options.listen.host, port)}/`;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const reason = e.code === 'EADDRINUSE' ? 'address already in use (another loadstar serve?)'
        : e.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)'
          : e.code === 'EADDRNOTAVAIL' ? 'address not available on this machine' : e.message;
      reject(new AdminError('LS_ERR_ADMIN_LISTEN', `cannot listen on ${formatHostPort(options.listen.host, options.listen.port)}: ${reason}. Choose another with --listen HOST:PORT.`, { cause: e }));
    });
    server.listen(options.listen.port, options.listen.host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  policy.port = port;
  cookieName = `${SESSION_COOKIE}_${port}`;
  server.on('error', (e) => log(`[ALERT] admin server: ${e.message}`));

  return {
    url: adminUrl(),
    port,
    streams,
    sessions,
    uiBuilt: files.built,
    close: () => new Promise<void>((resolve) => {
      streams.closeAll();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function notice(failed: string | null): LoginNotice {
  return failed === 'password' ? 'wrong-password' : failed === 'expired' ? 'expired' : undefined;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The path part of the request target, still percent-encoded (static.ts decodes it once). */
function rawPath(target: string): string {
  const q = target.search(/[?#]/);
  return q < 0 ? target : target.slice(0, q);
}

function redirect(res: http.ServerResponse, location: string): void {
  res.statusCode = 303;
  res.setHeader('Location', location);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', 0);
  res.end();
}

function methodNotAllowed(res: http.ServerResponse, allow: string): void {
  res.setHeader('Allow', allow);
  sendError(res, 405, 'LS_ERR_CTL_BAD_REQUEST', `method not allowed; use ${allow}.`);
}

/** How many Host headers the request came with (rawHeaders alternates names and values). */
function hostHeaders(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') n++;
  return n;
}
