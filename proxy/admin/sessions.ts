/**
 * Admin sessions and their CSRF tokens, in memory (a restart logs everyone
 * out, which is the safe direction). A session is a random id in an
 * HttpOnly cookie; its CSRF token is a second random value the page reads
 * from `GET /api/session` and sends back in the `X-Loadstar-CSRF` header.
 * Sessions expire after a period without use and after an absolute lifetime;
 * their number is capped so that anonymous page loads cannot grow memory.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'loadstar_session';
export const CSRF_HEADER = 'x-loadstar-csrf';

export interface Session {
  id: string;
  csrf: string;
  /** Logged in with the admin password (always false when none is set). */
  authenticated: boolean;
  created: number;
  lastUsed: number;
}

export interface SessionOptions {
  /** ms without a request before a session ends; default 12 h. */
  idleMs?: number;
  /** ms after which a session ends even if used; default 7 days. */
  lifetimeMs?: number;
  /** Most sessions kept; the least recently used goes first; default 1000. */
  max?: number;
  now?: () => number;
}

export class SessionStore {
  /** Insertion order = least recently used first (a use re-inserts). */
  private readonly sessions = new Map<string, Session>();
  private readonly idleMs: number;
  private readonly lifetimeMs: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(options: SessionOptions = {}) {
    this.idleMs = options.idleMs ?? 12 * 3600_000;
    this.lifetimeMs = options.lifetimeMs ?? 7 * 24 * 3600_000;
    this.max = options.max ?? 1000;
    this.now = options.now ?? Date.now;
  }

  create(authenticated: boolean): Session {
    const now = this.now();
    const session: Session = { id: token(), csrf: token(), authenticated, created: now, lastUsed: now };
    this.sessions.set(session.id, session);
    while (this.sessions.size > this.max) this.sessions.delete(this.sessions.keys().next().value!);
    return session;
  }

  /** The live session with this id (its idle clock restarts), or undefined. */
  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    const now = this.now();
    if (now - session.lastUsed > this.idleMs || now - session.created > this.lifetimeMs) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastUsed = now;
    this.sessions.delete(id);
    this.sessions.set(id, session);
    return session;
  }

  /** True while the session with this id lives (its idle clock does not restart: a stream is not a use). */
  alive(id: string): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    const now = this.now();
    return now - session.lastUsed <= this.idleMs && now - session.created <= this.lifetimeMs;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }
}

/** Compares a header value with the session's token in constant time. */
export function csrfMatches(session: Session, given: string | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function token(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Login attempts per source address within a sliding window (default 5 per
 * minute). The map forgets addresses whose attempts are all older than the
 * window, and holds at most `maxAddresses` so a flood of sources stays bounded.
 */
export class LoginLimiter {
  private readonly attempts = new Map<string, number[]>();

  constructor(
    private readonly limit = 5,
    private readonly windowMs = 60_000,
    private readonly maxAddresses = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds to wait before the next attempt is allowed, 0 when one is allowed now (and counted). */
  attempt(address: string): number {
    const now = this.now();
    const recent = (this.attempts.get(address) ?? []).filter((t) => now - t < this.windowMs);
    if (recent.length >= this.limit) {
      this.attempts.set(address, recent);
      return Math.max(1, Math.ceil((recent[0]! + this.windowMs - now) / 1000));
    }
    recent.push(now);
    this.attempts.delete(address);
    this.attempts.set(address, recent);
    if (this.attempts.size > this.maxAddresses) this.forgetOld(now);
    return 0;
  }

  /** A successful login clears the address's count. */
  succeeded(address: string): void {
    this.attempts.delete(address);
  }

  private forgetOld(now: number): void {
    for (const [address, times] of this.attempts) {
      if (times.every((t) => now - t >= this.windowMs)) this.attempts.delete(address);
    }
    // Still too many live addresses: drop the oldest entries (insertion order).
    while (this.attempts.size > this.maxAddresses) this.attempts.delete(this.attempts.keys().next().value!);
  }
}
