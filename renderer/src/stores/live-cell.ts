/**
 * One object's per-second numbers (a frontend, backend or server), written
 * from each `stats` tick, and the text nodes showing them. The numbers are
 * plain fields: a tick writing ~500 cells costs no reactive writes. The
 * overview's text nodes are written directly by the cell (liveText), only
 * when their text changes; a screen reading a getter inside an effect
 * subscribes instead, and is re-run only while it is there
 * (createSubscriber).
 */
import type { Attachment } from 'svelte/attachments';
import { createSubscriber } from 'svelte/reactivity';
import type { ObjectTick } from '../../../proxy/control/contract.ts';

/** Seconds over which the error rate is computed (one second is too jumpy to read). */
const ERROR_WINDOW = 10;

/** The per-second numbers a screen can show. */
export type LiveField = 'rps' | 'current' | 'errorRate';

/** A text node showing one number of a cell, written by the tick itself (see liveText). */
interface TextView {
  node: Pick<Text, 'nodeValue'>;
  field: LiveField;
  format: (value: number) => string;
  /** The text it shows now: the DOM is written only when it changes. */
  shown: string;
}

export class LiveCell {
  #rps = 0;
  #current = 0;
  /** 5xx responses / responses over the last ERROR_WINDOW seconds, 0..1. */
  #errorRate = 0;
  bytesInPerS = 0;
  bytesOutPerS = 0;
  queue = 0;
  p95 = 0;
  private readonly responses = new Float64Array(ERROR_WINDOW);
  private readonly errors = new Float64Array(ERROR_WINDOW);
  private slot = 0;
  private readonly views: TextView[] = [];
  private notify: (() => void) | undefined;
  readonly #subscribe = createSubscriber((update) => {
    this.notify = update;
    return () => (this.notify = undefined);
  });

  get rps(): number {
    this.#subscribe();
    return this.#rps;
  }

  get current(): number {
    this.#subscribe();
    return this.#current;
  }

  get errorRate(): number {
    this.#subscribe();
    return this.#errorRate;
  }

  apply(tick: ObjectTick): void {
    const h = tick.hrsp;
    this.responses[this.slot] = h[0] + h[1] + h[2] + h[3] + h[4];
    this.errors[this.slot] = h[4];
    this.slot = (this.slot + 1) % ERROR_WINDOW;
    let responses = 0;
    let errors = 0;
    for (let i = 0; i < ERROR_WINDOW; i++) {
      responses += this.responses[i]!;
      errors += this.errors[i]!;
    }
    const errorRate = responses === 0 ? 0 : errors / responses;
    const changed = this.#rps !== tick.requests || this.#current !== tick.current || this.#errorRate !== errorRate;
    this.#rps = tick.requests;
    this.#current = tick.current;
    this.#errorRate = errorRate;
    this.bytesInPerS = tick.bytesIn;
    this.bytesOutPerS = tick.bytesOut;
    this.queue = tick.queue;
    this.p95 = tick.p95;
    if (!changed) return;
    for (const view of this.views) this.render(view);
    this.notify?.();
  }

  /** A second without a tick for this object: nothing moved. */
  idle(): void {
    if (this.#rps !== 0 || this.#errorRate !== 0 || this.bytesInPerS !== 0 || this.bytesOutPerS !== 0) {
      this.apply({ id: '', requests: 0, bytesIn: 0, bytesOut: 0, hrsp: [0, 0, 0, 0, 0], current: this.#current, queue: this.queue, p50: 0, p95: 0, p99: 0 });
    }
  }

  /** Shows `field` in `node` from now on; returns the function that stops it. */
  show(node: Pick<Text, 'nodeValue'>, field: LiveField, format: (value: number) => string): () => void {
    const view: TextView = { node, field, format, shown: '' };
    this.render(view);
    this.views.push(view);
    return () => {
      const at = this.views.indexOf(view);
      if (at >= 0) this.views.splice(at, 1);
    };
  }

  private render(view: TextView): void {
    const value = view.field === 'rps' ? this.#rps : view.field === 'current' ? this.#current : this.#errorRate;
    const text = view.format(value);
    if (text === view.shown) return;
    view.shown = text;
    view.node.nodeValue = text;
  }
}

/**
 * An attachment (`<span {@attach liveText(cell, 'rps', rate)}></span>`):
 * the element's text is `format(cell[field])`, written by the tick straight
 * into one text node. No component re-runs for a new number and the DOM is
 * written only when the text changes, so the tick's cost follows the
 * numbers that moved, not the rows on the page.
 */
export function liveText(cell: LiveCell, field: LiveField, format: (value: number) => string = String): Attachment<HTMLElement> {
  return (element) => {
    const node = document.createTextNode('');
    element.replaceChildren(node);
    return cell.show(node, field, format);
  };
}
