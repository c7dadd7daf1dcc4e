/**
 * One server's health as HAProxy keeps it (check.c set_server_check_status,
 * srv_getinter): a health counter from 0 to rise+fall-1; the server is UP
 * while health >= rise. A failure takes one off (and drops to 0 below rise),
 * a success adds one (and jumps to rise+fall-1 once rise is reached). So an UP
 * server goes DOWN after `fall` consecutive failures ("UP 1/3", "UP 2/3" on
 * the way) and a DOWN one comes UP after `rise` successes ("DOWN 1/2").
 * Servers start UP with health = rise, as HAProxy's do: a check failing from
 * the start marks them DOWN at the first failure.
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

export class HealthState {
  health: number;
  op: OperationalState = 'UP';
  admin: AdminState;

  constructor(readonly timings: CheckTimings, disabled = false) {
    this.admin = disabled ? 'MAINT' : 'READY';
    this.health = disabled ? 0 : timings.rise;
    if (disabled) this.op = 'DOWN';
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
    if (this.health < rise) return undefined;
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

  /** The next check's delay: inter when settled, downinter when down, fastinter in between. */
  interval(): number {
    const t = this.timings;
    if (this.health === this.full) return t.inter;
    if (this.op === 'DOWN' && this.health === 0) return t.downinter;
    return t.fastinter;
  }

  /** HAProxy's status column: UP, "UP 1/3" (going down), DOWN, "DOWN 1/2" (going up), NOLB, MAINT, DRAIN. */
  label(): string {
    const { rise, fall } = this.timings;
    if (this.admin === 'MAINT') return 'MAINT';
    if (this.health >= rise) {
      const base = this.admin === 'DRAIN' ? 'DRAIN' : this.op === 'NOLB' ? 'NOLB' : 'UP';
      return this.health === this.full ? base : `${base} ${this.health - rise + 1}/${fall}`;
    }
    return this.health === 0 ? 'DOWN' : `DOWN ${this.health}/${rise}`;
  }
}
