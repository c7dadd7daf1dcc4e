/**
 * The timer of a health or agent check, like HAProxy's check task: each run
 * starts one interval after the previous run *started*, the interval moved by
 * up to ± `spread-checks` percent so checks do not fire in lockstep.
 */
export class PeriodicRun {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly run: () => Promise<unknown>,
    private readonly interval: () => number,
    private readonly spreadPercent: number,
  ) {}

  start(firstDelay: number): void {
    this.running = true;
    this.schedule(firstDelay);
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Brings the next run to `delay` ms from now (`on-error fastinter`). */
  runIn(delay: number): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.schedule(delay);
  }

  private schedule(delay: number): void {
    this.timer = setTimeout(() => void this.tick(), delay);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    const started = Date.now();
    await this.run();
    if (!this.running) return;
    const interval = this.spread(this.interval());
    this.schedule(Math.max(0, interval - ((Date.now() - started) % Math.max(1, interval))));
  }

  private spread(interval: number): number {
    const share = interval * this.spreadPercent / 100;
    return share > 0 ? Math.max(1, Math.round(interval + share - 2 * share * Math.random())) : interval;
  }
}
