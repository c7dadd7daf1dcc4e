/**
 * `balance rdp-cookie[(NAME)]` (backend.c, `get_server_rch`): hashes the value of
 * the RDP cookie (`mstshash` by default) that the engine extracted from the RDP
 * connection request. Absent or empty: round robin.
 */
import { NO_KEY, finisher, hashBalancer } from './hashed.ts';
import type { HashKeyFactory } from './hashed.ts';
import type { BalancerFactory } from './types.ts';

const rdpKey: HashKeyFactory = (_balance, hash) => {
  const fn = hash.fn;
  const finish = finisher(hash);
  return (request, single) => {
    const v = request.rdpCookie;
    if (v === undefined || v.length === 0) return NO_KEY;
    if (single) return 0;
    return finish(fn(v, 0, v.length));
  };
};

export const rdpCookie = ((servers, options) => hashBalancer(servers, options, rdpKey)) satisfies BalancerFactory;
