/**
 * An unfinished wizard kept across a reload of the page (F5, a browser that
 * restores the tab): the draft, its mode and its step in the tab's
 * sessionStorage, so coming back resumes it as the in-page navigation does.
 * Never a secret: a PEM pasted for import is left out (once its step is
 * passed, the draft holds the stored certificate's path instead), and so is
 * the stats page's password (typed again after a reload). A storage
 * that is missing, full or holds something unreadable only means nothing is
 * resumed: never an error.
 */
import { type ChoiceStorage } from './remembered.ts';
import { newSite, type SiteDraft, type StepId, type WizardMode } from './wizard.ts';

export const SAVED_WIZARD_KEY = 'loadstar.wizard';

export interface SavedWizard {
  mode: WizardMode;
  draft: SiteDraft;
  step: StepId;
}

type Storage = ChoiceStorage & Pick<globalThis.Storage, 'removeItem'>;

/** The tab's sessionStorage, when there is one that can be used. */
export function tabStorage(): Storage | undefined {
  try {
    return typeof sessionStorage === 'undefined' ? undefined : sessionStorage;
  } catch {
    return undefined;
  }
}

export function saveWizard(storage: Storage | undefined, saved: SavedWizard): void {
  try {
    storage?.setItem(SAVED_WIZARD_KEY, JSON.stringify({ ...saved, draft: { ...saved.draft, importPem: '', statsPassword: '' } }));
  } catch {
    // Full or refused: the draft is simply not kept.
  }
}

export function forgetWizard(storage: Storage | undefined): void {
  try {
    storage?.removeItem(SAVED_WIZARD_KEY);
  } catch {
    // Nothing to forget then.
  }
}

/** The saved wizard of `mode`, if there is one (a draft of another mode or an unreadable one: none). */
export function readWizard(storage: Storage | undefined, mode: WizardMode): SavedWizard | undefined {
  try {
    const raw = storage?.getItem(SAVED_WIZARD_KEY);
    if (!raw) return undefined;
    const saved = JSON.parse(raw) as Partial<SavedWizard>;
    if (JSON.stringify(saved.mode) !== JSON.stringify(mode) || typeof saved.step !== 'string') return undefined;
    const draft = saved.draft;
    if (!draft || typeof draft !== 'object' || !['http', 'https', 'tcp'].includes(draft.kind) || !Array.isArray(draft.backends) || !Array.isArray(draft.rules)) return undefined;
    // Fields a later version added get their defaults.
    return { mode, step: saved.step, draft: { ...newSite(draft.kind), ...draft } };
  } catch {
    return undefined;
  }
}
