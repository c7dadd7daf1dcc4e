/**
 * Runtime administration of servers: admin states ready / drain / maint and
 * weights, applied to the running tables. The one door for these changes:
 * the control contract (setServerState / setServerWeight), the runtime API
 * socket (`set server`, `disable/enable server`, `set weight`) and the stats
 * page's admin form all call these functions.
 */
import type { ErrorCode } from '../errors.ts';
import type { RuntimeBackend } from './backend.ts';
import type { RuntimeServer } from './server.ts';

export type ServerAdminState = 'ready' | 'drain' | 'maint';

/** What the running tables are looked up in (the engine). */
export interface BackendLookup {
  backend(name: string): RuntimeBackend | undefined;
}

export type AdminResult =
  | { ok: true }
  | { ok: false; error: { code: Extract<ErrorCode, 'LS_ERR_CTL_NOT_FOUND' | 'LS_ERR_CTL_BAD_VALUE'>; message: string } };

/** The backend and server by name, or the answer saying which one is missing. */
export function findServer(tables: BackendLookup, backendName: string, serverName: string): { backend: RuntimeBackend; server: RuntimeServer } | Extract<AdminResult, { ok: false }> {
  const backend = tables.backend(backendName);
  if (!backend) return { ok: false, error: { code: 'LS_ERR_CTL_NOT_FOUND', message: `No such backend '${backendName}'.` } };
  const server = backend.server(serverName);
  if (!server) return { ok: false, error: { code: 'LS_ERR_CTL_NOT_FOUND', message: `No such server '${serverName}' in backend '${backendName}'.` } };
  return { backend, server };
}

export function setServerAdminState(tables: BackendLookup, backendName: string, serverName: string, state: ServerAdminState): AdminResult {
  if (state !== 'ready' && state !== 'drain' && state !== 'maint') {
    return { ok: false, error: { code: 'LS_ERR_CTL_BAD_VALUE', message: `'${String(state)}' is not a server state; use ready, drain or maint.` } };
  }
  const found = findServer(tables, backendName, serverName);
  if ('ok' in found) return found;
  const { backend, server } = found;
  // The backend is the one writer of server state; a server's health check logs the transition.
  backend.setServerAdmin(server, state === 'ready' ? 'READY' : state === 'drain' ? 'DRAIN' : 'MAINT');
  return { ok: true };
}

export function setServerWeight(tables: BackendLookup, backendName: string, serverName: string, weight: number): AdminResult {
  if (!Number.isInteger(weight) || weight < 0 || weight > 256) {
    return { ok: false, error: { code: 'LS_ERR_CTL_BAD_VALUE', message: `weight must be an integer from 0 to 256, got '${weight}'.` } };
  }
  const found = findServer(tables, backendName, serverName);
  if ('ok' in found) return found;
  found.backend.setServerWeight(found.server, weight);
  return { ok: true };
}
