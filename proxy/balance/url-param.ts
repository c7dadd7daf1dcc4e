/**
 * `balance url_param NAME` (backend.c, `get_server_ph`): hashes the value of the
 * first `NAME=` parameter of the query string (case-sensitive, up to the next
 * `&`; an empty value is hashed too). No query string or no such parameter:
 * round robin. `check_post` (looking in a POST body) is not supported.
 */
import { NO_KEY, finisher, hashBalancer } from './hashed.ts';
import type { HashKeyFactory } from './hashed.ts';
import type { BalancerFactory } from './types.ts';

const urlParamKey: HashKeyFactory = (balance, hash) => {
  const name = balance.param ?? '';
  const fn = hash.fn;
  const finish = finisher(hash);
  return (request) => {
    const uri = request.uri;
    if (uri === undefined) return NO_KEY;
    const q = uri.indexOf('?');
    if (q < 0) return NO_KEY;
    const plen = name.length;
    let params = q + 1;
    let remaining = uri.length - params;
    while (remaining > plen) {
      if (uri.charCodeAt(params + plen) === 61 && uri.startsWith(name, params)) {
        const start = params + plen + 1;
        let end = uri.indexOf('&', start);
        if (end < 0) end = uri.length;
        return finish(fn(uri, start, end));
      }
      const amp = uri.indexOf('&', params);
      if (amp < 0) return NO_KEY;
      const next = amp + 1;
      remaining -= next - params;
      params = next;
    }
    return NO_KEY;
  };
};

export const urlParam = ((servers, options) => hashBalancer(servers, options, urlParamKey)) satisfies BalancerFactory;
