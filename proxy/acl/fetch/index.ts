/**
 * Every fetch family, in the order HAProxy's `-dKsmp` listing groups them
 * (the order also decides ties between "did you mean" suggestions).
 * Adding a fetch: add its row — with its compiler once it is evaluated, and
 * HAProxy's argument check if it has one — to its family's table; nothing
 * else lists fetches.
 */
import type { FetchDefinition } from './define.ts';
import { CORE_FETCHES } from './core.ts';
import { PROXY_FETCHES } from './proxy.ts';
import { L4_FETCHES } from './l4.ts';
import { PAYLOAD_FETCHES } from './payload.ts';
import { HTTP_FETCHES } from './http.ts';
import { SSL_FETCHES } from './ssl.ts';
import { TRACK_FETCHES } from './track.ts';

export const FETCH_DEFINITIONS: readonly FetchDefinition[] = [
  ...CORE_FETCHES, ...PROXY_FETCHES, ...L4_FETCHES, ...PAYLOAD_FETCHES, ...HTTP_FETCHES, ...SSL_FETCHES, ...TRACK_FETCHES,
];
