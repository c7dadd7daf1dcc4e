/**
 * Opens a data directory as one running appliance: the engine, its history
 * recorder, the configuration store and the control contract over them.
 * `loadstar serve` (serve.ts) and the desktop app's engine host
 * (main/engine-open.ts) both call openAppliance, so the two cannot drift and
 * a user can move the directory between them:
 *
 *   <data-dir>/             created 0700
 *   <data-dir>/haproxy.cfg  the configuration; written on the first run with the demo (default-config.ts)
 *   <data-dir>/history.sqlite   per-minute series and health events
 *   <data-dir>/versions/    applied versions (the config store: safe apply, rollback)
 *   <data-dir>/certs/       certificates (opened by the control on first use)
 *
 * A configuration that cannot start (errors, unsupported behaviour, a bind
 * that fails) does not stop the appliance: the engine stays `failed` with the
 * reason as its lifecycle's lastError, and the control keeps answering, so
 * the UI can show why and apply a corrected text (which starts the engine).
 * `mustStart` (serve's explicit `-f FILE`) turns that into an
 * ApplianceStartError instead, after closing what was opened.
 */
import path from 'node:path';
import fs from 'node:fs';
import { loadConfigFiles, parseConfig, formatDiagnostics } from '../config/index.ts';
import type { Diagnostic } from '../config/index.ts';
import { Engine } from '../engine.ts';
import { InProcessControl } from '../control/in-process.ts';
import { ensurePrivateDir, writeFileAtomic } from '../certs/atomic-write.ts';
import { HISTORY_FILE } from '../store/history.ts';
import { HistoryClient } from '../store/history-client.ts';
import { HistoryRecorder } from '../store/history-recorder.ts';
import { ConfigStore, engineTarget } from '../store/config-store.ts';
import type { ApplyTarget } from '../store/config-store.ts';
import { LoadstarError } from '../errors.ts';
import type { ErrorCode } from '../errors.ts';
import { chooseDemoPorts, defaultConfigText, DemoServers, demoStatusOf, PREFERRED_DEMO_PORTS, withoutDemoNote } from './default-config.ts';
import type { DemoPorts } from './default-config.ts';

/** Environment variable moving the first-run demo's preferred ports (frontend on it, servers on the next three). */
export const DEMO_PORT_ENV = 'LOADSTAR_DEMO_PORT';

export interface ApplianceOptions {
  /** The configuration to run (serve's `-f`). Default `<dataDir>/haproxy.cfg`, written with the demo on the first run. */
  configFile?: string;
  /** A configuration that cannot start is an ApplianceStartError rather than a failed engine. */
  mustStart?: boolean;
  /** The first-run demo's frontend port; its servers take the next three. Default $LOADSTAR_DEMO_PORT, else 8080. */
  demoBasePort?: number;
  /** Notices and warnings, one line each; default stderr. */
  log?: (line: string) => void;
  /** How long an applied change is watched before it is kept (the config store's grace window), ms. Default 10 s. */
  graceMs?: number;
}

export interface Appliance {
  dataDir: string;
  configFile: string;
  engine: Engine;
  control: InProcessControl;
  configStore: ConfigStore;
  /** The diagnostics of the configuration as loaded at open (warnings included). */
  diagnostics: Diagnostic[];
  /** Why the configuration did not start; the engine is `failed` and says the same. Absent when it runs. */
  startError?: { code: ErrorCode; message: string };
  /** Stops the engine (in-flight work gets graceMs), the recorder, the history store and the demo servers. */
  close(graceMs: number): Promise<void>;
}

/** The configuration could not start and the caller asked for it to (`mustStart`); nothing is left open. */
export class ApplianceStartError extends LoadstarError {
  constructor(code: ErrorCode, message: string, readonly configFile: string, readonly diagnostics: Diagnostic[], options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The demo's preferred ports: from the option, else the environment, else 8080-8083. */
export function demoPortsFrom(base: number | undefined, log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): DemoPorts {
  let port = base;
  const fromEnv = env[DEMO_PORT_ENV];
  if (port === undefined && fromEnv !== undefined && fromEnv !== '') {
    const n = Number(fromEnv);
    if (Number.isInteger(n) && n >= 1 && n <= 65532) port = n;
    else log(`[WARNING] ${DEMO_PORT_ENV}=${fromEnv} is not a port between 1 and 65532; the demo prefers ${PREFERRED_DEMO_PORTS.frontend}`);
  }
  if (port === undefined) return PREFERRED_DEMO_PORTS;
  return { frontend: port, web1: port + 1, web2: port + 2, api1: port + 3 };
}

/** `<data-dir>/haproxy.cfg`, written from the demo configuration when it does not exist yet. */
async function dataDirConfig(dataDir: string, preferred: DemoPorts, log: (line: string) => void): Promise<string> {
  const file = path.join(dataDir, 'haproxy.cfg');
  if (fs.existsSync(file)) return file;
  const ports = await chooseDemoPorts(preferred);
  writeFileAtomic(file, defaultConfigText(ports), 0o600);
  const moved = ports.frontend !== preferred.frontend ? ` (port ${preferred.frontend} is in use, so the demo took ${ports.frontend})` : '';
  log(`[NOTICE] first run: wrote ${file} with a demo (open http://127.0.0.1:${ports.frontend}/)${moved}; edit it or replace it from the UI`);
  return file;
}

/**
 * The store's view of the engine. A change applied to a failed engine starts it
 * (Engine.reload); nothing was usable before, so the change cannot be blamed for
 * breaking a backend, whatever the stand-in tables of the failed start say.
 */
function applianceTarget(engine: Engine): ApplyTarget {
  const target = engineTarget(engine);
  return { ...target, backendHealth: () => (engine.lifecycle().state === 'running' ? target.backendHealth() : new Map()) };
}

export async function openAppliance(dataDir: string, options: ApplianceOptions = {}): Promise<Appliance> {
  const log = options.log ?? ((line: string) => void process.stderr.write(line + '\n'));
  ensurePrivateDir(dataDir);
  const configFile = options.configFile !== undefined
    ? path.resolve(options.configFile)
    : await dataDirConfig(dataDir, demoPortsFrom(options.demoBasePort, log), log);

  // Load and start; any failure leaves a failed engine that says why.
  let diagnostics: Diagnostic[] = [];
  let startError: { code: ErrorCode; message: string; cause?: unknown } | undefined;
  let engine: Engine | undefined;
  const demos = new DemoServers(log);
  try {
    const loaded = loadConfigFiles([configFile]);
    diagnostics = loaded.diagnostics;
    if (!loaded.ok) {
      const errors = formatDiagnostics(diagnostics.filter((d) => d.severity !== 'warning'));
      startError = { code: 'LS_ERR_CFG_INVALID', message: `the configuration ${configFile} has errors, so the proxy did not start:\n${errors}` };
    } else {
      engine = new Engine(loaded.config, { configName: configFile });
      // The demo servers are up before the health checks first look at them.
      await demos.sync(loaded.config);
      await engine.start();
    }
  } catch (e) {
    if (!(e instanceof LoadstarError)) {
      await engine?.stop(0).catch(() => {});
      await demos.close();
      throw e;
    }
    startError = { code: e.code, message: e.message, cause: e };
    // Nothing runs: no demo server either, until a configuration that starts brings them back.
    await demos.close();
  }
  if (startError && options.mustStart) {
    await engine?.stop(0).catch(() => {});
    throw new ApplianceStartError(startError.code, startError.message, configFile, diagnostics, { cause: startError.cause });
  }
  if (startError && engine?.lifecycle().state !== 'failed') {
    // Never built (errors, unsupported behaviour): an empty stand-in carries the failure until a configuration is applied.
    engine = new Engine(parseConfig([{ name: configFile, text: '' }]).config, { configName: configFile });
    engine.loadFailed({ code: startError.code, message: startError.message });
  }
  const running = engine!;

  // History is an addition: a store that cannot open (a native module built for another runtime) leaves the proxy running.
  let history: HistoryClient | undefined;
  let recorder: HistoryRecorder | undefined;
  try {
    history = await HistoryClient.open(path.join(dataDir, HISTORY_FILE));
    recorder = new HistoryRecorder(history, running, { log });
    recorder.start();
  } catch (e) {
    log(`[WARNING] the history store ${path.join(dataDir, HISTORY_FILE)} cannot be opened, graphs keep only recent data: ${(e as Error).message}`);
  }

  // The UI's configuration changes go through the config store: validated, written atomically, versioned, rolled back when they break a backend.
  const configStore = ConfigStore.open({ dataDir, file: configFile, target: applianceTarget(running), graceMs: options.graceMs, onEvent: (m) => log(`[NOTICE] ${m}`) });
  // A hand edit of the file while serving is told to the UI (an alert event) instead of being overwritten later.
  const stopWatchingFile = configStore.watchFile();
  const control = new InProcessControl(running, { dataDir, history, log, configStore, demo: demoStatusOf, tidyEdits: withoutDemoNote });
  // A configuration applied from the UI or by SIGHUP may add or remove demo servers.
  const offLifecycle = running.events.on('events', (event) => {
    if (event.type === 'lifecycle' && event.lifecycle.state === 'running') void demos.sync(running.currentConfig());
  });

  let closed: Promise<void> | undefined;
  return {
    dataDir,
    configFile,
    engine: running,
    control,
    configStore,
    diagnostics,
    ...(startError ? { startError: { code: startError.code, message: startError.message } } : {}),
    close: (graceMs) => (closed ??= (async () => {
      stopWatchingFile();
      offLifecycle();
      await recorder?.stop();
      await history?.close();
      await running.stop(graceMs);
      await demos.close();
    })()),
  };
}
