/**
 * What every admin response carries and what every admin request must show:
 * security headers (a strict CSP: scripts and style elements only from the
 * admin itself), and Host/Origin checks that stop DNS rebinding and
 * cross-site requests even when the admin listens on loopback without a
 * password (a malicious web page can reach 127.0.0.1 too).
 */
import type http from 'node:http';

/**
 * Svelte writes some `style="…"` attributes when it renders, so style
 * *attributes* may be inline; style elements and every script must come from
 * the admin server (no inline script, no eval). `style-src` is the fallback
 * for browsers without the CSP3 -elem/-attr split.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "style-src-elem 'self'",
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

export function setSecurityHeaders(res: http.ServerResponse, tls: boolean): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  if (tls) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
}

/** `Host` split into a lowercased name and a port; undefined when malformed. */
export function parseHostHeader(value: string | undefined): { name: string; port: number | undefined } | undefined {
  if (!value) return undefined;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?$/.exec(value);
  if (!m) return undefined;
  return { name: (m[1] ?? m[2])!.toLowerCase(), port: m[3] === undefined ? undefined : Number(m[3]) };
}

export interface OriginPolicy {
  /** Host names the admin answers to (listen.ts allowedHostNames). */
  names: ReadonlySet<string>;
  /** The port the admin listens on. */
  port: number;
  tls: boolean;
}

/** The request's Host names this admin server (name allowed, port the listening one or the scheme's default). */
export function hostAllowed(policy: OriginPolicy, host: string | undefined): boolean {
  const h = parseHostHeader(host);
  if (!h || !policy.names.has(h.name)) return false;
  return (h.port ?? (policy.tls ? 443 : 80)) === policy.port;
}

/** An `Origin` header is this admin server itself: same scheme and a Host we answer to. */
export function originAllowed(policy: OriginPolicy, origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== (policy.tls ? 'https:' : 'http:') || url.pathname !== '/' || url.username || url.search) return false;
  return hostAllowed(policy, url.host);
}

/**
 * `Sec-Fetch-Site` (Fetch Metadata) says a page of another site sent the request: `cross-site`, or
 * `same-site` (another port or subdomain of this host, such as a site Loadstar proxies). Browsers
 * send it on every request; without it (curl, scripts) nothing is known and this is false.
 */
export function fromAnotherSite(secFetchSite: string | undefined): boolean {
  return secFetchSite === 'cross-site' || secFetchSite === 'same-site';
}

/**
 * Why a login form post is refused before it counts as an attempt, or undefined. A hostile page's
 * (sandboxed) frames that auto-submit wrong passwords would otherwise spend the address's five
 * attempts a minute and lock the real user out. Their `Origin: null` is refused with every foreign
 * Origin before this (the login page is served with Referrer-Policy same-origin, so its own form
 * posts with this server's Origin); a browser that marks the post as another site's is refused
 * here. curl, which sends neither header, passes.
 */
export function loginPostRefusal(secFetchSite: string | undefined): string | undefined {
  return fromAnotherSite(secFetchSite) ? `A login posted by another site's page (Sec-Fetch-Site: ${secFetchSite}) is refused: log in on this server's own /login page.` : undefined;
}
