/**
 * Engine events for the Events screen, newest first: the recent ones from
 * `recentEvents` at start (and after the stream was lost), then each pushed
 * one. Bounded, so a flapping server cannot grow the page.
 */
import type { EngineEvent } from '../../../proxy/control/contract.ts';
import { control, transport, type UiError } from '../transport/index.ts';
import { isCheckStep } from '../lib/health.ts';

const KEEP = 500;

export interface ShownEvent {
  /** Stable key for the keyed list. */
  key: string;
  event: EngineEvent;
}

function keyOf(event: EngineEvent): string {
  switch (event.type) {
    case 'health': return `h${event.time}/${event.event.backend}/${event.event.server}/${event.event.to}`;
    case 'state': return `s${event.time}/${event.backend}/${event.server ?? ''}/${event.to}`;
    case 'alert': return `a${event.time}/${event.message}`;
    case 'lifecycle': return `l${event.time}/${event.lifecycle.state}/${event.lifecycle.reloads}`;
  }
}

class Events {
  list = $state.raw<ShownEvent[]>([]);
  error = $state.raw<UiError | null>(null);
  loaded = $state(false);
  private started = false;

  /** Starts once; the list keeps filling while the user is on other screens. */
  start(): void {
    if (this.started) return;
    this.started = true;
    transport().subscribe(['events'], (e) => this.add([e.payload as EngineEvent]));
    void this.reload();
  }

  async reload(): Promise<void> {
    const answer = await control().recentEvents(KEEP);
    if (!answer.ok) {
      this.error = answer.error;
      return;
    }
    this.error = null;
    this.add(answer.value);
    this.loaded = true;
  }

  private add(events: EngineEvent[]): void {
    const known = new Set(this.list.map((e) => e.key));
    const fresh = events
      .filter((event) => !isCheckStep(event))
      .map((event) => ({ key: keyOf(event), event }))
      .filter((e) => !known.has(e.key) && (known.add(e.key), true));
    if (fresh.length === 0) return;
    this.list = [...fresh, ...this.list].sort((a, b) => b.event.time - a.event.time).slice(0, KEEP);
  }
}

export const events = new Events();
