/**
 * Main's one stream of pushed events: events from the engine host (renumbered,
 * because a restarted host starts its sequence again) and the shell's own
 * alerts (engine restarts), each with a sequence number that grows by one
 * across every topic, and a bounded replay buffer for `afterSeq`.
 */
import type { ControlEvent, ControlEventMap, ControlTopic, SubscribeOptions } from '../proxy/control/contract.ts';

interface Subscriber {
  topics: ReadonlySet<ControlTopic>;
  listener: (event: ControlEvent) => void;
}

export class EventHub {
  private seq = 0;
  private readonly buffer: ControlEvent[] = [];
  private readonly subscribers = new Set<Subscriber>();
  private readonly topicListeners = new Set<(topics: ControlTopic[]) => void>();

  constructor(private readonly capacity = 2000) {}

  get lastSeq(): number {
    return this.seq;
  }

  publish<K extends ControlTopic>(topic: K, payload: ControlEventMap[K]): ControlEvent<K> {
    const event: ControlEvent<K> = { seq: ++this.seq, topic, payload };
    this.buffer.push(event);
    if (this.buffer.length > this.capacity) this.buffer.splice(0, this.buffer.length - this.capacity);
    for (const subscriber of [...this.subscribers]) {
      if (subscriber.topics.has(topic)) subscriber.listener(event);
    }
    return event;
  }

  subscribe<K extends ControlTopic>(topics: readonly K[], listener: (event: ControlEvent<K>) => void, options: SubscribeOptions = {}): () => void {
    const subscriber: Subscriber = { topics: new Set(topics), listener: listener as (event: ControlEvent) => void };
    if (options.afterSeq !== undefined) {
      for (const event of this.buffer) {
        if (event.seq > options.afterSeq && subscriber.topics.has(event.topic)) subscriber.listener(event);
      }
    }
    this.subscribers.add(subscriber);
    this.topicsChanged();
    return () => {
      if (this.subscribers.delete(subscriber)) this.topicsChanged();
    };
  }

  /** The union of subscribed topics, whenever it may have changed (to ask the engine for only those). */
  onTopicsChanged(listener: (topics: ControlTopic[]) => void): void {
    this.topicListeners.add(listener);
  }

  topics(): ControlTopic[] {
    const all = new Set<ControlTopic>();
    for (const subscriber of this.subscribers) for (const topic of subscriber.topics) all.add(topic);
    return [...all].sort();
  }

  private topicsChanged(): void {
    const topics = this.topics();
    for (const listener of this.topicListeners) listener(topics);
  }
}
