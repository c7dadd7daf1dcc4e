/**
 * `loadstar serve`: the engine, the history recorder and the admin server in
 * one foreground process, with the configuration and state in the data dir.
 * The data dir is opened by appliance.ts, as in the desktop app:
 *
 *   <data-dir>/haproxy.cfg      the configuration (written on the first run from default-config.ts)
 *   <data-dir>/admin.json       the admin password's scrypt hash (--set-password), 0600
 *   <data-dir>/history.sqlite   per-minute series and health events (proxy/store/history.ts)
 *   <data-dir>/versions/        applied versions (the config store)
 *   <data-dir>/certs/           certificates (loadstar cert)
 *
 * SIGHUP reloads the configuration file; SIGTERM/SIGINT stop gracefully.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { X509Certificate } from 'node:crypto';
import { loadConfigFiles, formatDiagnostics } from '../config/index.ts';
import { resolveDataDir } from '../certs/data-dir.ts';
import { ensurePrivateDir } from '../certs/atomic-write.ts';
import { loadCertificate, certificateNames } from '../tls/pem.ts';
import { AdminError, CliUsageError } from '../errors.ts';
import { reducedFeatureWarnings } from '../runtime/unsupported.ts';
import { startQuietReclaim } from '../runtime/quiet-reclaim.ts';
import { holdProcessSignals } from '../runtime/process-signals.ts';
import type { HeldSignals } from '../runtime/process-signals.ts';
import { parseListen, DEFAULT_LISTEN, formatHostPort } from './listen.ts';
import { readAdminPassword, setAdminPassword, ADMIN_FILE } from './password.ts';
import { readNewPassword } from './password-input.ts';
import { startAdminServer } from './server.ts';
import type { AdminTls } from './server.ts';
import { openAppliance, ApplianceStartError } from './appliance.ts';
import type { Appliance } from './appliance.ts';
import { DEFAULT_GRACE_MS } from '../store/config-store.ts';

/** Environment variable giving the safe-apply grace window when --grace-ms is not given. */
export const GRACE_MS_ENV = 'LOADSTAR_GRACE_MS';
/** The longest grace window accepted, ms (the config store's own limit for one change). */
const MAX_GRACE_MS = 600_000;

export const SERVE_HELP = `Usage: loadstar serve [-f FILE] [--listen HOST:PORT] [--data-dir DIR]
                     [--tls-crt FILE] [--grace-ms N]
       loadstar serve --set-password [--data-dir DIR]

Runs the proxy and its web UI (the admin server) in the foreground.

  -f FILE             The configuration to run; if it cannot start (errors, a
                      port in use) serve exits with the reason. Default:
                      <data-dir>/haproxy.cfg, created on the first run with a demo
                      (two web servers and an API behind http://127.0.0.1:8080,
                      run by Loadstar itself; $LOADSTAR_DEMO_PORT moves it). If
                      that file cannot start, the admin UI still starts and shows
                      why, so the configuration can be fixed there.
  --listen HOST:PORT  Where the admin UI listens. Default ${DEFAULT_LISTEN}. An
                      address other than loopback needs an admin password.
  --data-dir DIR      Default: $LOADSTAR_DATA_DIR, else $XDG_DATA_HOME/loadstar,
                      else ~/.local/share/loadstar.
  --tls-crt FILE      Serve the admin UI over HTTPS with this PEM file
                      (certificate, chain and key, e.g. from 'loadstar cert issue').
  --grace-ms N        How long a change applied from the UI is watched, in ms
                      (0 to 600000): a change that leaves a backend without a
                      usable server within it is rolled back automatically.
                      Default: $${GRACE_MS_ENV}, else ${DEFAULT_GRACE_MS}.
  --set-password      Set the admin password (asked twice without echo on a
                      terminal, or the first line of stdin), then exit.

Signals: SIGHUP reloads the configuration file (an invalid one is reported and
the running configuration stays); SIGTERM/SIGINT stop gracefully.
Documentation: docs/ui.md.
`;

type Output = { out: (s: string) => void; err: (s: string) => void };

function serveArgs(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        file: { type: 'string', short: 'f' },
        listen: { type: 'string' },
        'data-dir': { type: 'string' },
        'tls-crt': { type: 'string' },
        'grace-ms': { type: 'string' },
        'set-password': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    throw new CliUsageError(`serve: ${(e as Error).message}`);
  }
}

/**
 * The safe-apply grace window: --grace-ms, else $LOADSTAR_GRACE_MS, else the
 * store's default. A bad value is a usage error naming where it came from,
 * before anything is opened.
 */
export function graceMsFrom(option: string | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = env[GRACE_MS_ENV];
  const [where, raw] = option !== undefined ? ['--grace-ms', option] : fromEnv !== undefined && fromEnv !== '' ? [`$${GRACE_MS_ENV}`, fromEnv] : [undefined, undefined];
  if (where === undefined || raw === undefined) return DEFAULT_GRACE_MS;
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n > MAX_GRACE_MS) {
    throw new CliUsageError(`serve: ${where} expects a whole number of milliseconds from 0 to ${MAX_GRACE_MS} (got '${raw}'), e.g. --grace-ms 3000`);
  }
  return n;
}

/** The admin certificate: Loadstar's combined PEM, with the host names and IPs it covers (allowed Host values). */
function loadAdminTls(file: string): AdminTls {
  try {
    // The admin console's own certificate: its key may be in FILE.key; no bundle, no OCSP stapling.
    const loaded = loadCertificate(file, { companionKey: true, deleteCrtExtension: false, bundle: false, ocsp: false, issuer: false });
    const ips = (loaded.leaf.subjectAltName ?? '').split(', ').filter((s) => s.startsWith('IP Address:')).map((s) => s.slice('IP Address:'.length));
    return { certPem: loaded.certPem, keyPem: loaded.keyPem, names: [...certificateNames(new X509Certificate(loaded.certPem)), ...ips] };
  } catch (e) {
    throw new AdminError('LS_ERR_ADMIN_TLS', `--tls-crt: ${(e as Error).message} Give a PEM file with the certificate and its unencrypted key, e.g. from 'loadstar cert issue'.`, { cause: e });
  }
}

export interface ServeHooks {
  /** Called once everything listens (tests). */
  ready?: (info: { adminUrl: string; configFile: string; dataDir: string }) => void;
  /** Resolves to stop the process (tests); signals do it otherwise. */
  stopSignal?: Promise<unknown>;
}

export async function serveCommand(argv: string[], io: Output, hooks: ServeHooks = {}): Promise<number> {
  const values = serveArgs(argv);
  if (values.help) {
    io.out(SERVE_HELP);
    return 0;
  }
  const graceMs = graceMsFrom(values['grace-ms']);
  const dataDir = resolveDataDir({ dataDir: values['data-dir'] });
  ensurePrivateDir(dataDir);

  if (values['set-password']) {
    const password = await readNewPassword({ stdin: process.stdin, prompt: (s) => io.err(s) });
    await setAdminPassword(dataDir, password);
    io.err(`[NOTICE] admin password set (${path.join(dataDir, ADMIN_FILE)}); restart 'loadstar serve' to use it\n`);
    return 0;
  }

  const listen = parseListen(values.listen ?? DEFAULT_LISTEN);
  const password = readAdminPassword(dataDir);
  if (!listen.loopback && !password) {
    throw new AdminError('LS_ERR_ADMIN_NO_PASSWORD', `refusing to listen on ${formatHostPort(listen.host, listen.port)} without an admin password: anyone who can reach that address could control the proxy. `
      + `Set one first with 'loadstar serve --set-password${values['data-dir'] ? ` --data-dir ${values['data-dir']}` : ''}', or keep the default 127.0.0.1 and use an SSH tunnel (docs/ui.md).`);
  }
  const tls = values['tls-crt'] ? loadAdminTls(values['tls-crt']) : undefined;
  // Held before the engine listens: a SIGHUP sent as soon as the port answers must reload, not kill (process-signals.ts).
  const signals = holdProcessSignals();
  try {
    return await serveHeld({ dataDir, configFile: values.file, graceMs, listen, password, tls }, io, hooks, signals);
  } finally {
    signals.release();
  }
}

interface ServeOptions {
  dataDir: string;
  configFile: string | undefined;
  graceMs: number;
  listen: ReturnType<typeof parseListen>;
  password: ReturnType<typeof readAdminPassword>;
  tls: AdminTls | undefined;
}

async function serveHeld({ dataDir, configFile: fileArg, graceMs, listen, password, tls }: ServeOptions, io: Output, hooks: ServeHooks, signals: HeldSignals): Promise<number> {
  const log = (line: string): void => io.err(line + '\n');
  // The same opening as the desktop app's engine host (appliance.ts). A data-dir configuration that cannot
  // start leaves the engine failed and the UI up to fix it; an explicit -f FILE that cannot start exits, as haproxy -f.
  let appliance: Appliance;
  try {
    appliance = await openAppliance(dataDir, { configFile: fileArg, mustStart: fileArg !== undefined, graceMs, log });
  } catch (e) {
    if (!(e instanceof ApplianceStartError)) throw e;
    if (e.diagnostics.length > 0) io.err(formatDiagnostics(e.diagnostics) + '\n');
    if (e.code !== 'LS_ERR_CFG_INVALID') io.err(`[ALERT] ${e.message}\n`);
    io.err(`[ALERT] Fatal errors found in configuration: ${e.configFile}\n`);
    return 1;
  }
  const { engine, control, configStore, configFile } = appliance;
  if (appliance.diagnostics.length > 0) io.err(formatDiagnostics(appliance.diagnostics) + '\n');
  if (appliance.startError) {
    io.err(`[ALERT] ${appliance.startError.code === 'LS_ERR_CFG_INVALID' ? `Fatal errors found in configuration: ${configFile}` : appliance.startError.message}\n`);
    io.err(`[ALERT] the proxy is not running; the admin UI shows why: fix the configuration there and apply it (or fix the file and send SIGHUP)\n`);
  } else {
    for (const w of reducedFeatureWarnings(engine.currentConfig())) io.err(`[WARNING] ${w}\n`);
    for (const a of engine.addresses()) io.err(`[NOTICE] ${a.frontend} listening on ${a.where}\n`);
  }

  let admin;
  try {
    admin = await startAdminServer({ control, listen, password, tls, log });
  } catch (e) {
    await appliance.close(0);
    throw e;
  }
  // A site on the admin UI's port is refused by name (it said "another program already listens").
  control.addOwnListener({ what: "Loadstar's admin UI", host: listen.host, port: admin.port });
  io.err(`[NOTICE] Loadstar admin UI: ${admin.url}${password ? ' (log in with the admin password)' : ''}\n`);
  io.err(`[NOTICE] configuration ${configFile}; data dir ${dataDir}\n`);
  if (!admin.uiBuilt) io.err(`[WARNING] the web UI is not built (dist/renderer/ is missing): run 'npm run build'; the API works meanwhile\n`);
  hooks.ready?.({ adminUrl: admin.url, configFile, dataDir });
  // Memory back to the system when the engine goes quiet after a burst (one per engine process).
  const reclaim = startQuietReclaim();

  const grace = (): number => Number(engine.currentConfig().global.tune['hard-stop-after'] ?? 10_000);
  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (why: string): void => {
      if (stopping) return;
      stopping = true;
      reclaim?.stop();
      signals.release();
      const graceMs = grace();
      io.err(`[NOTICE] ${why}: stopping (finishing in-flight requests, at most ${graceMs} ms)\n`);
      (async () => {
        await admin.close();
        await appliance.close(graceMs);
      })().then(() => resolve(0), (e: Error) => {
        io.err(`[ALERT] stopping failed: ${e.message}\n`);
        resolve(1);
      });
    };
    const reload = (): void => {
      control.reload(() => loadConfigFiles([configFile]), configFile).then((result) => {
        if (result.ok) {
          if (result.value.diagnostics.length > 0) io.err(result.value.diagnostics.map((d) => d.text).join('\n') + '\n');
          // The UI's view of the file follows: the reloaded text runs, as a version, and no longer counts as a hand edit.
          configStore.adopt('external');
          io.err('[NOTICE] configuration reloaded\n');
        } else {
          const details = result.error.diagnostics?.map((d) => d.text).join('\n');
          io.err(`${details ? details + '\n' : ''}[ALERT] reload refused, the running configuration is kept: ${result.error.message}\n`);
        }
      }, (e: Error) => io.err(`[ALERT] reload failed, the running configuration is kept: ${e.message}\n`));
    };
    signals.attach({ reload, stop: (signal) => stop(`${signal} received`) });
    hooks.stopSignal?.then(() => stop('stop requested'));
  });
}
