/**
 * What follows a failed connection to a server, written once for HTTP and
 * TCP (HAProxy 2.6's `retries`, `option redispatch [<interval>]`, and the
 * pause between attempts): give up once `retries` new attempts have failed;
 * else try again after min(timeout connect, 1s), on the same server or,
 * when this retry is a redispatch, on another one the balancer picks.
 *
 * `option redispatch <interval>`: a positive P redispatches every Pth retry,
 * a negative N the Nth retry before the last (the default, -1, the last
 * one), 0 never (HAProxy 2.6's configuration manual).
 */
import type { Proxy } from '../config/model.ts';

export type RetryStep =
  | { readonly giveUp: true }
  | { readonly giveUp: false; readonly redispatch: boolean; readonly delayMs: number };

const GIVE_UP: RetryStep = { giveUp: true };

export class ConnectRetryPlan {
  /** New attempts after the first one fails. */
  readonly retries: number;
  /** `option redispatch` is on. */
  readonly redispatch: boolean;
  /** `option redispatch <interval>` (-1 when not given). */
  readonly interval: number;
  private readonly delayMs: number;

  constructor(config: Proxy) {
    this.retries = config.retries;
    const option = config.options['redispatch'];
    this.redispatch = option?.enabled ?? false;
    const interval = option?.args[0];
    this.interval = interval !== undefined ? Number(interval) : -1;
    this.delayMs = Math.min(config.timeouts.connect || 1000, 1000);
  }

  /** After an attempt failed, with `retriesDone` retries already made: the next step. */
  afterFailure(retriesDone: number): RetryStep {
    if (retriesDone >= this.retries) return GIVE_UP;
    return { giveUp: false, redispatch: this.redispatchOn(retriesDone + 1), delayMs: this.delayMs };
  }

  /** Whether retry number `retry` (1-based) goes to another server. */
  redispatchOn(retry: number): boolean {
    if (!this.redispatch) return false;
    const n = this.interval;
    if (n === 0) return false;
    if (n > 0) return retry % n === 0;
    return retry === this.retries + 1 + n;
  }
}
