/**
 * Inline confirmations ("Remove backend app? [Remove] [Cancel]") for the
 * keyboard: the question replaces the button that asked it, so without help
 * the focus falls to <body> and a keyboard user starts again from the top.
 * `confirmation` (an attachment on the question) moves the focus to its
 * Cancel, the safe answer, and makes Escape answer Cancel; `focusLater`
 * puts the focus back on the asking button once it is drawn again.
 */
import type { Attachment } from 'svelte/attachments';

/** Focuses the element `selector` finds after the next render (the asking button, back in place). */
export function focusLater(selector: string): void {
  requestAnimationFrame(() => document.querySelector<HTMLElement>(selector)?.focus());
}

/** On the element holding the question: focus its `[data-cancel]` button; Escape inside it calls `cancel`. */
export function confirmation(cancel: () => void): Attachment<HTMLElement> {
  return (element) => {
    element.querySelector<HTMLElement>('[data-cancel]')?.focus();
    const onKey = (event: KeyboardEvent): void => {
      if (event.key !== 'Escape') return;
      event.preventDefault();
      event.stopPropagation();
      cancel();
    };
    element.addEventListener('keydown', onKey);
    return () => element.removeEventListener('keydown', onKey);
  };
}
