/**
 * The in-process implementation of the control contract, used by
 * `loadstar run`, tests, and as the target of the IPC and HTTP transports.
 */
import { parseConfig, formatDiagnostic } from '../config/index.ts';
import type { Diagnostic } from '../config/index.ts';
import type { Config } from '../config/model.ts';
import type { Engine } from '../engine.ts';
import { PROXY_DEFAULTS } from '../config/provision.ts';
import { LoadstarError, CertError } from '../errors.ts';
import type { ControlContract, ControlDiagnostic, ValidateResult, ApplyResult, StatusSnapshot, ServerAdminState, ServerChangeResult } from './contract.ts';
import type { CaInfo, CaInitRequest, CertCaExport, CertImportRequest, CertInfo, CertListing, CertResult, IssueRequest } from './contract.ts';
import { setServerAdminState, setServerWeight } from '../runtime/admin.ts';
import { CertStore } from '../certs/store.ts';
import { statsSnapshot, series, timeline, subscribeAccessLog, subscribeEvents } from '../stats/control.ts';
import type { StatsSnapshot, SeriesRange, SeriesResult } from '../stats/control.ts';
import type { ControlEventMap, TimelineResult } from './contract.ts';

function toControl(d: Diagnostic): ControlDiagnostic {
  return { file: d.file, line: d.line, column: d.column, severity: d.severity, code: d.code, keyword: d.keyword, message: d.message, text: formatDiagnostic(d) };
}

export interface InProcessOptions {
  /** Certificate store location; default as `loadstar cert` resolves it ($LOADSTAR_DATA_DIR …). */
  dataDir?: string;
}

/** A CertError (bad input, store problem) becomes the answer; anything else is a bug and throws. */
function certFailure(e: unknown): CertResult<never> {
  if (e instanceof CertError) return { ok: false, error: { code: e.code, message: e.message } };
  throw e;
}

async function certAnswer<T>(action: () => T | Promise<T>): Promise<CertResult<T>> {
  try {
    return { ok: true, value: await action(), warnings: [] };
  } catch (e) {
    return certFailure(e);
  }
}

export class InProcessControl implements ControlContract {
  private readonly certs: CertStore;

  constructor(private readonly engine: Engine, private config: Config, options: InProcessOptions = {}) {
    this.certs = new CertStore({ dataDir: options.dataDir });
  }

  async validateConfig(text: string, name = 'haproxy.cfg'): Promise<ValidateResult> {
    const result = parseConfig([{ name, text }]);
    return { ok: result.ok, diagnostics: result.diagnostics.map(toControl) };
  }

  async applyConfig(text: string, name = 'haproxy.cfg'): Promise<ApplyResult> {
    const result = parseConfig([{ name, text }]);
    const diagnostics = result.diagnostics.map(toControl);
    if (!result.ok) return { applied: false, diagnostics };
    try {
      await this.engine.reload(result.config);
    } catch (e) {
      // Engine refusals (unsupported behaviour, a bind that fails) keep the running configuration.
      if (e instanceof LoadstarError) return { applied: false, diagnostics, error: { code: e.code, message: e.message } };
      throw e;
    }
    this.config = result.config;
    return { applied: true, diagnostics };
  }

  async setServerState(backend: string, server: string, state: ServerAdminState): Promise<ServerChangeResult> {
    return setServerAdminState(this.engine, backend, server, state);
  }

  async setServerWeight(backend: string, server: string, weight: number): Promise<ServerChangeResult> {
    return setServerWeight(this.engine, backend, server, weight);
  }

  async status(): Promise<StatusSnapshot> {
    const backends = this.config.proxies
      .filter((p) => (p.kind === 'backend' || p.kind === 'listen') && !p.disabled)
      .flatMap((p) => {
        const runtime = this.engine.backend(p.name);
        if (!runtime) return [];
        return [{
          name: p.name,
          mode: p.mode ?? PROXY_DEFAULTS.mode,
          algorithm: p.balance?.algorithm ?? PROXY_DEFAULTS.balance,
          queued: runtime.queue.length,
          servers: runtime.servers.map((s) => ({
            name: s.name,
            status: s.status,
            address: `${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}`,
            usable: s.usable,
            weight: s.weight,
            backup: s.backup,
            current: s.served,
            queued: s.queued,
            maxconn: s.maxconn,
            total: s.total,
            connectErrors: s.connectErrors,
            retries: s.retries,
          })),
        }];
      });
    return {
      at: Date.now(),
      running: true,
      listeners: this.engine.addresses().map((a) => ({ frontend: a.frontend, address: a.address, port: a.port })),
      backends,
    };
  }

  async certCaStatus(): Promise<CertResult<CaInfo | null>> {
    return certAnswer(() => this.certs.caStatus());
  }

  async certCaInit(request: CaInitRequest): Promise<CertResult<CaInfo>> {
    return certAnswer(() => this.certs.initCa({ ...request, force: request?.force === true }));
  }

  async certCaExport(format: 'pem' | 'der'): Promise<CertResult<CertCaExport>> {
    return certAnswer(() => format === 'der'
      ? { format, data: this.certs.exportCa('der').toString('base64'), fileName: 'loadstar-ca.crt' }
      : { format: 'pem', data: this.certs.exportCa('pem'), fileName: 'loadstar-ca.pem' });
  }

  async certIssue(request: IssueRequest): Promise<CertResult<CertInfo>> {
    return certAnswer(() => this.certs.issue({ ...request, selfSigned: request?.selfSigned === true }));
  }

  async certImport(request: CertImportRequest): Promise<CertResult<CertInfo>> {
    try {
      const pems: unknown = request?.pems;
      if (!Array.isArray(pems) || pems.length === 0 || pems.some((p) => typeof p !== 'string')) {
        throw new CertError('LS_ERR_CERT_NO_CERTIFICATE', 'pems must be a non-empty list of PEM texts');
      }
      if (request.passphrase !== undefined && typeof request.passphrase !== 'string') {
        throw new CertError('LS_ERR_CERT_KEY_PASSPHRASE', 'the passphrase must be text');
      }
      const sources = (pems as string[]).map((data, i) => ({ label: `upload #${i + 1}`, data }));
      const stored = this.certs.import({ name: request.name, sources, passphrase: request.passphrase });
      return { ok: true, value: stored.info, warnings: stored.warnings };
    } catch (e) {
      return certFailure(e);
    }
  }

  async certList(): Promise<CertResult<CertListing>> {
    return certAnswer(() => this.certs.list());
  }

  async certRemove(name: string): Promise<CertResult<{ name: string }>> {
    return certAnswer(() => {
      this.certs.remove(name);
      return { name };
    });
  }

  async stats(): Promise<StatsSnapshot> {
    return statsSnapshot(this.engine);
  }

  async series(id: string, range: SeriesRange): Promise<SeriesResult> {
    return series(this.engine, id, range);
  }

  async timeline(backend: string, server: string, range: { from?: number; to?: number } = {}): Promise<TimelineResult> {
    const events = timeline(this.engine, backend, server, range);
    return events ? { ok: true, events } : { ok: false, error: { code: 'LS_ERR_CTL_NOT_FOUND', message: `No such server '${backend}/${server}'.` } };
  }

  subscribe<K extends keyof ControlEventMap>(topic: K, listener: (payload: ControlEventMap[K]) => void): () => void {
    if (topic === 'access-log') return subscribeAccessLog(this.engine, listener as (p: ControlEventMap['access-log']) => void);
    return subscribeEvents(this.engine, listener as (p: ControlEventMap['events']) => void);
  }
}
