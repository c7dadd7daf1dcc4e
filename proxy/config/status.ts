/**
 * Keyword statuses used by the registering modules, named after the issue that
 * gives each family of keywords its behaviour. Flip a family to SUPPORTED in
 * the change that implements it; docs/configuration.md follows automatically.
 */
import type { KeywordStatus } from './keywords.ts';

export const SUPPORTED: KeywordStatus = { level: 'supported' };
export const NO_EFFECT: KeywordStatus = { level: 'no-effect' };
/** Proxying, balancing, ACL routing, http rules (#3). */
export const ENGINE: KeywordStatus = SUPPORTED;
/** Parsed and validated, refused by `loadstar run` until the engine runs it. */
export const LATER: KeywordStatus = { level: 'pending', topic: 'a later engine change' };
/** Active health checks (#4): option httpchk, http-check, tcp-check, spread-checks. */
export const CHECKS: KeywordStatus = SUPPORTED;
/** TLS termination, certificates (#5). */
export const TLS: KeywordStatus = SUPPORTED;
/** Stats page, Prometheus, runtime API (#6). */
export const STATS: KeywordStatus = SUPPORTED;
export const STICKY: KeywordStatus = { level: 'pending', topic: 'sticky sessions' };
export const DISCOVERY: KeywordStatus = { level: 'pending', topic: 'DNS discovery' };
/** HTTP compression (proxy/http/compression.ts). */
export const COMPRESSION: KeywordStatus = SUPPORTED;
