/**
 * The answer of `http-request auth` (and of `stats auth`, which HAProxy turns into that rule), as
 * HAProxy 2.6's http_action_auth writes it: the proxy's error page for the status, with the
 * challenge added after its headers. A request that came to a forward proxy (`option
 * http-use-proxy-header`: HAProxy's TX_USE_PX_CONN, HttpTransaction.proxyAuth) is answered 407
 * with `proxy-authenticate`; any other 401 with `www-authenticate`.
 */
import type { LocalAnswer } from './rules.ts';

/** Both answers, built once per rule: `challenge(proxyAuth)` picks one per request. */
export function compileAuthChallenge(errorResponse: (status: number) => Buffer, realm: string): (proxyAuth: boolean) => LocalAnswer {
  const origin = challengeAnswer(errorResponse(401), 401, 'www-authenticate', realm);
  let proxy: LocalAnswer | undefined;
  // The 407 page is built when a request first needs it: most frontends never set the option.
  return (proxyAuth) => (proxyAuth ? (proxy ??= challengeAnswer(errorResponse(407), 407, 'proxy-authenticate', realm)) : origin);
}

function challengeAnswer(page: Buffer, status: number, header: string, realm: string): LocalAnswer {
  const end = page.indexOf('\r\n\r\n');
  const line = Buffer.from(`\r\n${header}: Basic realm="${realm}"`, 'latin1');
  const response = end < 0 ? page : Buffer.concat([page.subarray(0, end), line, page.subarray(end)]);
  return { response, status, termination: 'LR' };
}
