/**
 * Choices the UI keeps while the user moves between screens and across
 * reloads of the page (the Health screen's time range): in the browser's
 * localStorage, per origin. Not in the URL: every link to a screen
 * (`href('health', backend)`) would have to carry them.
 *
 * A storage that is missing or refuses (a private window's quota, a
 * disabled storage) only means the choice is not kept: never an error.
 */
export type ChoiceStorage = Pick<Storage, 'getItem' | 'setItem'>;

/** The page's localStorage, when there is one that can be used. */
export function pageStorage(): ChoiceStorage | undefined {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined;
  }
}

/** The remembered choice under `key`, if it is still one of `allowed`; else `fallback`. */
export function readChoice<T extends string>(storage: ChoiceStorage | undefined, key: string, allowed: readonly T[], fallback: T): T {
  try {
    const value = storage?.getItem(key);
    return allowed.find((a) => a === value) ?? fallback;
  } catch {
    return fallback;
  }
}

/** Remembers `value` under `key` (silently not, when the storage refuses). */
export function writeChoice(storage: ChoiceStorage | undefined, key: string, value: string): void {
  try {
    storage?.setItem(key, value);
  } catch {
    // Not kept: the screen still shows the choice until the page is left.
  }
}

/** Where the Health screen keeps its time range. */
export const HEALTH_RANGE_KEY = 'loadstar.health.range';
