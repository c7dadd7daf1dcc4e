/**
 * Keeping a tooltip inside the viewport. The health timeline's tooltips hang from their band, at the
 * band's left edge (or, in the bar's right part, its right edge); on a phone a tooltip wider than the
 * room on that side began off-screen (x = −41 px at 390 px wide).
 */

/** Room kept between a tooltip and the viewport's edges, in CSS pixels. */
export const TOOLTIP_MARGIN_PX = 8;

/**
 * The horizontal shift (px) that brings a box spanning `left`..`right` inside `0..viewportWidth` with
 * `margin` to spare: 0 when it is inside already; a box wider than the room keeps its left edge in view.
 */
export function shiftIntoView(left: number, right: number, viewportWidth: number, margin = TOOLTIP_MARGIN_PX): number {
  // Left by what sticks out on the right, but never so far that the left edge leaves the view.
  if (right > viewportWidth - margin) return Math.max(viewportWidth - margin - right, margin - left);
  if (left < margin) return margin - left;
  return 0;
}

/** Moves a shown tooltip inside the viewport (`translate`, so the layout around it does not move). */
export function keepInView(tip: HTMLElement): void {
  tip.style.translate = '';
  const rect = tip.getBoundingClientRect();
  if (rect.width === 0) return;
  const shift = shiftIntoView(rect.left, rect.right, document.documentElement.clientWidth);
  if (shift !== 0) tip.style.translate = `${Math.round(shift)}px 0`;
}
