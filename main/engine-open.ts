/**
 * Opens the engine of a data directory (the layout of `loadstar serve
 * --data-dir`: haproxy.cfg, certs/, versions/, history): the configuration in
 * force, or the built-in first-run configuration when there is none yet.
 * Runs inside the engine host process; plain Node.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseConfig, formatDiagnostics } from '../proxy/config/index.ts';
import { Engine } from '../proxy/engine.ts';
import { LoadstarError, ConfigReadError } from '../proxy/errors.ts';
import { InProcessControl } from '../proxy/control/in-process.ts';
import type { OpenedEngine } from './engine-host.ts';

/**
 * First run: nothing listens until the wizard writes a site, so a fresh
 * install never takes a port the user did not choose.
 * TODO(lead): use `loadstar serve`'s built-in default once proxy/admin exports it.
 */
export const FIRST_RUN_CONFIG = `# Loadstar: no site yet. The dashboard's wizard writes one here.
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
`;

export async function openDataDirEngine(dataDir: string): Promise<OpenedEngine> {
  const file = path.join(dataDir, 'haproxy.cfg');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      const error = new ConfigReadError(file, e);
      return { ok: false, error: { code: error.code, message: error.message } };
    }
    text = FIRST_RUN_CONFIG;
  }
  const parsed = parseConfig([{ name: file, text }]);
  if (!parsed.ok) {
    return {
      ok: false,
      error: {
        code: 'LS_ERR_CFG_INVALID',
        message: `the configuration ${file} has errors; the engine was not started:\n${formatDiagnostics(parsed.diagnostics.filter((d) => d.severity !== 'warning'))}`,
      },
    };
  }
  const engine = new Engine(parsed.config);
  try {
    await engine.start();
  } catch (e) {
    if (e instanceof LoadstarError) return { ok: false, error: { code: e.code, message: e.message } };
    throw e;
  }
  const control = new InProcessControl(engine, { dataDir });
  return { ok: true, control, close: (graceMs) => engine.stop(graceMs) };
}
