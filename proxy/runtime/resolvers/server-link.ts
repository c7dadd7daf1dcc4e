/**
 * A server resolved at run time (HAProxy's snr_resolution_cb, snr_update_srv_status and
 * snr_resolution_error_cb): a valid reply may give it another address (new connections go
 * there) or none (maintenance "No IP for server "); a failure lasting longer than its `hold`
 * puts it in maintenance ("DNS NX status" …) without an address; the next address brings it
 * back. Every change is told with HAProxy's words.
 */
import type { RuntimeBackend } from '../backend.ts';
import type { RuntimeServer } from '../server.ts';
import type { Holder } from './answers.ts';
import { pickAddress } from './pick.ts';
import type { PickOptions } from './pick.ts';
import type { Requester, Resolution, ResolutionStatus } from './resolution.ts';

/** `hold <status>` periods, ms. */
export type HoldPeriods = Record<'valid' | 'nx' | 'refused' | 'timeout' | 'other' | 'obsolete', number>;

const FAILURE_REASON: Record<Exclude<ResolutionStatus, 'valid' | 'none'>, string> = {
  nx: 'DNS NX status',
  timeout: 'DNS timeout status',
  refused: 'DNS refused status',
  other: 'unspecified DNS error',
};

export class ServerLink implements Requester {
  /** Updates counted by the nameserver whose reply gave the server its address. */
  onUpdate: (() => void) | undefined;

  /** A or AAAA: what its resolution asks first (`resolve-prefer`). */
  get queryType(): 'A' | 'AAAA' {
    return this.options.prefer === 4 ? 'A' : 'AAAA';
  }

  constructor(
    readonly backend: RuntimeBackend,
    readonly server: RuntimeServer,
    private readonly options: PickOptions,
    private readonly hold: HoldPeriods,
    private readonly notify: (message: string) => void,
    private readonly now: () => number,
  ) {}

  answered(resolution: Resolution, by: string | undefined): boolean {
    const server = this.server;
    const current = server.addressless ? undefined : server.host;
    const pick = pickAddress(resolution.records.ordered(), this.options, this, current, (h: Holder) => h instanceof ServerLink && h.backend === this.backend);
    let updated = false;
    if (pick.kind === 'new') {
      const to = pick.record.address;
      this.backend.setServerAddress(server, to);
      this.notify(`${this.backend.name}/${server.name} changed its IP from ${current ?? '(none)'} to ${to} by ${by ?? 'DNS cache'}.`);
      updated = true;
    }
    if (pick.kind === 'none') {
      if (server.resolutionMaint === undefined) this.enterMaintenance('No IP for server ');
    } else if (server.resolutionMaint !== undefined) {
      const label = `${server.backup ? 'Backup ' : ''}Server ${this.backend.name}/${server.name}`;
      this.backend.setServerResolutionMaint(server, undefined);
      if (!server.check) this.notify(`${label} ('${server.fqdn ?? ''}') is UP/READY (resolves again).`);
      this.notify(`Server ${this.backend.name}/${server.name} administratively READY thanks to valid DNS answer.`);
    }
    return updated;
  }

  failed(resolution: Resolution): boolean {
    const status = resolution.status;
    if (status === 'valid' || status === 'none') return true;
    const hold = status === 'other' ? this.hold.other : this.hold[status];
    if (resolution.lastValid + hold > this.now()) return true;
    if (this.server.resolutionMaint !== undefined) return true;
    this.enterMaintenance(FAILURE_REASON[status]);
    resolution.records.detach(this);
    return false;
  }

  private enterMaintenance(reason: string): void {
    enterResolutionMaint(this.backend, this.server, reason, this.notify);
  }
}

/**
 * HAProxy's srv_set_admin_flag(RMAINT, reason): no address, no traffic, one line telling why
 * with the backend's servers left (a checked server's check tells it instead: checks/checker.ts).
 */
export function enterResolutionMaint(backend: RuntimeBackend, server: RuntimeServer, reason: string, notify: (message: string) => void): void {
  const before = backend.usableCounts();
  const sessions = server.served;
  backend.setServerAddress(server, undefined);
  backend.setServerResolutionMaint(server, reason);
  if (server.check) return;
  const left = backend.usableCounts();
  const label = `${server.backup ? 'Backup ' : ''}Server ${backend.name}/${server.name}`;
  notify(`${label} is going DOWN for maintenance (${reason}). ${left.active} active and ${left.backup} backup servers left. ${sessions} sessions active, 0 requeued, ${server.queued} remaining in queue.`);
  if (before.active + before.backup > 0 && left.active + left.backup === 0) notify(`backend ${backend.name} has no server available!`);
}
