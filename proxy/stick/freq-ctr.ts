/**
 * HAProxy's period frequency counter (freq_ctr.h update_freq_ctr_period,
 * freq_ctr.c freq_ctr_total), the arithmetic behind every `*_rate(<period>)`
 * a stick table stores: events of the current period plus those of the
 * previous period weighted by the part of it still inside the sliding window.
 * Times are milliseconds on the stick-table clock (clock.ts).
 */
export class FreqCtr {
  /** Start of the current period (HAProxy keeps it even: the low bit is its rotation lock). */
  private currTick = 0;
  private currCtr = 0;
  private prevCtr = 0;

  /** update_freq_ctr_period(): counts `inc` events now; returns the current period's count. */
  update(period: number, inc: number, now: number): number {
    if (now - this.currTick < period) return (this.currCtr += inc);
    // A rotation: the current period becomes the previous one.
    this.prevCtr = this.currCtr;
    this.currCtr = inc;
    let tick = this.currTick + period;
    if (now - tick >= period) {
      // At least two periods were missed.
      this.prevCtr = 0;
      tick = now;
    }
    this.currTick = tick - (tick % 2);
    return inc;
  }

  /** read_freq_ctr_period(): the events over the last `period` ms (freq_ctr_total with pend = -1, the flapping correction). */
  read(period: number, now: number): number {
    const { curr, past, remain } = this.window(period, now);
    if (curr === 0 && past <= 1) return past;
    return Math.floor((past * remain + curr * period) / period);
  }

  /** freq_ctr_remain_period(): how many more events fit under `freq` per `period` now (0: the limit is reached). */
  remain(period: number, freq: number, now: number): number {
    return freq - Math.min(freq, Math.floor(this.total(period, now) / period));
  }

  /** next_event_delay_period(): ms until one more event fits under `freq` (0: now; else at least 1). */
  delay(period: number, freq: number, now: number): number {
    const over = this.total(period, now) - freq * period;
    if (over < 0) return 0;
    return Math.max(1, Math.floor(over / freq));
  }

  /** freq_ctr_total() without pending events: the sliding window's events, times the period. */
  private total(period: number, now: number): number {
    const { curr, past, remain } = this.window(period, now);
    return past * remain + curr * period;
  }

  /** The counts as seen at `now`: past the first period, part of the last one may still count, or it is too far away. */
  private window(period: number, now: number): { curr: number; past: number; remain: number } {
    let curr = this.currCtr;
    let past = this.prevCtr;
    let remain = this.currTick + period - now;
    if (remain < 0) {
      remain += period;
      past = remain >= 0 ? curr : 0;
      curr = 0;
    }
    return { curr, past, remain };
  }

  /**
   * `set table … data.<rate> <value>` (table_process_entry_per_key): the current period starts now
   * with `value` events and none before, so the rate reads `value` for a whole period, then fades.
   */
  set(value: number, now: number): void {
    this.currTick = now - (now % 2);
    this.prevCtr = 0;
    this.currCtr = value;
  }

  /** The current period's raw count (what sc_inc_gpc0 returns when only gpc0_rate is stored). */
  get current(): number {
    return this.currCtr;
  }
}
