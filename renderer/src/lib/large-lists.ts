/**
 * When a list is long enough that its items away from the screen should be
 * skipped by layout and paint (`content-visibility: auto`).
 *
 * Skipping is what keeps hundreds of servers smooth (docs/ui.md), but it has
 * a price a short list should not pay: until an item is first drawn its height
 * is an estimate (the scrollbar moves as the user scrolls), and a capture of
 * the whole page (a full-page screenshot, a bug report) shows the items past
 * the screen as blank boxes. A short list costs little to draw in full.
 */
export const SKIP_OFFSCREEN_FROM = 20;

/** True when a list of `count` items draws only what is near the screen. */
export function skipsOffscreen(count: number): boolean {
  return count > SKIP_OFFSCREEN_FROM;
}
