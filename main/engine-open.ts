/**
 * Opens the engine of a data directory exactly as `loadstar serve --data-dir`
 * does — both call proxy/admin/appliance.ts — so a user can move between the
 * desktop app and the headless service (layout in appliance.ts).
 *
 * A configuration that cannot start still opens: the engine is `failed` with
 * the reason, and the host serves the contract all the same, so the
 * dashboard shows why and its editor can apply a corrected text (which
 * starts the engine). Only an unexpected failure (the data dir cannot be
 * created…) makes the open throw, which the host reports as start-failed.
 *
 * Runs inside the engine host process; plain Node.
 */
import { openAppliance } from '../proxy/admin/appliance.ts';
import type { OpenedEngine } from './engine-host.ts';

export interface OpenOptions {
  log?: (line: string) => void;
}

export async function openDataDirEngine(dataDir: string, options: OpenOptions = {}): Promise<OpenedEngine> {
  const log = options.log ?? ((line: string) => void process.stderr.write(line + '\n'));
  const appliance = await openAppliance(dataDir, { log });
  if (appliance.startError) log(`[ALERT] ${appliance.startError.message}`);
  return {
    ok: true,
    control: appliance.control,
    close: (graceMs) => appliance.close(graceMs),
    ...(appliance.startError ? { startError: appliance.startError } : {}),
  };
}
