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

/**
 * After the next render, focuses the first of `selectors` that finds an enabled element: where a
 * keyboard user goes on after adding a row (its first field), moving one (the same button at its new
 * place) or removing the last one (the row before it, else the add button), instead of <body>.
 */
export async function focusAfterRender(...selectors: string[]): Promise<void> {
  await tick();
  for (const selector of selectors) {
    const element = document.querySelector<HTMLElement>(selector);
    if (element && !element.matches(':disabled')) {
      element.focus();
      return;
    }
  }
}
