/**
 * `balance hash <expr>` (backend.c, `get_server_expr`): the sample expression's
 * value, fetched as binary (`sample_fetch_as_type(…, SMP_T_BIN)`), is hashed by
 * the `hash-type` function and looked up like the other hashes. The cast is
 * sample.c's: a string hashes its bytes, an integer its 8 bytes big-endian
 * (c_int2bin), an IPv4 address its 4 bytes and an IPv6 one its 16 (c_addr2bin),
 * a boolean 8 bytes of 0 or 1. No sample (fetch or converter found nothing):
 * round robin; an empty one is a key (it hashes to the function's start value).
 * Only one server in use: hash 0 without evaluating, as HAProxy skips it.
 *
 * The expression is compiled by whoever builds the balancer (the runtime, with
 * its map files and the request's sample context): `BalancerOptions.hashSample`.
 */
import { castSample } from '../acl/index.ts';
import { NO_KEY, finisher, hashBalancer } from './hashed.ts';
import type { HashKeyFactory } from './hashed.ts';
import type { BalancerFactory, BalancerOptions } from './types.ts';

function exprKey(sample: NonNullable<BalancerOptions['hashSample']>): HashKeyFactory {
  return (_balance, hash) => {
    const fn = hash.fn;
    const finish = finisher(hash);
    return (request, single) => {
      if (single) return 0;
      const s = sample(request);
      if (s === undefined) return NO_KEY;
      if (s.type === 'str' || s.type === 'meth') return finish(fn(s.value, 0, s.value.length));
      const bin = castSample(s, 'bin');
      if (bin?.type !== 'bin') return NO_KEY;
      const bytes = Buffer.from(bin.value.buffer, bin.value.byteOffset, bin.value.byteLength).toString('latin1');
      return finish(fn(bytes, 0, bytes.length));
    };
  };
}

/** Without `hashSample` (a balancer built for a preview with no requests to read) every pick is round robin. */
const noSample: NonNullable<BalancerOptions['hashSample']> = () => undefined;

export const hashExpr = ((servers, options) => hashBalancer(servers, options, exprKey(options.hashSample ?? noSample))) satisfies BalancerFactory;
