/**
 * Forwards the engine's events to one renderer, only those it subscribed to, and never
 * faster than one flush per `intervalMs` (~50 ms, SPEC §4). Between flushes events are
 * queued and coalesced: exchange batches merge (the latest summary of an exchange wins),
 * only the newest balancer statistics are kept, and a clear drops the exchanges queued
 * before it. Everything else keeps its order.
 */
import type { EventEmitter } from 'node:events';
import type { ApiEvent, ProxyEvents } from '../shared/api.js';
import type { ExchangeSummary } from '../shared/exchange.js';
import { EVENT_CHANNEL, type EventMessage } from '../shared/ipc.js';

export type ApiEventEmitter = EventEmitter<{ [E in ApiEvent]: [ProxyEvents[E]] }>;

/** The part of a WebContents the forwarder uses. */
export interface EventTarget {
  send(channel: string, message: EventMessage): void;
  isDestroyed(): boolean;
}

type Queued =
  | { event: 'exchanges'; byId: Map<number, ExchangeSummary> }
  | { event: Exclude<ApiEvent, 'exchanges'>; payload: unknown };

export class EventForwarder {
  readonly #events: ApiEventEmitter;
  readonly #target: EventTarget;
  readonly #intervalMs: number;
  readonly #listeners = new Map<ApiEvent, (payload: unknown) => void>();
  #queue: Queued[] = [];
  #timer: NodeJS.Timeout | undefined;
  #lastFlush = -Infinity;
  #closed = false;

  constructor(events: ApiEventEmitter, target: EventTarget, intervalMs = 50) {
    this.#events = events;
    this.#target = target;
    this.#intervalMs = intervalMs;
  }

  get subscriptions(): ApiEvent[] {
    return [...this.#listeners.keys()];
  }

  subscribe(event: ApiEvent): void {
    if (this.#closed || this.#listeners.has(event)) return;
    const listener = (payload: unknown): void => this.#enqueue(event, payload);
    this.#listeners.set(event, listener);
    this.#emitter.on(event, listener);
  }

  unsubscribe(event: ApiEvent): void {
    const listener = this.#listeners.get(event);
    if (!listener) return;
    this.#listeners.delete(event);
    this.#emitter.off(event, listener);
    this.#queue = this.#queue.filter((q) => q.event !== event);
  }

  /** Drop every subscription and anything queued (the page reloaded). */
  reset(): void {
    for (const event of [...this.#listeners.keys()]) this.unsubscribe(event);
    this.#queue = [];
  }

  close(): void {
    this.#closed = true;
    this.reset();
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  // The emitter's map is keyed per event; one untyped view keeps subscribe() generic.
  get #emitter(): EventEmitter {
    return this.#events as unknown as EventEmitter;
  }

  #enqueue(event: ApiEvent, payload: unknown): void {
    if (this.#closed) return;
    if (event === 'exchanges') {
      // Merge into the batch queued since the last clear, if there is one.
      const latest = this.#queue.findLast(
        (q) => q.event === 'exchanges' || q.event === 'exchangesCleared',
      );
      let target: Extract<Queued, { event: 'exchanges' }>;
      if (latest?.event === 'exchanges') target = latest;
      else {
        target = { event: 'exchanges', byId: new Map() };
        this.#queue.push(target);
      }
      for (const summary of payload as ExchangeSummary[]) target.byId.set(summary.id, summary);
    } else {
      if (event === 'exchangesCleared') {
        this.#queue = this.#queue.filter((q) => q.event !== 'exchanges');
      }
      if (event === 'balancers') this.#queue = this.#queue.filter((q) => q.event !== 'balancers');
      this.#queue.push({ event, payload });
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer) return;
    // Clamped, so a clock set backwards cannot hold events back.
    const since = Date.now() - this.#lastFlush;
    const wait = Math.min(this.#intervalMs, Math.max(0, this.#intervalMs - since));
    this.#timer = setTimeout(() => this.#flush(), wait);
  }

  #flush(): void {
    this.#timer = undefined;
    this.#lastFlush = Date.now();
    const queue = this.#queue;
    this.#queue = [];
    if (this.#target.isDestroyed()) {
      this.close();
      return;
    }
    for (const item of queue) {
      const payload = item.event === 'exchanges' ? [...item.byId.values()] : item.payload;
      try {
        this.#target.send(EVENT_CHANNEL, { event: item.event, payload });
      } catch (error) {
        // The page went away mid-flush; the next flush finds it destroyed and stops.
        console.error(`switchyard: could not forward '${item.event}':`, error);
      }
    }
  }
}
