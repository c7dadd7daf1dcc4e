/**
 * Keeping the keyboard user's place across an action that waits for the
 * engine. The button that started it is disabled meanwhile (one action at a
 * time), and a disabled element loses the focus to <body>: the next Tab would
 * start again from the top of the page. Afterwards the focus goes to the first
 * field the answer marked invalid within `form` (errors land at their field,
 * as in the wizard), else back where it was if it fell to <body>.
 */
import { tick } from 'svelte';

export async function keepingFocus(work: () => Promise<unknown>, form?: HTMLElement | null): Promise<void> {
  const focused = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  try {
    await work();
  } finally {
    await tick();
    const invalid = form?.querySelector<HTMLElement>('[aria-invalid="true"]');
    const now = document.activeElement;
    if (invalid) invalid.focus();
    else if (focused?.isConnected && !focused.matches(':disabled') && (now === null || now === document.body)) focused.focus();
  }
}
