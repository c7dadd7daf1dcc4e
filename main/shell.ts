/**
 * The desktop shell's behaviour, without Electron: keeps the tray in step
 * with the engine (on every engine event and supervisor report, coalesced,
 * and every few seconds), turns events into notifications, checks
 * certificates, and carries out the tray's actions. main/index.ts hands it
 * the Electron-facing ports.
 */
import type { ControlContract, StatusSnapshot } from '../proxy/control/contract.ts';
import { Notifier } from './notifications.ts';
import type { DesktopNotification } from './notifications.ts';
import type { DesktopPreferences } from './preferences.ts';
import type { EngineSupervisor } from './supervisor.ts';
import { trayView } from './tray-state.ts';
import type { TrayAction, TrayView } from './tray-state.ts';

export interface ShellPorts {
  showTray(view: TrayView): void;
  showWindow(): void;
  quit(): void;
  notify(notification: DesktopNotification): void;
  openAtLogin: { get(): boolean; set(enabled: boolean): void };
  preferences: { read(): DesktopPreferences; write(preferences: DesktopPreferences): void };
}

export interface ShellOptions {
  trayRefreshMs?: number;
  certCheckMs?: number;
  /** How long the engine gets to finish in-flight work on quit. */
  quitGraceMs?: number;
}

type SupervisorPart = Pick<EngineSupervisor, 'state' | 'start' | 'stop' | 'onReport'>;

export class DesktopShell {
  private preferences: DesktopPreferences;
  private problem: string | undefined;
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private timers: NodeJS.Timeout[] = [];
  private readonly notifier: Notifier;
  private readonly options: Required<ShellOptions>;
  /** The latest status the tray was drawn from. */
  status: StatusSnapshot | undefined;

  constructor(private readonly supervisor: SupervisorPart, private readonly control: ControlContract, private readonly ports: ShellPorts, options: ShellOptions = {}) {
    this.options = { trayRefreshMs: 5000, certCheckMs: 6 * 3600_000, quitGraceMs: 10_000, ...options };
    this.preferences = ports.preferences.read();
    this.notifier = new Notifier({ send: (n) => ports.notify(n), enabled: () => this.preferences.notifications });
    supervisor.onReport((report) => {
      this.notifier.supervisorReport(report);
      this.problem = report.type === 'gave-up' || report.type === 'config-failed' ? report.message : undefined;
      if (report.type === 'started') void this.checkCertificates();
      void this.refreshTray();
    });
    control.subscribe(['events'], (event) => {
      this.notifier.engineEvent(event.payload);
      void this.refreshTray();
    });
  }

  /** Starts the engine and the periodic work; shows the window unless started hidden (at login). */
  async start(hidden: boolean): Promise<void> {
    this.supervisor.start();
    this.timers.push(setInterval(() => void this.refreshTray(), this.options.trayRefreshMs).unref());
    this.timers.push(setInterval(() => void this.checkCertificates(), this.options.certCheckMs).unref());
    await this.refreshTray();
    if (!hidden) this.ports.showWindow();
  }

  /** Quit: the engine stops gracefully (in-flight work gets quitGraceMs; the supervisor kills it after that plus a margin). */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.notifier.dispose();
    await this.supervisor.stop(this.options.quitGraceMs);
  }

  async act(action: TrayAction): Promise<void> {
    switch (action.type) {
      case 'start':
        // A live host with its engine stopped starts the engine; a host that is gone is started again.
        if (this.supervisor.state === 'running') await this.control.start();
        else this.supervisor.start();
        break;
      case 'stop':
        // Stops the engine and keeps its host: the dashboard still answers and Start proxy is one click.
        if (this.supervisor.state === 'running') await this.control.stop();
        else await this.supervisor.stop(0);
        break;
      case 'open-dashboard':
        this.ports.showWindow();
        return;
      case 'toggle-open-at-login':
        this.ports.openAtLogin.set(!this.ports.openAtLogin.get());
        break;
      case 'toggle-notifications':
        this.preferences = { ...this.preferences, notifications: !this.preferences.notifications };
        this.ports.preferences.write(this.preferences);
        break;
      case 'quit':
        this.ports.quit();
        return;
    }
    await this.refreshTray();
  }

  /** Redraws the tray from a fresh status; calls while one runs are folded into one more run. */
  refreshTray(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        const answer = this.supervisor.state === 'running' ? await this.control.status() : undefined;
        this.status = answer?.ok ? answer.value : undefined;
        this.ports.showTray(trayView({
          supervisor: this.supervisor.state,
          status: this.status,
          openAtLogin: this.ports.openAtLogin.get(),
          notifications: this.preferences.notifications,
          problem: this.problem,
        }));
      } while (this.refreshAgain);
    })().finally(() => { this.refreshing = undefined; });
    return this.refreshing;
  }

  private async checkCertificates(): Promise<void> {
    const listing = await this.control.certList();
    if (listing.ok) this.notifier.certificates(listing.value);
  }
}
