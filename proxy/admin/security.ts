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
