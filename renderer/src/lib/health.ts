/**
 * HAProxy's status words sorted into the few kinds the UI draws. Every kind
 * has a label and an icon shape as well as a colour, so health is never
 * told by colour alone.
 */
export type HealthKind = 'up' | 'going-down' | 'down' | 'going-up' | 'nolb' | 'drain' | 'maint' | 'nocheck' | 'unknown';

export function healthKind(status: string): HealthKind {
  const s = status.trim().toUpperCase();
  if (s.startsWith('MAINT')) return 'maint';
  if (s.startsWith('DRAIN')) return 'drain';
  if (s.startsWith('NOLB')) return 'nolb';
  if (s.startsWith('NO CHECK')) return 'nocheck';
  if (/^UP\s+\d+\/\d+/.test(s)) return 'going-down';
  if (/^DOWN\s+\d+\/\d+/.test(s)) return 'going-up';
  if (s.startsWith('UP')) return 'up';
  if (s.startsWith('DOWN')) return 'down';
  return 'unknown';
}

export const KIND_TEXT: Record<HealthKind, string> = {
  up: 'Up',
  'going-down': 'Up, failing checks',
  down: 'Down',
  'going-up': 'Down, passing checks',
  nolb: 'Up, no new traffic (NOLB)',
  drain: 'Draining',
  maint: 'Maintenance',
  nocheck: 'Not checked',
  unknown: 'Unknown',
};

/** Timeline band states (the contract's labels). */
export type BandState = 'UP' | 'DOWN' | 'DRAIN' | 'MAINT' | 'NOLB';

export function bandState(label: string): BandState {
  const kind = healthKind(label);
  if (kind === 'down' || kind === 'going-up') return 'DOWN';
  if (kind === 'drain') return 'DRAIN';
  if (kind === 'maint') return 'MAINT';
  if (kind === 'nolb') return 'NOLB';
  return 'UP';
}

/**
 * The timelines (`backend/server`, `backend/` for the backend's own) an engine
 * event changes: the server's and its backend's. A state change within one
 * band (`UP` → `UP 1/3`, a check failing before the server goes DOWN) and
 * other events change none.
 */
export function timelineKeysOf(event: { type: string; backend?: string; server?: string; from?: string; to?: string; event?: { backend: string; server: string } }): string[] {
  const about = event.type === 'health' ? event.event : event.type === 'state' ? event : undefined;
  if (about?.backend === undefined) return [];
  if (event.type === 'state' && bandState(event.from ?? '') === bandState(event.to ?? '')) return [];
  return about.server ? [`${about.backend}/${about.server}`, `${about.backend}/`] : [`${about.backend}/`];
}

/**
 * What to reload after a burst of events touched `touched`: only those of the
 * shown timelines (a backend of 300 servers where one flaps reloads two, not
 * 301), or all of them (`'all'`) when most are touched anyway.
 */
export function timelinesToReload<T extends string>(shown: readonly T[], touched: ReadonlySet<string>): T[] | 'all' {
  const some = shown.filter((key) => touched.has(key));
  return some.length * 2 > shown.length ? 'all' : some;
}
