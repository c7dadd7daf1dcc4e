/**
 * One server's health as HAProxy keeps it (check.c set_server_check_status,
 * srv_getinter): a health counter from 0 to rise+fall-1; the server is UP
 * while health >= rise. A failure takes one off (and drops to 0 below rise),
 * a success adds one (and jumps to rise+fall-1 once rise is reached). So an UP
 * server goes DOWN after `fall` consecutive failures ("UP 1/3", "UP 2/3" on
 * the way) and a DOWN one comes UP after `rise` successes ("DOWN 1/2").
 * Servers start UP with health = rise, as HAProxy's do: a check failing from
 * the start marks them DOWN at the first failure.
 *
 * With `agent-check` the agent keeps its own health (rise = fall = 1): while
 * the agent says "down" the regular check cannot bring the server UP, and
 * the agent's "up" brings it UP only if the regular check agrees
 * (check.c check_notify_success).
 */
import type { CheckOutcome } from './types.ts';

/** Operational state: running, stopped, or stopping (NOLB: disable-on-404 answered 404). */
export type OperationalState = 'UP' | 'DOWN' | 'NOLB';
/** Administrative state: from `disabled` or the runtime API. */
export type AdminState = 'READY' | 'MAINT' | 'DRAIN';

export interface CheckTimings {
  /** ms */ inter: number;
  /** ms, while a transition is in progress. */ fastinter: number;
  /** ms, while fully down. */ downinter: number;
  rise: number;
  fall: number;
}

/** Where the admin state is kept: the runtime server (its one copy), or the state itself when alone (tests). */
export interface AdminHolder {
  admin: AdminState;
}

export class HealthState {
  health: number;
  op: OperationalState = 'UP';
  private readonly holder: AdminHolder;
  /** The regular check runs (`check`); false for a server with only `agent-check`. */
  checked = true;
  /** The agent's health, 0 (said down) or 1; undefined without `agent-check`. */
  agentHealth: number | undefined;

  constructor(readonly timings: CheckTimings, disabled = false, holder?: AdminHolder) {
    this.holder = holder ?? { admin: disabled ? 'MAINT' : 'READY' };
    this.health = disabled ? 0 : timings.rise;
    if (disabled) this.op = 'DOWN';
  }

  /** Administrative state, read from its holder (RuntimeBackend.setServerAdmin writes it). */
  get admin(): AdminState {
    return this.holder.admin;
  }

  get full(): number {
    return this.timings.rise + this.timings.fall - 1;
  }

  /** Takes new traffic from the balancer. */
  get usable(): boolean {
    return this.op === 'UP' && this.admin === 'READY';
  }

  /**
   * Applies one check outcome; returns the new operational state when it
   * changed. Checks are paused in MAINT (HAProxy's CHK_ST_PAUSED).
   */
  record(outcome: CheckOutcome): OperationalState | undefined {
    const { rise } = this.timings;
    if (outcome === 'failed') {
      if (this.health > 0) {
        this.health--;
        if (this.health < rise) this.health = 0;
      }
      if (this.health === 0 && this.op !== 'DOWN') return (this.op = 'DOWN');
      return undefined;
    }
    if (this.health < this.full) {
      this.health++;
      if (this.health >= rise) this.health = this.full;
    }
    if (this.health < rise || this.agentHealth === 0) return undefined;
    const next: OperationalState = outcome === 'condpass' ? 'NOLB' : 'UP';
    if (this.op === next) return undefined;
    return (this.op = next);
  }

  /** Forces the operational state (on-error mark-down / sudden-death, runtime). */
  force(op: OperationalState): OperationalState | undefined {
    this.health = op === 'DOWN' ? 0 : this.full;
    if (this.op === op) return undefined;
    return (this.op = op);
  }

  /**
   * The agent's verdict: "down" (also fail / stopped) marks the server DOWN
   * whatever the regular check says; "up" marks it UP only when the regular
   * check is UP too, and never takes it out of NOLB. Nothing changes in MAINT.
   */
  agentReport(up: boolean): OperationalState | undefined {
    this.agentHealth = up ? 1 : 0;
    if (this.admin === 'MAINT') return undefined;
    if (!up) return this.op === 'DOWN' ? undefined : (this.op = 'DOWN');
    if (this.op !== 'DOWN' || (this.checked && this.health < this.timings.rise)) return undefined;
    return (this.op = 'UP');
  }

  /** The next check's delay: inter when settled, downinter when down, fastinter in between. */
  interval(): number {
    const t = this.timings;
    if (this.health === this.full) return t.inter;
    if (this.op === 'DOWN' && this.health === 0) return t.downinter;
    return t.fastinter;
  }

  /**
   * HAProxy's status column (stats.c srv_hlt_st): UP, "UP 1/3" (going down), DOWN,
   * "DOWN 1/2" (going up), "DOWN (agent)", NOLB, MAINT, DRAIN, "DRAIN (agent)",
   * "no check" (only an agent, server UP).
   */
  label(): string {
    const { rise, fall } = this.timings;
    if (this.admin === 'MAINT') return 'MAINT';
    if (this.op === 'DOWN' || (this.checked && this.health < rise)) {
      // HAProxy's stopped states: the agent said down; the check's health is 0; else, with a check or
      // an agent on, "going up" at the check's health ("DOWN 0/2" for an agent-only server forced down).
      if (this.agentHealth === 0) return 'DOWN (agent)';
      if (this.checked && this.health === 0) return 'DOWN';
      return this.checked || this.agentHealth !== undefined ? `DOWN ${this.health}/${rise}` : 'DOWN';
    }
    const going = this.checked && this.health < this.full;
    if (this.admin === 'DRAIN') {
      if (this.agentHealth !== undefined) return 'DRAIN (agent)';
      return going ? `DRAIN ${this.health - rise + 1}/${fall}` : 'DRAIN';
    }
    const base = this.op === 'NOLB' ? 'NOLB' : this.checked ? 'UP' : 'no check';
    return going ? `${base} ${this.health - rise + 1}/${fall}` : base;
  }
}
