/**
 * Opens the engine of a data directory the way `loadstar serve --data-dir`
 * does (proxy/admin/serve.ts), so a user can move between the desktop app
 * and the headless service:
 *
 *   <data-dir>/haproxy.cfg      the configuration; written on the first run from serve's demo configuration
 *   <data-dir>/history.sqlite   per-minute series and health events
 *   <data-dir>/certs/           certificates
 *   <data-dir>/versions/        applied versions (the config store)
 *
 * Runs inside the engine host process; plain Node.
 * TODO(lead): serve.ts keeps this sequence private; once proxy/admin exports
 * one "open the data dir's engine" function, call it here instead.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseConfig, formatDiagnostics } from '../proxy/config/index.ts';
import { Engine } from '../proxy/engine.ts';
import { LoadstarError, ConfigReadError } from '../proxy/errors.ts';
import { InProcessControl } from '../proxy/control/in-process.ts';
import { ensurePrivateDir, writeFileAtomic } from '../proxy/certs/atomic-write.ts';
import { chooseDemoPorts, defaultConfigText, DemoServers } from '../proxy/admin/default-config.ts';
import { HistoryStore, HISTORY_FILE } from '../proxy/store/history.ts';
import { HistoryRecorder } from '../proxy/store/history-recorder.ts';
import type { OpenedEngine } from './engine-host.ts';

export interface OpenOptions {
  log?: (line: string) => void;
}

export async function openDataDirEngine(dataDir: string, options: OpenOptions = {}): Promise<OpenedEngine> {
  const log = options.log ?? ((line: string) => void process.stderr.write(line + '\n'));
  ensurePrivateDir(dataDir);
  const file = path.join(dataDir, 'haproxy.cfg');
  if (!fs.existsSync(file)) {
    const ports = await chooseDemoPorts();
    writeFileAtomic(file, defaultConfigText(ports), 0o600);
    log(`[NOTICE] first run: wrote ${file} with a demo (http://127.0.0.1:${ports.frontend}/)`);
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const error = new ConfigReadError(file, e);
    return { ok: false, error: { code: error.code, message: error.message } };
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

  const demos = new DemoServers(log);
  await demos.sync(parsed.config);
  const engine = new Engine(parsed.config, { configName: file });
  try {
    await engine.start();
  } catch (e) {
    await engine.stop(0).catch(() => {});
    await demos.close();
    if (e instanceof LoadstarError) return { ok: false, error: { code: e.code, message: e.message } };
    throw e;
  }
  // History is an addition: a store that cannot open (a native module built for another runtime) leaves the proxy running.
  let history: HistoryStore | undefined;
  let recorder: HistoryRecorder | undefined;
  try {
    history = HistoryStore.open(path.join(dataDir, HISTORY_FILE));
    recorder = new HistoryRecorder(history, engine, { log });
    recorder.start();
  } catch (e) {
    log(`[WARNING] the history store ${path.join(dataDir, HISTORY_FILE)} cannot be opened, graphs keep only recent data: ${(e as Error).message}`);
  }
  const control = new InProcessControl(engine, { dataDir, history, log });
  const offLifecycle = engine.events.on('events', (event) => {
    if (event.type === 'lifecycle' && event.lifecycle.state === 'running') void demos.sync(engine.currentConfig());
  });
  return {
    ok: true,
    control,
    close: async (graceMs) => {
      offLifecycle();
      recorder?.stop();
      history?.close();
      await engine.stop(graceMs);
      await demos.close();
    },
  };
}
