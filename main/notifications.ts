/**
 * Desktop notifications from engine events: a server goes DOWN or comes back
 * UP, a backend loses its last server, a certificate expires within 14 days,
 * the engine restarts. Rate-limited and grouped so a flapping server or a
 * switch that takes a rack down does not produce a storm:
 * - changes within `groupWindowMs` are grouped per backend and direction
 *   ("3 servers went down in backend api");
 * - a server is notified at most once per `perServerMs`; when that interval
 *   ends and its state differs from the one last told, one catch-up says
 *   where it ended ("… is UP again; it changed state 6 times");
 * - a certificate is told at most once per `certRepeatMs`.
 * Plain module with an injected clock; main/index.ts hands `send` to Electron's Notification.
 */
import type { CertListing, EngineEvent } from '../proxy/control/contract.ts';
import type { SupervisorReport } from './supervisor.ts';

export interface DesktopNotification {
  title: string;
  body: string;
}

export interface NotifierClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface NotifierOptions {
  send(notification: DesktopNotification): void;
  clock?: NotifierClock;
  /** Notifications on/off (the tray toggle); consulted when sending. */
  enabled?: () => boolean;
  groupWindowMs?: number;
  perServerMs?: number;
  certRepeatMs?: number;
  /** A certificate is told about when it has this many days left or fewer. */
  certDays?: number;
}

const realClock: NotifierClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

type Direction = 'down' | 'up';

interface ServerMemory {
  /** The latest state label seen (UP, DOWN, MAINT …). */
  latest: string;
  /** The direction last notified, and when. */
  told?: Direction;
  toldAt: number;
  /** State changes since the last notification. */
  changes: number;
  catchUp?: unknown;
}

interface Group {
  backend: string;
  direction: Direction;
  servers: Array<{ name: string; changes: number; reason?: string }>;
  timer: unknown;
}

function direction(label: string): Direction | undefined {
  const word = label.split(' ')[0];
  if (word === 'DOWN') return 'down';
  if (word === 'UP') return 'up';
  return undefined;
}

export class Notifier {
  private readonly clock: NotifierClock;
  private readonly servers = new Map<string, ServerMemory>();
  private readonly groups = new Map<string, Group>();
  private readonly lastTold = new Map<string, number>();
  private readonly o: Required<Omit<NotifierOptions, 'clock'>>;

  constructor(options: NotifierOptions) {
    this.clock = options.clock ?? realClock;
    this.o = { enabled: () => true, groupWindowMs: 5000, perServerMs: 60_000, certRepeatMs: 24 * 3600_000, certDays: 14, ...options };
  }

  engineEvent(event: EngineEvent): void {
    if (event.type === 'health') this.serverChanged(event.event.backend, event.event.server, event.event.to, event.event.reason);
    else if (event.type === 'state' && event.server !== undefined) this.serverChanged(event.backend, event.server, event.to);
    else if (event.type === 'state' && direction(event.to) === 'down' && direction(event.from) !== 'down') {
      this.once(`backend:${event.backend}`, this.o.perServerMs, {
        title: `Backend ${event.backend} has no server left`,
        body: `Every server of backend ${event.backend} is down or out of service: its requests fail (503) until one comes back.`,
      });
    }
  }

  supervisorReport(report: SupervisorReport): void {
    if (report.type === 'restarting') this.once('engine:restart', this.o.perServerMs, { title: 'Loadstar engine restarted', body: report.message });
    else if (report.type === 'gave-up') this.emit({ title: 'Loadstar engine stopped', body: report.message });
    else if (report.type === 'config-failed') this.emit({ title: 'Loadstar could not start the proxy', body: report.message });
  }

  /** Feed the certificate listing (certList) now and then; expiring ones are told once per certRepeatMs, together. */
  certificates(listing: CertListing): void {
    const due = listing.certs.filter((c) => c.daysLeft <= this.o.certDays && this.due(`cert:${c.name}`, this.o.certRepeatMs));
    if (due.length === 0) return;
    for (const cert of due) this.lastTold.set(`cert:${cert.name}`, this.clock.now());
    const describe = (days: number) => (days < 0 ? `expired ${-days} day${days === -1 ? '' : 's'} ago` : days === 0 ? 'expires today' : `expires in ${days} day${days === 1 ? '' : 's'}`);
    if (due.length === 1) {
      const cert = due[0];
      this.emit({ title: `Certificate ${cert.name} ${describe(cert.daysLeft)}`, body: `${cert.subject} (${cert.sans.join(', ')}) is valid until ${cert.notAfter}. Renew it in Loadstar's Certificates page.` });
    } else {
      this.emit({
        title: `${due.length} certificates expire within ${this.o.certDays} days`,
        body: due.map((c) => `${c.name}: ${describe(c.daysLeft)}`).join('\n'),
      });
    }
  }

  /** Cancels pending timers (quit). */
  dispose(): void {
    for (const group of this.groups.values()) this.clock.clearTimeout(group.timer);
    this.groups.clear();
    for (const memory of this.servers.values()) if (memory.catchUp) this.clock.clearTimeout(memory.catchUp);
  }

  private serverChanged(backend: string, server: string, to: string, reason?: string): void {
    const key = `${backend}/${server}`;
    const memory = this.servers.get(key) ?? { latest: 'UP', toldAt: -Infinity, changes: 0 };
    this.servers.set(key, memory);
    const previous = direction(memory.latest);
    memory.latest = to;
    const now = direction(to);
    if (!now || now === previous) return; // MAINT/DRAIN are the user's own doing; repeats are not changes
    memory.changes++;
    const since = this.clock.now() - memory.toldAt;
    if (since >= this.o.perServerMs) {
      this.tell(backend, server, memory, now, reason);
    } else if (!memory.catchUp) {
      memory.catchUp = this.clock.setTimeout(() => {
        memory.catchUp = undefined;
        const ended = direction(memory.latest);
        if (ended && ended !== memory.told) this.tell(backend, server, memory, ended);
        else memory.changes = 0;
      }, this.o.perServerMs - since);
    }
  }

  private tell(backend: string, server: string, memory: ServerMemory, dir: Direction, reason?: string): void {
    memory.told = dir;
    memory.toldAt = this.clock.now();
    const changes = memory.changes;
    memory.changes = 0;
    const key = `${backend}\0${dir}`;
    let group = this.groups.get(key);
    if (!group) {
      group = { backend, direction: dir, servers: [], timer: undefined };
      this.groups.set(key, group);
      const g = group;
      group.timer = this.clock.setTimeout(() => this.flush(key, g), this.o.groupWindowMs);
    }
    group.servers.push({ name: server, changes, reason });
  }

  private flush(key: string, group: Group): void {
    this.groups.delete(key);
    const went = group.direction === 'down' ? 'went down' : 'came back up';
    if (group.servers.length === 1) {
      const [only] = group.servers;
      const flapped = only.changes > 1 ? ` It changed state ${only.changes} times in the last minute.` : '';
      this.emit({
        title: group.direction === 'down' ? `Server ${group.backend}/${only.name} is DOWN` : `Server ${group.backend}/${only.name} is UP again`,
        body: `${only.reason ?? `Server ${group.backend}/${only.name} ${went}.`}${flapped}`,
      });
      return;
    }
    this.emit({
      title: `${group.servers.length} servers ${went} in backend ${group.backend}`,
      body: group.servers.map((s) => s.name).join(', '),
    });
  }

  private due(key: string, interval: number): boolean {
    return this.clock.now() - (this.lastTold.get(key) ?? -Infinity) >= interval;
  }

  private once(key: string, interval: number, notification: DesktopNotification): void {
    if (!this.due(key, interval)) return;
    this.lastTold.set(key, this.clock.now());
    this.emit(notification);
  }

  private emit(notification: DesktopNotification): void {
    if (this.o.enabled()) this.o.send(notification);
  }
}
