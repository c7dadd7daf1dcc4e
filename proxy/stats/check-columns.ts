/**
 * `show stat`'s health check and agent columns, as HAProxy 2.6's stats_fill_sv_stats fills them:
 * shown while the check is enabled and not paused by maintenance; the status with "* " before it
 * while a check runs, INI before the first result (or what a server-state file saved); the code
 * only for statuses that carry one; the health check's duration only once it has a result, the
 * agent's always.
 */
import { CHECK_CODES, CHECK_STATUS_CHECKED, CHECK_STATUS_L57DATA, CHECK_STATUS_NUMBER, checkStatusText, hasStatusCode } from '../checks/types.ts';
import type { CheckResult } from '../checks/types.ts';
import type { ServerHealth } from '../runtime/server.ts';

/** What the columns need of one check (the regular check or the agent). */
export interface CheckColumnsView {
  /** CHK_ST_ENABLED without CHK_ST_PAUSED. */
  shown: boolean;
  inProgress: boolean;
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

/** check_status, check_code, check_duration, last_chk, check_desc, check_rise, check_fall, check_health. */
export function healthCheckColumns(view: CheckColumnsView): Columns {
  if (!view.shown) return {};
  const s = statusColumns(view);
  return {
    check_status: `${view.inProgress ? '* ' : ''}${s.status}`,
    ...(s.code !== undefined ? { check_code: s.code } : {}),
    ...(s.statusNumber >= CHECK_STATUS_CHECKED ? { check_duration: s.durationMs } : {}),
    last_chk: s.info, check_desc: s.description,
    check_rise: view.rise, check_fall: view.fall, check_health: view.health,
  };
}

/** agent_status, agent_code, agent_duration, last_agt, agent_desc, agent_rise, agent_fall, agent_health. */
export function agentColumns(view: CheckColumnsView): Columns {
  if (!view.shown) return {};
  const s = statusColumns(view);
  return {
    agent_status: `${view.inProgress ? '* ' : ''}${s.status}`,
    ...(s.code !== undefined ? { agent_code: s.code } : {}),
    agent_duration: s.durationMs, last_agt: s.info, agent_desc: s.description,
    agent_rise: view.rise, agent_fall: view.fall, agent_health: view.health,
  };
}

/**
 * Both sets of columns for a server's checks. `checking`: its regular check is configured and
 * enabled (CHK_ST_ENABLED); maintenance pauses it (CHK_ST_PAUSED), never the agent.
 */
export function serverCheckColumns(check: ServerHealth, checking: boolean): Columns {
  const { timings, health, agentHealth } = check.state;
  const agent = check.agent;
  return {
    ...healthCheckColumns({
      shown: checking && !check.paused, inProgress: check.inProgress, last: check.results.last(),
      initialStatus: check.restoredStatus?.status ?? 1, rise: timings.rise, fall: timings.fall, health,
    }),
    // HAProxy's agent rises and falls in one step (DEF_AGENT_RISETIME, DEF_AGENT_FALLTIME).
    ...(agent ? agentColumns({
      shown: check.agentEnabled, inProgress: agent.inProgress, last: agent.last, initialStatus: 1, rise: 1, fall: 1, health: agentHealth ?? 0,
    }) : {}),
  };
}
