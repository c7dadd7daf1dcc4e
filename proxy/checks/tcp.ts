/** The plain connect check (no `option httpchk` / `tcp-check`): L4OK, L4CON, L4TOUT; with check-ssl L6OK, L6RSP, L6TOUT. */
import { CheckConnection, success } from './connection.ts';
import type { CheckTarget, CheckResult, Probe } from './types.ts';

export const tcpConnectCheck: Probe = async (target: CheckTarget): Promise<CheckResult> => {
  const started = Date.now();
  const conn = await CheckConnection.open(target, started);
  if (!(conn instanceof CheckConnection)) return conn;
  conn.close();
  return success(target.tls ? 'L6OK' : 'L4OK', started, '');
};
