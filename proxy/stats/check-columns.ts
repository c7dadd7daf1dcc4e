/**
 * `show stat`'s health check and agent columns, as HAProxy 2.6's stats_fill_sv_stats fills them:
 * shown while the check is enabled and not paused by maintenance; the status with "* " before it
 * while a check runs, INI before the first result (or what a server-state file saved); the code
 * only for statuses that carry one, 0 while a tcp-check runs; last_chk / last_agt empty while any
 * check runs; the health check's duration only once it has a result, the agent's always.
 */
import { CHECK_CODES, CHECK_STATUS_CHECKED, CHECK_STATUS_L57DATA, CHECK_STATUS_NUMBER, checkStatusText, hasStatusCode } from '../checks/types.ts';
import type { CheckResult } from '../checks/types.ts';
import type { ServerHealth } from '../runtime/server.ts';

/** What the columns need of one check (the regular check or the agent). */
export interface CheckColumnsView {
  /** CHK_ST_ENABLED without CHK_ST_PAUSED. */
  shown: boolean;
  inProgress: boolean;
  /**
   * The code reads 0: a check of tcp-check rules (httpchk, the agent, every kind but `option
   * external-check`) is under way. HAProxy 2.6's tcpcheck_main resets check->code before each rule
   * it runs; an external check's process leaves the last code.
   */
  codeCleared: boolean;
  last: CheckResult | undefined;
  /** The HCHK_STATUS_* number before the first result (a server-state file's, else INI). */
  initialStatus: number;
  rise: number;
  fall: number;
  health: number;
}

type Columns = Record<string, string | number>;

function statusColumns(view: CheckColumnsView): { status: string; code?: number; description: string; statusNumber: number; info: string; durationMs: number } {
  const last = view.last;
  if (last) {
    return {
      status: last.code, description: CHECK_CODES[last.code].description, statusNumber: CHECK_STATUS_NUMBER[last.code],
      // check_code is unsigned: a check killed by a signal (-1) shows 4294967295, as in HAProxy.
      ...(hasStatusCode(last.code) ? { code: (last.status ?? 0) >>> 0 } : {}), info: last.info, durationMs: last.durationMs,
    };
  }
  const text = checkStatusText(view.initialStatus);
  // A saved status with a code: this process has run no check, so its code is HAProxy's initial 0.
  return { status: text.name, description: text.description, statusNumber: view.initialStatus, ...(view.initialStatus > CHECK_STATUS_L57DATA ? { code: 0 } : {}), info: '', durationMs: 0 };
}

/** The column names of each kind of check, and whether its duration waits for a result. */
const NAMES = {
  health: { prefix: 'check', last: 'last_chk', durationOnceChecked: true },
  agent: { prefix: 'agent', last: 'last_agt', durationOnceChecked: false },
} as const;

/**
 * <prefix>_status, _code, _duration, last_chk / last_agt, _desc, _rise, _fall, _health: the health
 * check's duration only once it has a result (HCHK_STATUS_CHECKED), the agent's always.
 */
export function checkColumns(kind: keyof typeof NAMES, view: CheckColumnsView): Columns {
  if (!view.shown) return {};
  const { prefix, last, durationOnceChecked } = NAMES[kind];
  const s = statusColumns(view);
  return {
    [`${prefix}_status`]: `${view.inProgress ? '* ' : ''}${s.status}`,
    // The status stays the last result's while a check runs; the code does only for an external check.
    ...(s.code !== undefined ? { [`${prefix}_code`]: view.codeCleared ? 0 : s.code } : {}),
    ...(!durationOnceChecked || s.statusNumber >= CHECK_STATUS_CHECKED ? { [`${prefix}_duration`]: s.durationMs } : {}),
    // HAProxy clears check->desc as a check starts (set_server_check_status, HCHK_STATUS_START), whatever its kind.
    [last]: view.inProgress ? '' : s.info, [`${prefix}_desc`]: s.description,
    [`${prefix}_rise`]: view.rise, [`${prefix}_fall`]: view.fall, [`${prefix}_health`]: view.health,
  };
}

/** Whether a server's health check code reads 0 now (CheckColumnsView's `codeCleared`). */
export function healthCodeCleared(check: ServerHealth): boolean {
  return check.inProgress && !check.settings.external;
}

/**
 * Both sets of columns for a server's checks. `checking`: its regular check is configured and
 * enabled (CHK_ST_ENABLED); maintenance pauses it (CHK_ST_PAUSED), never the agent.
 */
export function serverCheckColumns(check: ServerHealth, checking: boolean): Columns {
  const { timings, health, agentHealth } = check.state;
  const agent = check.agent;
  return {
    ...checkColumns('health', {
      shown: checking && !check.paused, inProgress: check.inProgress, codeCleared: healthCodeCleared(check), last: check.results.last(),
      initialStatus: check.restoredStatus?.status ?? 1, rise: timings.rise, fall: timings.fall, health,
    }),
    // HAProxy's agent rises and falls in one step (DEF_AGENT_RISETIME, DEF_AGENT_FALLTIME).
    ...(agent ? checkColumns('agent', {
      shown: check.agentEnabled, inProgress: agent.inProgress, codeCleared: agent.inProgress, last: agent.last, initialStatus: 1, rise: 1, fall: 1, health: agentHealth ?? 0,
    }) : {}),
  };
}
