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
/**
 * A timeline's stretch before its object's history: not configured yet (a
 * server added later), or no history yet (it was there when the history began).
 */
export type BeforeState = 'NOT-CONFIGURED' | 'NO-HISTORY';
/** A stretch when Loadstar was not running (stopped, quit, machine off): nothing was monitored. */
export type GapState = 'NOT-RUNNING';

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

/** A state that is not plainly serving: down or on its way up, failing checks, maintenance, draining, NOLB. */
export function needsAttention(status: string): boolean {
  const kind = healthKind(status);
  return kind !== 'up' && kind !== 'nocheck' && kind !== 'unknown';
}

/**
 * A server that needs attention. A checked server starts "UP 1/3" before its
 * first check, as HAProxy shows it (check status INI): that one has failed
 * nothing yet (300 servers just added would all be listed until checked).
 */
export function serverNeedsAttention(server: { status: string; check?: { lastCode?: string } }): boolean {
  if (healthKind(server.status) === 'going-down' && server.check !== undefined && server.check.lastCode === undefined) return false;
  return needsAttention(server.status);
}

/** What the Health screen's list shows: every row, or only those that need attention; and a name to find. */
export interface TimelineFilter {
  show: 'all' | 'attention';
  /** Part of the name, any case; '' finds every one. */
  find: string;
}

/**
 * Whether a row of the list (a server of the backend shown, or a backend of
 * all) passes the filter. A row without a name (the backend's own timeline
 * above its servers) always does: the servers are read against it.
 */
export function passesFilter(filter: TimelineFilter, name: string | undefined, attention: boolean): boolean {
  if (name === undefined) return true;
  if (filter.show === 'attention' && !attention) return false;
  const find = filter.find.trim().toLowerCase();
  return find === '' || name.toLowerCase().includes(find);
}

/**
 * A backend's state for a badge: DOWN without a usable server, degraded (said so) with some, UP with
 * all; one without servers at all (a stats listen's) is neither: "No servers", not checked.
 */
export function backendNow(usable: number, total: number): { status: string; text?: string } {
  if (total === 0) return { status: 'no check', text: 'No servers' };
  if (usable === 0) return { status: 'DOWN' };
  return usable < total ? { status: 'UP 1/2', text: `Degraded, ${usable} of ${total} usable` } : { status: 'UP' };
}

/**
 * A backend's server count in words, its backup servers apart (they take traffic only when no
 * regular server is up): "2/2 up, backup 1 standing by", "0/2 up, backup 1 serving",
 * "2/2 up, backup 1 down". Only backup servers (or none): "1/1 up", as before.
 */
export function serverCountText(servers: ReadonlyArray<{ usable: boolean; backup: boolean }>): string {
  const active = servers.filter((s) => !s.backup);
  const backups = servers.filter((s) => s.backup);
  const up = (list: typeof servers): number => list.filter((s) => s.usable).length;
  if (active.length === 0 || backups.length === 0) return `${up(servers)}/${servers.length} up`;
  const backupUp = up(backups);
  const down = backups.length - backupUp;
  const standing = backupUp === 0 ? [] : [`${backupUp} ${up(active) > 0 ? 'standing by' : 'serving'}`];
  return `${up(active)}/${active.length} up, backup ${[...standing, ...(down > 0 ? [`${down} down`] : [])].join(', ')}`;
}

/**
 * The rows that need attention (their `attention`, else by their status), in
 * words (never colour alone): "3 of 300 servers need attention", the first
 * `max` of them to name, and how many more.
 * Undefined when every one is fine.
 */
export function attentionSummary<T extends { name: string; status: string; attention?: boolean }>(items: readonly T[], noun: 'server' | 'backend', max = 12): { text: string; named: T[]; more: number; count: number } | undefined {
  const bad = items.filter((s) => s.attention ?? needsAttention(s.status));
  if (bad.length === 0) return undefined;
  const named = bad.slice(0, max);
  return {
    text: `${bad.length} of ${items.length} ${noun}${items.length === 1 ? '' : 's'} ${bad.length === 1 ? 'needs' : 'need'} attention`,
    named,
    more: bad.length - named.length,
    count: bad.length,
  };
}

/**
 * An uptime share as "99.87 %": to the hundredth, except that a range with
 * any downtime never reads 100.00 % (a server DOWN for 5 s of 24 hours is
 * 99.99 %) and one with any uptime never reads 0.00 %.
 */
export function uptimeText(fraction: number): string {
  if (!Number.isFinite(fraction)) return '–';
  let hundredths = Math.round(fraction * 10_000);
  if (fraction < 1 && hundredths >= 10_000) hundredths = 9_999;
  if (fraction > 0 && hundredths <= 0) hundredths = 1;
  return `${(hundredths / 100).toFixed(2)} %`;
}

/**
 * A checked server's step within one band ("UP → UP 1/3" after a failed
 * check, "UP 1/3 → UP" after its first good one, "DOWN → DOWN 1/2"): the
 * status column moves, the server's state does not. The Events list leaves
 * these out, as HAProxy's log does (it logs transitions; the steps only with
 * `option log-health-checks`); 300 checked servers starting were 300 lines.
 * Checks turned on or off ("no check" ↔ UP) and admin changes are kept.
 */
export function isCheckStep(event: { type: string; backend?: string; server?: string; from?: string; to?: string }): boolean {
  if (event.type !== 'state' || event.server === undefined || event.from === undefined || event.to === undefined) return false;
  if (event.from === 'no check' || event.to === 'no check') return false;
  return bandState(event.from) === bandState(event.to);
}

export interface TimelineBand {
  /** Stable per band start (the keyed each). */
  key: string;
  state: BandState | BeforeState | GapState;
  from: number;
  to: number;
  /** Position and size in % of the drawn range. */
  left: number;
  width: number;
  /** The transition that began it (none: the state at the start of the range, or of the object's history). */
  cause?: { time: number; from: string; to: string; code?: string; durationMs?: number; reason: string };
  /** A state that goes on after Loadstar was not running (no transition when it started again). */
  resumed?: true;
}

/** What a band is called, in the band and its tooltip (never its colour alone). */
export const BAND_TEXT: Record<TimelineBand['state'], string> = {
  UP: 'UP', DOWN: 'DOWN', DRAIN: 'DRAIN', MAINT: 'MAINT', NOLB: 'NOLB',
  'NOT-CONFIGURED': 'Not configured yet',
  'NO-HISTORY': 'No history yet',
  'NOT-RUNNING': 'Loadstar not running',
};

/**
 * Whether a band's name fits inside it, drawn at `barPx` wide: a name cut to "DOWI" reads as
 * something else, so a band too narrow keeps its name for screen readers and the tooltip.
 * The estimate is generous for the band's 0.75rem bold text (~9.5 px a capital, 7 px another
 * character) and its padding.
 * Before the bar is measured (0 px), a band of at least 6 % (18 % for the longer names) carries it.
 */
export function bandLabelFits(text: string, widthPercent: number, barPx: number): boolean {
  if (barPx <= 0) return widthPercent > (text.length > 5 ? 18 : 6);
  const px = (widthPercent / 100) * barPx;
  let textPx = 12;
  for (const c of text) textPx += c >= 'A' && c <= 'Z' ? 9.5 : 7;
  return px >= textPx;
}

interface BandData {
  initial: string;
  events: ReadonlyArray<NonNullable<TimelineBand['cause']>>;
  configuredSince?: { time: number; how: 'added' | 'history-began' };
  notRunning?: ReadonlyArray<{ from: number; to: number }>;
  /** The end of the range the data was read for: not running then, it is still not running past it (until read again). */
  to?: number;
}

/**
 * The bands of a timeline drawn over [start, end]: one per state (a step
 * within a band, UP → UP 1/3, does not start a new one). When the object's
 * history begins within the range (`configuredSince`), the stretch before it
 * is its own band, 'NOT-CONFIGURED' or 'NO-HISTORY', and the states begin there.
 * The periods when Loadstar was not running (`notRunning`) are bands of their
 * own, 'NOT-RUNNING', cut out of the states; a state going on after one is
 * `resumed` (its cause was before the gap).
 */
export function timelineBands(data: BandData, start: number, end: number): TimelineBand[] {
  const span = Math.max(1, end - start);
  const out: TimelineBand[] = [];
  const band = (state: TimelineBand['state'], from: number, to: number, cause?: TimelineBand['cause']): void => {
    if (to <= from) return;
    out.push({ key: `${from}`, state, from, to, left: ((from - start) / span) * 100, width: ((to - from) / span) * 100, ...(cause ? { cause } : {}) });
  };
  const since = data.configuredSince;
  const begins = since ? Math.min(Math.max(since.time, start), end) : start;
  if (since && begins > start) band(since.how === 'added' ? 'NOT-CONFIGURED' : 'NO-HISTORY', start, begins);
  const first = out.length;
  let state = bandState(data.initial);
  let from = begins;
  let cause: TimelineBand['cause'];
  for (const event of data.events) {
    const at = Math.min(Math.max(event.time, begins), end);
    const next = bandState(event.to);
    if (next === state && out.length > first) continue;
    band(state, from, at, cause);
    from = at;
    state = next;
    cause = event;
  }
  band(state, from, end, cause);
  const gaps = (data.notRunning ?? [])
    .map((g) => ({ from: Math.max(g.from, begins), to: Math.min(data.to !== undefined && g.to >= data.to ? end : g.to, end) }))
    .filter((g) => g.to > g.from);
  if (gaps.length === 0) return out;
  /** The part [from, to] of a state's band: its cause stays with its beginning. */
  const piece = (s: TimelineBand, from: number, to: number): void => {
    if (from === s.from) band(s.state, from, to, s.cause);
    else {
      band(s.state, from, to);
      out[out.length - 1]!.resumed = true;
    }
  };
  const states = out.splice(first);
  for (const s of states) {
    let at = s.from;
    for (const g of gaps) {
      if (g.to <= at || g.from >= s.to) continue;
      if (g.from > at) piece(s, at, g.from);
      at = g.to;
    }
    if (at < s.to) piece(s, at, s.to);
  }
  for (const g of gaps) band('NOT-RUNNING', g.from, g.to);
  return out.sort((a, b) => a.from - b.from);
}

/**
 * Since when a timeline's uptime counts, in words, when its history begins
 * within the range drawn ("since it was added 2026-12-03 15:20:00", "since
 * history began …"); undefined when it covers the whole range.
 */
export function sinceText(data: Pick<BandData, 'configuredSince'>, start: number, when: (t: number) => string): string | undefined {
  const since = data.configuredSince;
  if (!since || since.time <= start) return undefined;
  return since.how === 'added' ? `since it was added ${when(since.time)}` : `since history began ${when(since.time)}`;
}

/**
 * A server's chart shading ("Show health state"): the stretches it was not UP, each with the CSS
 * variable of its colour, as its timeline draws them: not before it was configured, not across the
 * time Loadstar was not running (nothing was monitored then).
 */
export function notUpShading(data: BandData & { from: number; to: number }): Array<{ from: number; to: number; colour: string }> {
  const colours: Partial<Record<TimelineBand['state'], string>> = { DOWN: '--bad', DRAIN: '--drain', MAINT: '--maint', NOLB: '--drain' };
  return timelineBands(data, data.from, data.to).flatMap((b) => {
    const colour = colours[b.state];
    return colour ? [{ from: b.from, to: b.to, colour }] : [];
  });
}

/**
 * How much of the range drawn Loadstar was not running, in words, when any
 * ("not counting 2 d 4 h while Loadstar was not running"): the uptime beside it is
 * a share of the rest. Undefined when it ran all along (or it is not known).
 */
export function notRunningText(data: Pick<BandData, 'notRunning'>, start: number, end: number, howLong: (ms: number) => string): string | undefined {
  let total = 0;
  for (const g of data.notRunning ?? []) total += Math.max(0, Math.min(g.to, end) - Math.max(g.from, start));
  return total > 0 ? `not counting ${howLong(total)} while Loadstar was not running` : undefined;
}

/**
 * A health check's result code (HAProxy's check_status, management.txt) in words for a home lab:
 * "L7OK" tells nothing to whoever has not read HAProxy's manual. Undefined for a code not listed.
 */
const CHECK_CODE_TEXT: Record<string, string> = {
  UNK: 'unknown',
  INI: 'starting',
  SOCKERR: 'socket error',
  L4OK: 'connection accepted',
  L4TOUT: 'connection timed out',
  L4CON: 'connection failed',
  L6OK: 'TLS handshake passed',
  L6TOUT: 'TLS handshake timed out',
  L6RSP: 'TLS protocol error',
  L7OK: 'answered OK',
  L7OKC: 'answered OK (conditionally)',
  L7TOUT: 'answer timed out',
  L7RSP: 'answer not understood',
  L7STS: 'answered with an error status',
};

export function checkCodeText(code: string): string | undefined {
  return CHECK_CODE_TEXT[code.replace(/^\*\s*/, '').trim()];
}
