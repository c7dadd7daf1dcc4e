/**
 * Entry of the engine host process: `utilityProcess.fork` in the desktop app,
 * `child_process.fork` elsewhere. The data directory comes from
 * $LOADSTAR_DATA_DIR (main sets it to app.getPath('userData')), the heartbeat
 * period from $LOADSTAR_HEARTBEAT_MS.
 */
import { resolveDataDir } from '../proxy/certs/data-dir.ts';
import { startQuietReclaim } from '../proxy/runtime/quiet-reclaim.ts';
import { connectParent, serveEngine } from './engine-host.ts';

const port = connectParent();
if (!port) {
  process.stderr.write('loadstar engine host: no parent process to serve; it is started by the desktop app (or the supervisor), not by hand.\n');
  process.exit(2);
}
const heartbeatMs = Number(process.env.LOADSTAR_HEARTBEAT_MS) > 0 ? Number(process.env.LOADSTAR_HEARTBEAT_MS) : undefined;
// Memory back to the system when the engine goes quiet after a burst (for the life of this process).
startQuietReclaim();
// The engine's modules load after the first heartbeat is scheduled.
await serveEngine(port, async () => (await import('./engine-open.ts')).openDataDirEngine(resolveDataDir()), { heartbeatMs });
