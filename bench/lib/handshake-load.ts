/** Full TLS handshakes as a load: lib/tls-handshake-driver.ts run pinned to the load core. */
import { fileURLToPath } from 'node:url';
import { LOAD_CORE, runBounded } from './proc.ts';
import type { WrkResult } from './wrk.ts';

const driverScript = fileURLToPath(new URL('./tls-handshake-driver.ts', import.meta.url));

/** Full handshakes, one request each, from `connections` clients for `durationS` seconds; bounded in time. */
export async function runHandshakeDriver(port: number, connections: number, durationS: number): Promise<WrkResult & { resumed?: number }> {
  const r = await runBounded(process.execPath, ['--import', 'tsx', driverScript, '--port', String(port), '--connections', String(connections), '--duration', String(durationS)],
    { core: LOAD_CORE, timeoutMs: (durationS + 20) * 1000 });
  if (r.code !== 0) throw new Error(`handshake driver exited with ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as WrkResult & { resumed?: number };
}
