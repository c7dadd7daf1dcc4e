/**
 * The in-process implementation of the control contract, used by
 * `loadstar run`, tests, and as the target of the IPC and HTTP transports.
 *
 * It keeps no copy of the engine's state: every answer is read from the
 * engine at the time of the call. Every method resolves with a Result:
 * arguments are checked at this boundary (transports deliver untrusted
 * JSON), refusals carry registered codes, and an unexpected exception is
 * answered as LS_ERR_CTL_INTERNAL and logged with its stack.
 * Lifecycle changes (start, stop, apply) run one at a time.
 */
import { parseConfig, formatDiagnostic } from '../config/index.ts';
import type { Diagnostic, LoadResult } from '../config/index.ts';
import type { Config } from '../config/model.ts';
import type { Engine } from '../engine.ts';
import { CertError, type ErrorCode } from '../errors.ts';
import { noListenerWarning } from '../config/listens.ts';
import { CertStore } from '../certs/store.ts';
import { certFacts } from '../certs/inspect.ts';
import { setServerAdminState, setServerWeight, findServer } from '../runtime/admin.ts';
import { outcomeOf } from '../checks/types.ts';
import { statsSnapshot } from '../stats/control.ts';
import { Answerer, ControlFailure, ok } from './answers.ts';
import * as arg from './args.ts';
import { ControlEventHost } from './event-host.ts';
import { statusSnapshot, serverStatus } from './status.ts';
import { seriesOf } from './series.ts';
import { TimelineReader, timelineRange, timelineTargets } from './timeline-reader.ts';
import type { HistorySource } from './history.ts';
import { ConfigStore, checkedDiagnostics } from '../store/config-store.ts';
import { summarizeChange } from '../store/change-summary.ts';
import { unifiedDiff } from '../store/line-diff.ts';
import { applyEdits, formModel } from '../config/edit.ts';
import { predictSplit, describeHealthCheck } from '../config/wizard.ts';
import { traceRequest } from '../http/trace.ts';
import { probeServer, checkListen, type OwnListener } from './probe.ts';
import { sectionsUsingCertFile } from './cert-users.ts';
import type {
  ApplyOutcome, BuildResult, ConfigChange, ConfigEdit, ConfigPreview, ConfigState, ConfigVersion, ConfigVersionText, HealthCheckSpec,
  ListenCheckRequest, ListenCheckResult, ProbeRequest, ProbeResult, SplitPrediction, SplitRequest, TraceRequest, TraceResult,
} from './contract.ts';
import type {
  ApplyReport, CaInfo, CaInitRequest, CertCaExport, ClientCertExport, ClientCertRecord, ClientCertRequest, TrustImportRequest, TrustInfo, CertImportRequest, CertInfo, CertInspection, CertInspectRequest, CertListing, CheckResult, ControlContract,
  ControlDiagnostic, ControlEvent, ControlTopic, EngineEvent, EngineLifecycle, HealthEvent, IssueRequest, Result, SeriesData,
  SeriesRange, ServerAdminState, ServerStatus, DemoStatus, StatsSnapshot, StatusSnapshot, SubscribeOptions, TimelineData, TimelineRange, TimelineSet, TimelineTarget,
  ValidationReport,
} from './contract.ts';

export type { HistorySource } from './history.ts';

export interface InProcessOptions {
  /** Certificate store location; default as `loadstar cert` resolves it ($LOADSTAR_DATA_DIR …). */
  dataDir?: string;
  /** Older series and health events than the memory rings hold (the data dir's history store). */
  history?: HistorySource;
  /** Where unexpected failures are reported with their stack; default stderr. */
  log?: (message: string) => void;
  /**
   * The data dir's haproxy.cfg and its versions (proxy/store/config-store.ts), opened with
   * `engineTarget(engine)`: getConfig, applyChange, versions and rollback need it.
   */
  configStore?: ConfigStore;
  /** What the running configuration has of a built-in demo the host runs (`loadstar serve`'s); the status's `demo`. */
  demo?: (config: Config) => DemoStatus | undefined;
  /** A host's own tidying of a form edit's result, given the configuration before and after (`loadstar serve`: the first-run DEMO note goes with the last demo item). */
  tidyEdits?: (before: Config, after: Config, text: string) => string;
}

/** Longest configuration text accepted (a generous haproxy.cfg is tens of kB). */
const MAX_CONFIG_TEXT = 8 * 1024 * 1024;
const SERVER_STATES: readonly ServerAdminState[] = ['ready', 'drain', 'maint'];

function toControl(d: Diagnostic): ControlDiagnostic {
  return { file: d.file, line: d.line, column: d.column, severity: d.severity, code: d.code, ...(d.keyword !== undefined ? { keyword: d.keyword } : {}), message: d.message, text: formatDiagnostic(d) };
}

/** Certificate answers keep the store's warnings (expiring soon …). */
async function certAnswer<T>(action: () => T | Promise<T>): Promise<Result<T>> {
  return { ok: true, value: await action(), warnings: [] };
}

/** The `pems` argument of certImport / certInspect as the store's labelled sources. */
function pemSources(pems: unknown): Array<{ label: string; data: string }> {
  if (!Array.isArray(pems) || pems.length === 0 || pems.some((p) => typeof p !== 'string')) {
    throw new CertError('LS_ERR_CERT_NO_CERTIFICATE', 'pems must be a non-empty list of PEM texts');
  }
  // Named as the user gave them (pasted or read from files into the form's text): 'upload #1' was jargon.
  return (pems as string[]).map((data, i) => ({ label: pems.length === 1 ? 'PEM text' : `PEM text ${i + 1}`, data }));
}

export class InProcessControl implements ControlContract {
  private certStore: CertStore | undefined;
  private readonly dataDir: string | undefined;
  private readonly history: HistorySource | undefined;
  private readonly configStore: ConfigStore | undefined;
  private readonly demo: InProcessOptions['demo'];
  private readonly tidyEdits: InProcessOptions['tidyEdits'];
  private readonly answers: Answerer;
  private readonly host: ControlEventHost;
  /** Sockets the host holds besides the frontends' (the admin UI): checkListen names them. */
  private readonly ownListeners: OwnListener[] = [];
  /** Lifecycle changes, one at a time. */
  private lifecycleQueue: Promise<unknown> = Promise.resolve();

  /**
   * @param args options; the older form `(engine, config, options)` is still accepted and
   *   its config ignored (the configuration in force is always the engine's).
   */
  constructor(private readonly engine: Engine, ...args: [InProcessOptions?] | [Config, InProcessOptions?]) {
    const options: InProcessOptions = (args.length === 2 || (args[0] && 'proxies' in args[0]) ? args[1] : args[0]) as InProcessOptions ?? {};
    this.dataDir = options.dataDir;
    this.history = options.history;
    this.configStore = options.configStore;
    this.demo = options.demo;
    this.tidyEdits = options.tidyEdits;
    const log = options.log ?? ((message: string) => void process.stderr.write(message + '\n'));
    this.answers = new Answerer(log);
    this.host = new ControlEventHost(engine.events, log);
  }

  /** The host listens on `host:port` itself (`loadstar serve`'s admin UI): a listen check there says so. */
  addOwnListener(listener: OwnListener): void {
    this.ownListeners.push({ ...listener });
  }

  // ------------------------------------------------------------------ lifecycle and configuration

  status(): Promise<Result<StatusSnapshot>> {
    return this.answers.run('status', () => {
      const snapshot = statusSnapshot(this.engine);
      const demo = this.demo?.(this.engine.currentConfig());
      return ok(demo ? { ...snapshot, demo } : snapshot);
    });
  }

  start(): Promise<Result<EngineLifecycle>> {
    return this.exclusive('start', async () => {
      const state = this.engine.lifecycle().state;
      if (state !== 'stopped' && state !== 'failed') throw new ControlFailure('LS_ERR_CTL_STATE', `start: the engine is ${state}; only a stopped or failed engine can be started.`);
      await this.engine.start();
      return ok(this.engine.lifecycle());
    });
  }

  stop(graceMs?: number): Promise<Result<EngineLifecycle>> {
    return this.exclusive('stop', async () => {
      const grace = arg.optionalInteger('stop', 'graceMs', graceMs, 0, 3_600_000, 10_000);
      const state = this.engine.lifecycle().state;
      if (state === 'stopped') throw new ControlFailure('LS_ERR_CTL_STATE', 'stop: the engine is already stopped.');
      await this.engine.stop(grace);
      return ok(this.engine.lifecycle());
    });
  }

  validateConfig(text: string, name?: string): Promise<Result<ValidationReport>> {
    return this.answers.run('validateConfig', () => {
      const source = { name: arg.optionalLabel('validateConfig', 'name', name, 'haproxy.cfg'), text: arg.text('validateConfig', 'text', text, MAX_CONFIG_TEXT) };
      const result = parseConfig([source]);
      const silent = result.ok ? noListenerWarning(result.config, source.name) : undefined;
      return ok({ valid: result.ok, diagnostics: [...result.diagnostics, ...(silent ? [silent] : [])].map(toControl) });
    });
  }

  applyConfig(text: string, name?: string): Promise<Result<ApplyReport>> {
    const checked = this.answers.run('applyConfig', () => ok({
      name: arg.optionalLabel('applyConfig', 'name', name, 'haproxy.cfg'),
      text: arg.text('applyConfig', 'text', text, MAX_CONFIG_TEXT),
    }));
    return checked.then((source) => {
      if (!source.ok) return source;
      return this.configStore ? this.applyThroughStore(this.configStore, source.value.text) : this.reload(() => parseConfig([source.value]), source.value.name);
    });
  }

  /**
   * applyConfig where Loadstar owns haproxy.cfg (serve, the desktop app): the text replaces the
   * file's through the store's safe apply (written, versioned as `api`, watched for the grace
   * window), so getConfig, the versions and a restart agree with what runs.
   */
  private applyThroughStore(store: ConfigStore, text: string): Promise<Result<ApplyReport>> {
    return this.exclusive('applyConfig', async () => {
      const state = this.engine.lifecycle().state;
      if (state !== 'running' && state !== 'failed') throw new ControlFailure('LS_ERR_CTL_STATE', `applyConfig: the engine is ${state}; a configuration is applied to a running engine, or to a failed one to start it (start it first).`);
      // Based on what Loadstar last wrote or adopted: a file edited by hand since is a conflict, never overwritten silently.
      const applied = await store.apply({ text, baseHash: store.current().hash, source: 'api' });
      if (!applied.ok) return applied;
      const outcome = applied.value;
      const diagnostics = outcome.diagnostics;
      if (outcome.outcome === 'applied') return ok({ diagnostics, lifecycle: this.engine.lifecycle() });
      if (outcome.outcome === 'rolled-back') throw new ControlFailure('LS_ERR_CTL_ROLLED_BACK', `configuration version ${outcome.version.id} was rolled back: ${outcome.reason}`, diagnostics);
      const refusal = { code: outcome.code ?? 'LS_ERR_CFG_INVALID', message: `${outcome.reason}; the running configuration is kept` } as const;
      // A text refused before the engine saw it is the engine's latest news too, as for a reload's (status says why).
      if (!outcome.version) this.engine.reloadRefused(refusal);
      throw new ControlFailure(refusal.code, refusal.message, diagnostics);
    });
  }

  /**
   * Reloads from configuration already read (the CLI's SIGHUP reload of its
   * files, applyConfig's text): an invalid configuration or an engine refusal
   * changes nothing, and the answer says why.
   */
  reload(load: () => LoadResult, configName: string): Promise<Result<ApplyReport>> {
    return this.exclusive('applyConfig', async () => {
      const state = this.engine.lifecycle().state;
      // A failed engine takes the configuration and starts it: how one that could not start is fixed.
      if (state !== 'running' && state !== 'failed') throw new ControlFailure('LS_ERR_CTL_STATE', `applyConfig: the engine is ${state}; a configuration is applied to a running engine, or to a failed one to start it (start it first).`);
      const result = load();
      const diagnostics = result.diagnostics.map(toControl);
      if (!result.ok) {
        const first = diagnostics.find((d) => d.severity !== 'warning');
        const message = `the configuration has errors; the running configuration is kept${first ? `: ${first.text}` : ''}`;
        this.engine.reloadRefused({ code: 'LS_ERR_CFG_INVALID', message });
        throw new ControlFailure('LS_ERR_CFG_INVALID', message, diagnostics);
      }
      try {
        await this.engine.reload(result.config, configName);
      } catch (e) {
        // Engine refusals (unsupported behaviour, a bind or certificate that fails) keep the running configuration.
        const failure = this.answers.failure('applyConfig', e);
        return { ok: false, error: { ...failure.error, diagnostics } };
      }
      return ok({ diagnostics, lifecycle: this.engine.lifecycle() });
    });
  }

  // ------------------------------------------------------------------ servers

  setServerState(backend: string, server: string, state: ServerAdminState): Promise<Result<ServerStatus>> {
    return this.answers.run('setServerState', () => {
      const b = arg.name('setServerState', 'backend', backend);
      const s = arg.name('setServerState', 'server', server);
      const st = arg.oneOf('setServerState', 'state', state, SERVER_STATES);
      return this.serverChange(setServerAdminState(this.engine, b, s, st), b, s);
    });
  }

  setServerWeight(backend: string, server: string, weight: number): Promise<Result<ServerStatus>> {
    return this.answers.run('setServerWeight', () => {
      const b = arg.name('setServerWeight', 'backend', backend);
      const s = arg.name('setServerWeight', 'server', server);
      const w = arg.integer('setServerWeight', 'weight', weight, 0, 256);
      return this.serverChange(setServerWeight(this.engine, b, s, w), b, s);
    });
  }

  private serverChange(result: ReturnType<typeof setServerWeight>, backend: string, server: string): Result<ServerStatus> {
    if (!result.ok) return result;
    // The state event of a server without check is noticed here rather than on the next tick.
    this.engine.stats.sync();
    return ok(serverStatus(this.engine.backend(backend)!.server(server)!));
  }

  // ------------------------------------------------------------------ statistics and health

  stats(): Promise<Result<StatsSnapshot>> {
    return this.answers.run('stats', () => ok(statsSnapshot(this.engine.stats)));
  }

  series(id: string, range: SeriesRange): Promise<Result<SeriesData>> {
    return this.answers.run('series', async () => ok(await seriesOf(this.engine, this.history, id, range)));
  }

  timeline(backend: string, server: string | undefined, range?: TimelineRange): Promise<Result<TimelineData>> {
    return this.answers.run('timeline', async () => {
      const b = arg.name('timeline', 'backend', backend);
      const s = server === undefined || server === null ? undefined : arg.name('timeline', 'server', server);
      const { from, to } = timelineRange('timeline', range);
      const runtime = this.engine.backend(b);
      if (!runtime) throw new ControlFailure('LS_ERR_CTL_NOT_FOUND', `timeline: no such backend '${b}' in the running configuration.`);
      if (s !== undefined && !runtime.server(s)) throw new ControlFailure('LS_ERR_CTL_NOT_FOUND', `timeline: no such server '${s}' in backend '${b}'.`);
      const reader = new TimelineReader(this.engine, this.history, to, s === undefined ? [b] : []);
      await reader.readConfigured([s === undefined ? { backend: b } : { backend: b, server: s }]);
      return ok(await reader.timeline(b, s, from));
    });
  }

  timelines(range?: TimelineRange, targets?: TimelineTarget[]): Promise<Result<TimelineSet>> {
    return this.answers.run('timelines', async () => {
      const { from, to } = timelineRange('timelines', range);
      const wanted = targets === undefined || targets === null ? this.everyTimeline() : timelineTargets('timelines', targets);
      const timelines: TimelineData[] = [];
      const missing: TimelineTarget[] = [];
      const present = wanted.filter((t) => {
        const runtime = this.engine.backend(t.backend);
        const found = runtime !== undefined && (t.server === undefined || runtime.server(t.server) !== undefined);
        if (!found) missing.push(t);
        return found;
      });
      // A backend whose own timeline or more than one server is asked for is read from history once, whole.
      const asked = new Map<string, number>();
      for (const t of present) asked.set(t.backend, (asked.get(t.backend) ?? 0) + (t.server === undefined ? 2 : 1));
      const reader = new TimelineReader(this.engine, this.history, to, [...asked].flatMap(([b, n]) => (n > 1 ? [b] : [])));
      await reader.readConfigured(present);
      for (const t of present) timelines.push(await reader.timeline(t.backend, t.server, from));
      return ok({ from, to, timelines, missing });
    });
  }

  /** Every backend's own timeline followed by its servers', in configuration order (as `status` lists them). */
  private everyTimeline(): TimelineTarget[] {
    return this.engine.currentConfig().proxies.flatMap((proxy): TimelineTarget[] => {
      if (proxy.disabled || (proxy.kind !== 'backend' && proxy.kind !== 'listen')) return [];
      const runtime = this.engine.backend(proxy.name);
      return runtime ? [{ backend: runtime.name }, ...runtime.servers.map((srv) => ({ backend: runtime.name, server: srv.name }))] : [];
    });
  }

  checkResults(backend: string, server: string, limit?: number): Promise<Result<CheckResult[]>> {
    return this.answers.run('checkResults', () => {
      const b = arg.name('checkResults', 'backend', backend);
      const s = arg.name('checkResults', 'server', server);
      const n = arg.optionalInteger('checkResults', 'limit', limit, 1, 10_000, 100);
      const found = findServer(this.engine, b, s);
      if ('ok' in found) throw new ControlFailure(found.error.code, `checkResults: ${found.error.message}`);
      const results = found.server.check?.results.toArray() ?? [];
      return ok(results.slice(Math.max(0, results.length - n)).map((r): CheckResult => ({
        time: r.time, code: r.code, durationMs: r.durationMs, ...(r.info ? { info: r.info } : {}), ok: outcomeOf(r) !== 'failed',
      })));
    });
  }

  recentEvents(limit?: number): Promise<Result<EngineEvent[]>> {
    return this.answers.run('recentEvents', () => ok(this.engine.events.recentEvents(arg.optionalInteger('recentEvents', 'limit', limit, 1, 10_000, 100))));
  }

  subscribe<K extends ControlTopic>(topics: readonly K[], listener: (event: ControlEvent<K>) => void, options?: SubscribeOptions): () => void {
    return this.host.subscribe(topics, listener, options);
  }

  // ------------------------------------------------------------------ certificates

  certCaStatus(): Promise<Result<CaInfo | null>> {
    return this.answers.run('certCaStatus', () => certAnswer(() => this.certs.caStatus()));
  }

  certCaInit(request: CaInitRequest): Promise<Result<CaInfo>> {
    return this.answers.run('certCaInit', () => {
      const r = request === undefined || request === null ? {} : arg.record('certCaInit', 'request', request);
      return certAnswer(() => this.certs.initCa({ ...r, force: r['force'] === true }));
    });
  }

  certCaExport(format: 'pem' | 'der'): Promise<Result<CertCaExport>> {
    return this.answers.run('certCaExport', () => {
      const f = arg.oneOf('certCaExport', 'format', format, ['pem', 'der'] as const);
      return certAnswer((): CertCaExport => f === 'der'
        ? { format: f, data: this.certs.exportCa('der').toString('base64'), fileName: 'loadstar-ca.crt' }
        : { format: 'pem', data: this.certs.exportCa('pem'), fileName: 'loadstar-ca.pem' });
    });
  }

  certIssue(request: IssueRequest): Promise<Result<CertInfo>> {
    return this.answers.run('certIssue', () => {
      const r = arg.record('certIssue', 'request', request);
      return certAnswer(() => this.certs.issue({ ...(r as unknown as IssueRequest), selfSigned: r['selfSigned'] === true }));
    });
  }

  certImport(request: CertImportRequest): Promise<Result<CertInfo>> {
    return this.answers.run('certImport', () => {
      const r = arg.record('certImport', 'request', request);
      const sources = pemSources(r['pems']);
      if (r['passphrase'] !== undefined && typeof r['passphrase'] !== 'string') {
        throw new CertError('LS_ERR_CERT_KEY_PASSPHRASE', 'the passphrase must be text');
      }
      const stored = this.certs.import({ name: r['name'] as string, sources, ...(r['passphrase'] !== undefined ? { passphrase: r['passphrase'] as string } : {}) });
      return { ok: true, value: stored.info, warnings: stored.warnings };
    });
  }

  certInspect(request: CertInspectRequest): Promise<Result<CertInspection>> {
    return this.answers.run('certInspect', () => {
      const r = arg.record('certInspect', 'request', request);
      const sources = pemSources(r['pems']);
      const passphrase = r['passphrase'];
      if (passphrase !== undefined && typeof passphrase !== 'string') throw new CertError('LS_ERR_CERT_KEY_PASSPHRASE', 'the passphrase must be text');
      return ok(this.certs.inspect({ sources, ...(passphrase !== undefined ? { passphrase } : {}) }));
    });
  }

  certList(): Promise<Result<CertListing>> {
    return this.answers.run('certList', () => certAnswer(() => {
      const listing = this.certs.list();
      // A certificate committed over the runtime API is the one in use: it is told beside the file's.
      const runtime = this.engine.sslCerts();
      for (const cert of listing.certs) {
        const served = runtime.committedServing(cert.path);
        if (served && served.leaf.fingerprint256 !== cert.fingerprint256) cert.served = certFacts(served.leaf);
      }
      return listing;
    }));
  }

  certIssueClient(request: ClientCertRequest): Promise<Result<ClientCertExport>> {
    return this.answers.run('certIssueClient', () => {
      const r = arg.record('certIssueClient', 'request', request);
      const password = r['password'] === undefined || r['password'] === null ? '' : arg.text('certIssueClient', 'password', r['password'], 1024);
      const email = r['email'] === undefined || r['email'] === null || r['email'] === '' ? undefined : arg.text('certIssueClient', 'email', r['email'], 254);
      const days = r['days'] === undefined || r['days'] === null ? undefined : arg.integer('certIssueClient', 'days', r['days'], 1, 825);
      return certAnswer(async (): Promise<ClientCertExport> => {
        const issued = await this.certs.issueClient({ commonName: r['commonName'] as string, ...(email !== undefined ? { email } : {}), ...(days !== undefined ? { days } : {}), password });
        const fileName = `${issued.commonName.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '') || 'client'}.p12`;
        return { commonName: issued.commonName, serialHex: issued.serialHex, notAfter: issued.notAfter, fileName, data: issued.pkcs12.toString('base64') };
      });
    });
  }

  certClients(): Promise<Result<ClientCertRecord[]>> {
    return this.answers.run('certClients', () => certAnswer(() => this.certs.clientRecords()));
  }

  certTrustImport(request: TrustImportRequest): Promise<Result<TrustInfo>> {
    return this.answers.run('certTrustImport', () => {
      const r = arg.record('certTrustImport', 'request', request);
      const pem = arg.text('certTrustImport', 'pem', r['pem'], 1024 * 1024);
      return certAnswer(() => this.certs.importTrust(r['name'] as string, pem));
    });
  }

  certTrustList(): Promise<Result<TrustInfo[]>> {
    return this.answers.run('certTrustList', () => certAnswer(() => this.certs.listTrust()));
  }

  certRemove(name: string): Promise<Result<{ name: string }>> {
    return this.answers.run('certRemove', () => certAnswer(() => {
      // Refused while the running configuration loads the file: every later apply and reload would fail (the UI asks the same first).
      const users = sectionsUsingCertFile(this.engine.currentConfig(), this.certs.pathOf(name));
      if (users.length > 0) {
        const one = users.length === 1;
        throw new ControlFailure('LS_ERR_CTL_STATE', `${name} cannot be removed: the running configuration's `
          + `${users.map((u) => `${u.section} (${u.via})`).join(', ')} ${one ? 'uses' : 'use'} it, and without its file the configuration no longer loads. `
          + `Change or remove ${one ? `that ${users[0]!.section.split(' ')[0]}` : 'those sections'} first.`);
      }
      this.certs.remove(name);
      return { name };
    }));
  }

  // ------------------------------------------------------------------ configuration file, versions, forms, tracer

  getConfig(): Promise<Result<ConfigState>> {
    return this.answers.run('getConfig', () => {
      const store = this.store('getConfig');
      const current = store.current();
      const parsed = parseConfig([{ name: store.path, text: current.text }]);
      return ok({ ...current, model: formModel(parsed.config), diagnostics: checkedDiagnostics(parsed, store.path) });
    });
  }

  previewConfig(text: string): Promise<Result<ConfigPreview>> {
    return this.answers.run('previewConfig', () => this.store('previewConfig').preview(arg.text('previewConfig', 'text', text, MAX_CONFIG_TEXT)));
  }

  applyChange(change: ConfigChange): Promise<Result<ApplyOutcome>> {
    return this.exclusive('applyChange', async () => {
      const store = this.store('applyChange');
      const state = this.engine.lifecycle().state;
      if (state !== 'running' && state !== 'failed') throw new ControlFailure('LS_ERR_CTL_STATE', `applyChange: the engine is ${state}; a change is applied to a running engine, or to a failed one to start it (start it first).`);
      const c = arg.record('applyChange', 'change', change);
      arg.text('applyChange', 'change.text', c['text'], MAX_CONFIG_TEXT);
      return store.apply(c as unknown as ConfigChange);
    });
  }

  buildConfig(edits: ConfigEdit[], baseText?: string): Promise<Result<BuildResult>> {
    return this.answers.run('buildConfig', (): Result<BuildResult> => {
      const base = baseText === undefined || baseText === null ? this.store('buildConfig').current().text : arg.text('buildConfig', 'baseText', baseText, MAX_CONFIG_TEXT);
      if (!Array.isArray(edits)) throw arg.badValue('buildConfig', 'edits', 'a list of edits', edits);
      const built = applyEdits(base, edits);
      if (!built.ok) return ok({ diff: '', summary: '', diagnostics: [], valid: false, problems: built.problems });
      const name = this.configStore?.path ?? 'haproxy.cfg';
      let text = built.text;
      let parsed = parseConfig([{ name, text }]);
      const before = parseConfig([{ name: 'haproxy.cfg', text: base }]);
      const tidied = this.tidyEdits?.(before.config, parsed.config, text) ?? text;
      if (tidied !== text) {
        text = tidied;
        parsed = parseConfig([{ name, text }]);
      }
      const diagnostics = checkedDiagnostics(parsed, name);
      return ok({
        text,
        diff: unifiedDiff(base, text, { from: 'running', to: 'proposed' }),
        summary: summarizeChange({ text: base, config: before.ok ? before.config : undefined }, { text, config: parsed.ok ? parsed.config : undefined }),
        diagnostics,
        valid: !diagnostics.some((d) => d.severity !== 'warning'),
        problems: [],
        model: formModel(parsed.config),
      });
    });
  }

  listVersions(): Promise<Result<ConfigVersion[]>> {
    return this.answers.run('listVersions', () => ok(this.store('listVersions').listVersions()));
  }

  getVersion(id: number): Promise<Result<ConfigVersionText>> {
    return this.answers.run('getVersion', () => this.store('getVersion').getVersion(arg.integer('getVersion', 'id', id, 1, Number.MAX_SAFE_INTEGER)));
  }

  rollback(id: number, baseHash?: string): Promise<Result<ApplyOutcome>> {
    return this.exclusive('rollback', async () => {
      const store = this.store('rollback');
      const state = this.engine.lifecycle().state;
      if (state !== 'running' && state !== 'failed') throw new ControlFailure('LS_ERR_CTL_STATE', `rollback: the engine is ${state}; start it first.`);
      const v = arg.integer('rollback', 'id', id, 1, Number.MAX_SAFE_INTEGER);
      const base = baseHash === undefined || baseHash === null ? undefined : arg.text('rollback', 'baseHash', baseHash, 64);
      return store.rollback(v, base);
    });
  }

  predictSplit(request: SplitRequest): Promise<Result<SplitPrediction>> {
    return this.answers.run('predictSplit', () => predictSplit(request));
  }

  explainHealthCheck(check: HealthCheckSpec): Promise<Result<string>> {
    return this.answers.run('explainHealthCheck', () => {
      const c = arg.record('explainHealthCheck', 'check', check);
      arg.oneOf('explainHealthCheck', 'check.type', c['type'], ['none', 'tcp', 'http'] as const);
      for (const [field, min, max] of [['interMs', 100, 3_600_000], ['fall', 1, 100], ['rise', 1, 100]] as const) {
        if (c[field] !== undefined) arg.integer('explainHealthCheck', `check.${field}`, c[field], min, max);
      }
      return ok(describeHealthCheck(c as unknown as HealthCheckSpec));
    });
  }

  probeServer(request: ProbeRequest): Promise<Result<ProbeResult>> {
    return this.answers.run('probeServer', () => probeServer(request));
  }

  checkListen(request: ListenCheckRequest): Promise<Result<ListenCheckResult>> {
    return this.answers.run('checkListen', () => checkListen(request, this.engine.currentConfig(), this.ownListeners));
  }

  traceRequest(request: TraceRequest): Promise<Result<TraceResult>> {
    return this.answers.run('traceRequest', () => traceRequest(this.engine, request));
  }

  /** The data dir's configuration store (`loadstar serve`, the desktop engine host); without one the file methods answer LS_ERR_CTL_STATE. */
  private store(method: string): ConfigStore {
    if (!this.configStore) throw new ControlFailure('LS_ERR_CTL_STATE', `${method}: this engine runs without a configuration file in a data dir (loadstar run -f); use 'loadstar serve' for versions and safe apply.`);
    return this.configStore;
  }

  // ------------------------------------------------------------------ helpers

  /** Opened at the first certificate call (resolving the data dir may fail; that is then an answer). */
  private get certs(): CertStore {
    return (this.certStore ??= new CertStore({ dataDir: this.dataDir }));
  }

  /** Runs a lifecycle change after the previous one has finished. */
  private exclusive<T>(method: string, body: () => Promise<Result<T>>): Promise<Result<T>> {
    const run = this.lifecycleQueue.then(() => this.answers.run(method, body));
    this.lifecycleQueue = run;
    return run;
  }
}
