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
