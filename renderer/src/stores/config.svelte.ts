/**
 * The configuration file as the wizard, the editor and import share it:
 * the running text with its hash (the base of every change), whether the
 * file was edited by hand, and the change being applied (safe apply resolves
 * when its grace window is over, so the page shows a countdown meanwhile).
 */
import type { ApplyOutcome, ConfigState, ChangeSource } from '../../../proxy/control/contract.ts';
import { control, type UiError } from '../transport/index.ts';

export interface Applying {
  source: ChangeSource;
  /** epoch ms when the request left */
  started: number;
  /** epoch ms when the grace window ends (estimated until getConfig reports it) */
  until: number;
}

class ConfigFile {
  state = $state.raw<ConfigState | null>(null);
  error = $state.raw<UiError | null>(null);
  loading = $state(false);
  applying = $state.raw<Applying | null>(null);
  /** The last change's outcome, for the screen that made it. */
  outcome = $state.raw<ApplyOutcome | null>(null);
  applyError = $state.raw<UiError | null>(null);

  async load(): Promise<ConfigState | null> {
    this.loading = true;
    const r = await control().getConfig();
    this.loading = false;
    if (r.ok) {
      this.state = r.value;
      this.error = null;
      return r.value;
    }
    this.error = r.error;
    return null;
  }

  /**
   * Safe apply of `text` based on the text loaded last. Resolves with the
   * outcome (also kept in `outcome`), or null with `applyError` set.
   * `baseHash`: the file's `diskHash` when the user chose to replace a file edited
   * by hand (loaded it into the editor, or said so); otherwise what runs, so a hand
   * edit the user has not seen is a conflict, never overwritten.
   */
  async apply(text: string, source: ChangeSource, summary?: string, baseHash?: string): Promise<ApplyOutcome | null> {
    const base = this.state ?? (await this.load());
    if (!base) {
      this.applyError = this.error;
      return null;
    }
    const started = Date.now();
    this.applying = { source, started, until: started + 10_000 };
    this.outcome = null;
    this.applyError = null;
    // The store reports the real end of the grace window once the change is in.
    const watch = setTimeout(() => void this.peekWindow(), 700);
    const r = await control().applyChange({ text, baseHash: baseHash ?? base.hash, source, ...(summary ? { summary } : {}) });
    clearTimeout(watch);
    this.applying = null;
    await this.load();
    if (!r.ok) {
      this.applyError = r.error;
      return null;
    }
    this.outcome = r.value;
    return r.value;
  }

  /** `overDisk`: the user was told the file was edited by hand and that the rollback replaces that edit. */
  async rollback(id: number, overDisk = false): Promise<ApplyOutcome | null> {
    const started = Date.now();
    this.applying = { source: 'rollback', started, until: started + 10_000 };
    this.outcome = null;
    this.applyError = null;
    const watch = setTimeout(() => void this.peekWindow(), 700);
    const r = await control().rollback(id, overDisk ? this.state?.diskHash : this.state?.hash);
    clearTimeout(watch);
    this.applying = null;
    await this.load();
    if (!r.ok) {
      this.applyError = r.error;
      return null;
    }
    this.outcome = r.value;
    return r.value;
  }

  private async peekWindow(): Promise<void> {
    const r = await control().getConfig();
    if (r.ok && r.value.watchingUntil && this.applying) this.applying = { ...this.applying, until: r.value.watchingUntil };
  }

  clearOutcome(): void {
    this.outcome = null;
    this.applyError = null;
  }
}

export const configFile = new ConfigFile();
