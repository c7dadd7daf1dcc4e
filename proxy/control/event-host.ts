/**
 * The contract's pushed events: what the engine's event hub publishes,
 * numbered with one sequence across every topic, kept in bounded replay
 * buffers per topic (so a busy access log never pushes health events out),
 * and handed to subscribers. A transport that reconnects subscribes with
 * `afterSeq` and first receives what it missed that is still buffered.
 */
import { LoadstarError } from '../errors.ts';
import type { EngineEventHub } from '../engine-events.ts';
import type { ControlEvent, ControlEventMap, ControlTopic, SubscribeOptions } from './contract.ts';

/** Events kept per topic for replay. */
export const REPLAY_LIMITS: Readonly<Record<ControlTopic, number>> = { 'access-log': 2000, events: 1000, stats: 120 };

export const TOPICS: readonly ControlTopic[] = ['access-log', 'events', 'stats'];

/** A ring of events, oldest first. */
class Buffer<T> {
  private items: T[] = [];
  private start = 0;
  constructor(private readonly capacity: number) {}
  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }
  toArray(): T[] {
    return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }
}

interface Subscription {
  topics: ReadonlySet<ControlTopic>;
  listener: (event: ControlEvent) => void;
}

export class ControlEventHost {
  private seq = 0;
  private readonly buffers: { [K in ControlTopic]: Buffer<ControlEvent<K>> } = {
    'access-log': new Buffer(REPLAY_LIMITS['access-log']),
    events: new Buffer(REPLAY_LIMITS.events),
    stats: new Buffer(REPLAY_LIMITS.stats),
  };
  private readonly subscriptions = new Set<Subscription>();
  private accessLogAttached = false;
  private reportedFailure = false;

  constructor(private readonly hub: EngineEventHub, private readonly log: (message: string) => void) {
    // Engine events and ticks are few: always numbered and buffered. The access log (one record per
    // request) is built only from the first subscription to it on, then kept for replay.
    hub.on('events', (payload) => this.push('events', payload));
    hub.on('stats', (payload) => this.push('stats', payload));
  }

  /** The sequence number of the latest event (0 before the first). */
  lastSeq(): number {
    return this.seq;
  }

  subscribe<K extends ControlTopic>(topics: readonly K[], listener: (event: ControlEvent<K>) => void, options: SubscribeOptions = {}): () => void {
    if (!Array.isArray(topics) || topics.length === 0 || topics.some((t) => !TOPICS.includes(t))) {
      throw new LoadstarError('LS_ERR_CTL_BAD_VALUE', `subscribe: topics must be a non-empty list of ${TOPICS.join(', ')}, got ${JSON.stringify(topics)}.`);
    }
    if (typeof listener !== 'function') throw new LoadstarError('LS_ERR_CTL_BAD_VALUE', 'subscribe: the listener must be a function.');
    const afterSeq = options?.afterSeq;
    if (afterSeq !== undefined && (typeof afterSeq !== 'number' || !Number.isInteger(afterSeq) || afterSeq < 0)) {
      throw new LoadstarError('LS_ERR_CTL_BAD_VALUE', `subscribe: afterSeq must be a whole number, got ${JSON.stringify(afterSeq)}.`);
    }
    if (topics.includes('access-log' as K) && !this.accessLogAttached) {
      this.accessLogAttached = true;
      this.hub.on('access-log', (payload) => this.push('access-log', payload));
    }
    const subscription: Subscription = { topics: new Set(topics), listener: listener as (event: ControlEvent) => void };
    if (afterSeq !== undefined) {
      // A number from a previous host (the engine restarted, numbering began again): everything buffered is new.
      const from = afterSeq > this.seq ? 0 : afterSeq;
      const missed = [...subscription.topics].flatMap((t) => this.buffers[t].toArray() as ControlEvent[]).filter((e) => e.seq > from);
      missed.sort((a, b) => a.seq - b.seq);
      for (const event of missed) this.deliver(subscription, event);
    }
    this.subscriptions.add(subscription);
    return () => void this.subscriptions.delete(subscription);
  }

  private push<K extends ControlTopic>(topic: K, payload: ControlEventMap[K]): void {
    const event = { seq: ++this.seq, topic, payload } as ControlEvent<K>;
    (this.buffers[topic] as Buffer<ControlEvent<K>>).push(event);
    for (const subscription of this.subscriptions) if (subscription.topics.has(topic)) this.deliver(subscription, event);
  }

  private deliver(subscription: Subscription, event: ControlEvent): void {
    try {
      subscription.listener(event);
    } catch (e) {
      // One subscriber's bug must not starve the others, nor reach the engine.
      if (!this.reportedFailure) {
        this.reportedFailure = true;
        this.log(`[ALERT] control: an event subscriber failed (reported once): ${(e as Error)?.stack ?? String(e)}`);
      }
    }
  }
}
