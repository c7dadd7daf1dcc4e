/**
 * The in-process implementation of the control contract, used by
 * `loadstar run`, tests, and as the target of the IPC and HTTP transports.
 */
import { parseConfig, formatDiagnostic } from '../config/index.ts';
import type { Diagnostic } from '../config/index.ts';
import type { Config } from '../config/model.ts';
import type { Engine } from '../engine.ts';
import { PROXY_DEFAULTS } from '../config/provision.ts';
import { LoadstarError } from '../errors.ts';
import type { ControlContract, ControlDiagnostic, ValidateResult, ApplyResult, StatusSnapshot, ServerAdminState, ServerChangeResult } from './contract.ts';
import { setServerAdminState, setServerWeight } from '../runtime/admin.ts';

function toControl(d: Diagnostic): ControlDiagnostic {
  return { file: d.file, line: d.line, column: d.column, severity: d.severity, code: d.code, keyword: d.keyword, message: d.message, text: formatDiagnostic(d) };
}

export class InProcessControl implements ControlContract {
  constructor(private readonly engine: Engine, private config: Config) {}

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
}
