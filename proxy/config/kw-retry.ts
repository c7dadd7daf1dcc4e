/**
 * `retry-on` (configuration.txt §4.2): which failures send a request again, HAProxy 2.6's
 * proxy_parse_retry_on. The plan that acts on it is proxy/runtime/retry.ts.
 */
import { registerProxyKeywords } from './keywords.ts';
import type { ProxyKeyword } from './keywords.ts';
import { SUPPORTED } from './status.ts';
import type { RetryEvent } from './model.ts';

const EVENTS: ReadonlySet<string> = new Set<RetryEvent>(['conn-failure', 'empty-response', 'junk-response', 'response-timeout', '0rtt-rejected']);
/** The statuses HAProxy 2.6 accepts (its PR_RE_<status> flags). */
const STATUSES: ReadonlySet<string> = new Set(['401', '403', '404', '408', '425', '500', '501', '502', '503', '504']);
/** `all-retryable-errors`, as HAProxy 2.6 expands it. */
const ALL_RETRYABLE_EVENTS: readonly RetryEvent[] = ['conn-failure', 'empty-response', 'junk-response', 'response-timeout', '0rtt-rejected'];
const ALL_RETRYABLE_STATUSES: readonly number[] = [500, 502, 503, 504];

const retryOn: ProxyKeyword = {
  name: 'retry-on',
  sections: 'dlb',
  status: SUPPORTED,
  summary: 'When a request is sent again (HTTP mode; replaces the previous list): `none`, `conn-failure` (the default), '
    + '`empty-response`, `junk-response`, `response-timeout`, `0rtt-rejected` (no 0-RTT here: never happens), the statuses '
    + '401 403 404 408 425 500 501 502 503 504, or `all-retryable-errors`. Each retry counts in `retries`; '
    + '`option redispatch` applies. Only a request received whole before it left, and fitting in `tune.bufsize`, is replayed '
    + '(`http-request disable-l7-retry` opts one out). Without `conn-failure` a failed connection is not retried (TCP mode too).',
  parse(ctx) {
    const args = ctx.args;
    if (args.length === 0) return ctx.error(`'retry-on' needs at least one keyword to specify when to retry`);
    const events = new Set<RetryEvent>();
    const statuses = new Set<number>();
    for (let i = 0; i < args.length; i++) {
      const word = args[i]!;
      if (EVENTS.has(word)) events.add(word as RetryEvent);
      else if (STATUSES.has(word)) statuses.add(Number(word));
      else if (word === 'all-retryable-errors') {
        for (const e of ALL_RETRYABLE_EVENTS) events.add(e);
        for (const s of ALL_RETRYABLE_STATUSES) statuses.add(s);
      } else if (word === 'none') {
        if (i !== 0 || args.length > 1) return ctx.error(`'retry-on' 'none' keyworld only usable alone`, i);
      } else return ctx.error(`'retry-on': unknown keyword '${word}'`, i);
    }
    ctx.proxy.retryOn = { events: [...events], statuses: [...statuses].sort((a, b) => a - b), loc: ctx.directive.loc };
  },
};

registerProxyKeywords([retryOn]);
