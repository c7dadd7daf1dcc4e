/**
 * What the tray shows, computed from the engine's real status: one of four
 * states (each with its own icon shape, not only colour), a tooltip with the
 * counts, and the menu as plain data. main/tray.ts turns it into Electron
 * objects; everything here is tested without Electron.
 */
import type { BindStatus, StatusSnapshot } from '../proxy/control/contract.ts';
import type { SupervisorState } from './supervisor.ts';

export type TrayHealth = 'healthy' | 'degraded' | 'down' | 'stopped';

/** Icon file per state (build/icons/tray-<state>.svg → PNGs): circle+check, triangle+!, octagon+×, hollow square. */
export const TRAY_ICON_SHAPES: Readonly<Record<TrayHealth, string>> = {
  healthy: 'circle with a check mark',
  degraded: 'triangle with an exclamation mark',
  down: 'octagon with a cross',
  stopped: 'hollow square (stop sign)',
};

export interface TrayInput {
  supervisor: SupervisorState;
  /** The latest status, absent while the engine is not serving. */
  status?: StatusSnapshot;
  openAtLogin: boolean;
  notifications: boolean;
  /** Why the engine is not running, when the supervisor knows (gave up, configuration failed). */
  problem?: string;
}

export interface TrayCounts {
  frontends: number;
  frontendsListening: number;
  servers: number;
  serversUp: number;
  /** Servers taken out on purpose (maintenance, drain): not a health problem. */
  serversParked: number;
  backends: number;
  backendsDown: number;
}

export type TrayAction =
  | { type: 'start' }
  | { type: 'stop' }
  | { type: 'open-dashboard' }
  | { type: 'toggle-open-at-login' }
  | { type: 'toggle-notifications' }
  | { type: 'quit' };

export type TrayMenuItem =
  | { kind: 'separator' }
  | { kind: 'item'; label: string; enabled: boolean; action?: TrayAction }
  | { kind: 'checkbox'; label: string; checked: boolean; action: TrayAction };

export interface TrayView {
  health: TrayHealth;
  icon: `tray-${TrayHealth}`;
  tooltip: string;
  counts: TrayCounts;
  menu: TrayMenuItem[];
}

export function countStatus(status: StatusSnapshot | undefined): TrayCounts {
  const counts: TrayCounts = { frontends: 0, frontendsListening: 0, servers: 0, serversUp: 0, serversParked: 0, backends: 0, backendsDown: 0 };
  if (!status) return counts;
  for (const frontend of status.frontends) {
    counts.frontends++;
    if (frontend.binds.length > 0 && frontend.binds.every((b) => b.listening)) counts.frontendsListening++;
  }
  for (const backend of status.backends) {
    counts.backends++;
    if (backend.servers.length > 0 && backend.usable === 0) counts.backendsDown++;
    for (const server of backend.servers) {
      counts.servers++;
      if (server.usable) counts.serversUp++;
      else if (server.admin !== 'ready') counts.serversParked++;
    }
  }
  return counts;
}

export function trayHealth(input: Pick<TrayInput, 'supervisor' | 'status'>): TrayHealth {
  const { supervisor, status } = input;
  if (supervisor === 'gave-up' || supervisor === 'config-failed') return 'down';
  if (supervisor === 'stopped' || supervisor === 'stopping') return 'stopped';
  const state = status?.lifecycle.state;
  if (state === 'failed') return 'down';
  if (!status || state === 'stopped' || state === 'stopping') return supervisor === 'restarting' ? 'down' : 'stopped';
  const counts = countStatus(status);
  const withServers = status.backends.filter((b) => b.servers.length > 0).length;
  if (withServers > 0 && counts.backendsDown === withServers) return 'down';
  if (counts.frontends > 0 && counts.frontendsListening === 0) return 'down';
  const unhealthyServers = counts.servers - counts.serversUp - counts.serversParked;
  if (counts.backendsDown > 0 || unhealthyServers > 0 || counts.frontendsListening < counts.frontends || supervisor === 'restarting') return 'degraded';
  return 'healthy';
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function trayTooltip(health: TrayHealth, counts: TrayCounts, problem?: string): string {
  if (health === 'stopped') return 'Loadstar: stopped';
  if (!counts.frontends && !counts.servers) return `Loadstar: ${health}${problem ? ` — ${problem}` : ''}`;
  const parts = [
    `${counts.serversUp} of ${plural(counts.servers, 'server')} up`,
    `${counts.backendsDown} of ${plural(counts.backends, 'backend')} down`,
    `${counts.frontendsListening} of ${plural(counts.frontends, 'frontend')} listening`,
  ];
  if (counts.serversParked > 0) parts.push(`${counts.serversParked} in maintenance or drain`);
  return `Loadstar: ${health} — ${parts.join(', ')}`;
}

function bindLabel(bind: BindStatus): string {
  const host = bind.address.includes(':') ? `[${bind.address}]` : bind.address || '*';
  return `${bind.tls ? 'https' : 'http'}://${host}:${bind.port}`;
}

export function trayView(input: TrayInput): TrayView {
  const health = trayHealth(input);
  const counts = countStatus(input.status);
  const hostUp = input.supervisor === 'running' || input.supervisor === 'starting' || input.supervisor === 'restarting';
  const engineState = input.status?.lifecycle.state;
  // The host may be alive with its engine stopped (Stop proxy keeps the dashboard working): that offers Start.
  const serving = hostUp && engineState !== 'stopped' && engineState !== 'stopping' && engineState !== 'failed';
  const menu: TrayMenuItem[] = [
    { kind: 'item', label: `Loadstar — ${health}`, enabled: false },
    serving ? { kind: 'item', label: 'Stop proxy', enabled: true, action: { type: 'stop' } } : { kind: 'item', label: 'Start proxy', enabled: true, action: { type: 'start' } },
    { kind: 'separator' },
  ];
  const frontends = serving ? input.status?.frontends ?? [] : [];
  if (frontends.length === 0) menu.push({ kind: 'item', label: serving ? 'No frontends yet' : 'Proxy not running', enabled: false });
  for (const frontend of frontends) {
    const listening = frontend.binds.length > 0 && frontend.binds.every((b) => b.listening);
    const addresses = frontend.binds.map(bindLabel).join(', ') || 'no bind';
    menu.push({ kind: 'item', label: `${frontend.name} — ${addresses} (${listening ? 'listening' : 'not listening'})`, enabled: false });
  }
  menu.push(
    { kind: 'separator' },
    { kind: 'item', label: 'Open dashboard', enabled: true, action: { type: 'open-dashboard' } },
    { kind: 'checkbox', label: 'Open at login', checked: input.openAtLogin, action: { type: 'toggle-open-at-login' } },
    { kind: 'checkbox', label: 'Notifications', checked: input.notifications, action: { type: 'toggle-notifications' } },
    { kind: 'separator' },
    { kind: 'item', label: 'Quit Loadstar', enabled: true, action: { type: 'quit' } },
  );
  return { health, icon: `tray-${health}`, tooltip: trayTooltip(health, counts, input.problem), counts, menu };
}
