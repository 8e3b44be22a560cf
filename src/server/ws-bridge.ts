/**
 * The engine's API over WebSocket connections (protocol: src/shared/ws-protocol.ts), for
 * the UI the headless `switchyard` command serves to a browser. The HTTP server
 * (http.ts) authenticates the upgrade; from then on this bridge trusts the connection but
 * not its messages: every request is checked against the contract's parameter schema
 * before the call and every result against its result schema after it, and a failure of
 * either becomes a short message for the caller, never a stack trace.
 *
 * Events reach only the connections that subscribed to them, and the bridge listens to
 * the engine only while some connection does, so balancer statistics (polled by the
 * EngineApi only while listened to) cost nothing when nobody watches them.
 *
 * A slow client must not make the server buffer without bound. While a connection has
 * more than `highWaterMark` bytes waiting to be written, its events are not queued but
 * coalesced: exchange summaries merged by id (the latest state of each exchange wins, at
 * most `maxPendingExchanges`, oldest dropped first), balancer statistics replaced by the
 * newest, other events kept in order up to a small cap. Once the socket has drained, the
 * backlog goes out. The client lags, it never sees states out of order, and memory stays
 * flat. Replies to requests are never held back: they are bounded by the client's own
 * requests.
 */
import type { WebSocket } from 'ws';
import { z } from 'zod';
import {
  API,
  API_EVENTS,
  isApiEvent,
  isApiMethod,
  type ApiEvent,
  type ApiParams,
  type ApiResult,
  type ProxyEvents,
} from '../shared/api.js';
import type { ExchangeSummary } from '../shared/exchange.js';
import {
  CLOSE_GOING_AWAY,
  wsRequestSchema,
  wsSubscribeSchema,
  type WsEvent,
  type WsReply,
} from '../shared/ws-protocol.js';
import type { EngineApi } from '../engine/engine-api.js';

export interface WsBridgeOptions {
  /** Bytes waiting to be written to one client above which its events are coalesced. */
  highWaterMark?: number;
  /** Exchange summaries kept for one congested client; beyond it the oldest are dropped. */
  maxPendingExchanges?: number;
  /** Ping period; a client that has not answered the previous ping is disconnected. */
  heartbeatMs?: number;
  /**
   * A method returned data outside the contract: a bug in Switchyard. The caller only gets
   * a short error; the details go here (the CLI prints them).
   */
  onContractError?: (message: string) => void;
}

export interface WsBridgeStats {
  clients: number;
  /** Clients whose socket is above the high-water mark or who have a backlog. */
  congested: number;
  /** Exchange summaries waiting in backlogs, all clients together. */
  pendingExchanges: number;
  /** Exchange summaries dropped from backlogs because a client fell too far behind. */
  droppedExchanges: number;
  /** Bytes waiting to be written, all clients together. */
  bufferedBytes: number;
}

/** 1 MiB ≈ 2,000 exchange summaries: ~200 ms of backlog at 10,000 exchanges/s. */
const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
/** The traffic log's default size: a client further behind could not open them anyway. */
const DEFAULT_MAX_PENDING_EXCHANGES = 5_000;
/** Discrete events (health, config, warning) are rare; more than this pending is a stuck client. */
const MAX_PENDING_OTHER_EVENTS = 256;
/** Summaries per message when a backlog is sent, so one send does not refill the buffer. */
const BACKLOG_CHUNK = 1_000;
const DEFAULT_HEARTBEAT_MS = 30_000;

/** `getExchange: params[0]: expected number, received string` */
function describeIssues(method: string, error: z.ZodError): string {
  const issues = error.issues.map((i) => {
    const where = i.path.length > 0 ? `params[${i.path.map(String).join('].[')}]` : 'params';
    return `${where}: ${i.message}`;
  });
  return `${method}: ${issues.join('; ')}`;
}

function errorMessage(error: unknown): string {
  // Engine errors are written for users ("no balancer named 'x'"); the stack is not.
  if (error instanceof Error && error.message !== '') return error.message;
  return 'internal error (see the switchyard output)';
}

/** One client's socket, subscriptions and backlog. */
class Connection {
  readonly subscriptions = new Set<ApiEvent>();
  /** Apps this connection registered (`switchyard run`): they end with it. */
  readonly registrations = new Set<string>();
  closed = false;
  alive = true;
  droppedExchanges = 0;
  readonly #ws: WebSocket;
  readonly #highWaterMark: number;
  readonly #maxPendingExchanges: number;
  /** Backlog while congested; empty otherwise. Insertion order is the order to send. */
  readonly #exchanges = new Map<number, ExchangeSummary>();
  #balancers: ProxyEvents['balancers'] | undefined;
  readonly #others: WsEvent[] = [];
  readonly #afterSend = (error?: Error): void => {
    if (!error) this.#flush();
  };

  constructor(ws: WebSocket, highWaterMark: number, maxPendingExchanges: number) {
    this.#ws = ws;
    this.#highWaterMark = highWaterMark;
    this.#maxPendingExchanges = maxPendingExchanges;
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  get pendingExchanges(): number {
    return this.#exchanges.size;
  }

  get congested(): boolean {
    return this.#hasBacklog() || this.#ws.bufferedAmount > this.#highWaterMark;
  }

  #open(): boolean {
    return this.#ws.readyState === this.#ws.OPEN;
  }

  #hasBacklog(): boolean {
    return this.#exchanges.size > 0 || this.#balancers !== undefined || this.#others.length > 0;
  }

  reply(message: WsReply): void {
    if (this.#open()) this.#ws.send(JSON.stringify(message), this.#afterSend);
  }

  /** `text` is the event already serialised (shared by every client that is keeping up). */
  deliver<E extends ApiEvent>(event: E, payload: ProxyEvents[E], text: () => string): void {
    if (!this.#open()) return;
    if (!this.congested) {
      this.#ws.send(text(), this.#afterSend);
      return;
    }
    this.#stash(event, payload);
    this.#flush();
  }

  #stash<E extends ApiEvent>(event: E, payload: ProxyEvents[E]): void {
    if (event === 'exchanges') {
      for (const summary of payload as ProxyEvents['exchanges']) {
        // An exchange already waiting keeps its place and takes the newer state.
        this.#exchanges.set(summary.id, summary);
      }
      for (const id of this.#exchanges.keys()) {
        if (this.#exchanges.size <= this.#maxPendingExchanges) break;
        this.#exchanges.delete(id);
        this.droppedExchanges++;
      }
    } else if (event === 'balancers') {
      this.#balancers = payload as ProxyEvents['balancers'];
    } else {
      // Summaries waiting from before a clear are gone from the log: drop them too.
      if (event === 'exchangesCleared') this.#exchanges.clear();
      this.#others.push({ event, payload });
      if (this.#others.length > MAX_PENDING_OTHER_EVENTS) this.#others.shift();
    }
  }

  /** Send the backlog while the socket is below the high-water mark. */
  #flush(): void {
    while (this.#open() && this.#hasBacklog()) {
      if (this.#ws.bufferedAmount > this.#highWaterMark) return; // a send callback resumes
      const other = this.#others.shift();
      if (other) {
        this.#ws.send(JSON.stringify(other), this.#afterSend);
        continue;
      }
      if (this.#balancers) {
        const payload = this.#balancers;
        this.#balancers = undefined;
        this.#ws.send(JSON.stringify({ event: 'balancers', payload }), this.#afterSend);
        continue;
      }
      const chunk: ExchangeSummary[] = [];
      for (const [id, summary] of this.#exchanges) {
        chunk.push(summary);
        this.#exchanges.delete(id);
        if (chunk.length >= BACKLOG_CHUNK) break;
      }
      this.#ws.send(JSON.stringify({ event: 'exchanges', payload: chunk }), this.#afterSend);
    }
  }

  ping(): void {
    this.alive = false;
    this.#ws.ping();
  }

  terminate(): void {
    this.#ws.terminate();
  }

  close(code: number, reason: string): void {
    this.#ws.close(code, reason);
  }

  discard(): void {
    this.#exchanges.clear();
    this.#balancers = undefined;
    this.#others.length = 0;
  }
}

/** The EngineApi's typed emitter, seen through the one signature the bridge needs. */
interface EventSource {
  on(event: ApiEvent, listener: (payload: never) => void): void;
  off(event: ApiEvent, listener: (payload: never) => void): void;
}

export class WsBridge {
  readonly #api: EngineApi;
  readonly #highWaterMark: number;
  readonly #maxPendingExchanges: number;
  readonly #onContractError: (message: string) => void;
  readonly #connections = new Set<Connection>();
  /** The engine listener per event, present while at least one client subscribes to it. */
  readonly #listening = new Map<ApiEvent, (payload: never) => void>();
  readonly #heartbeat: NodeJS.Timeout;
  #droppedByClosed = 0;

  constructor(api: EngineApi, options: WsBridgeOptions = {}) {
    this.#api = api;
    this.#highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    this.#maxPendingExchanges = options.maxPendingExchanges ?? DEFAULT_MAX_PENDING_EXCHANGES;
    this.#onContractError = options.onContractError ?? ((message) => console.error(message));
    // A browser that vanished without closing (sleep, network change) would otherwise keep
    // its subscriptions, and the statistics polling, alive forever.
    this.#heartbeat = setInterval(() => {
      for (const c of this.#connections) {
        if (c.alive) c.ping();
        else c.terminate();
      }
    }, options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  /** Serve one authenticated WebSocket until it closes. */
  handle(ws: WebSocket): void {
    const conn = new Connection(ws, this.#highWaterMark, this.#maxPendingExchanges);
    this.#connections.add(conn);
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        conn.reply({ id: null, error: 'send JSON text frames, not binary ones' });
        return;
      }
      this.#onMessage(conn, String(data));
    });
    // Errors (a reset, an invalid frame) are followed by 'close'; nothing else to do.
    ws.on('error', () => undefined);
    ws.on('close', () => {
      conn.closed = true;
      for (const id of conn.registrations) void this.#api.unregisterApp(id);
      conn.registrations.clear();
      this.#connections.delete(conn);
      this.#droppedByClosed += conn.droppedExchanges;
      conn.discard();
      this.#setSubscriptions(conn, []);
    });
  }

  get clients(): number {
    return this.#connections.size;
  }

  stats(): WsBridgeStats {
    let congested = 0;
    let pendingExchanges = 0;
    let droppedExchanges = this.#droppedByClosed;
    let bufferedBytes = 0;
    for (const c of this.#connections) {
      if (c.congested) congested++;
      pendingExchanges += c.pendingExchanges;
      droppedExchanges += c.droppedExchanges;
      bufferedBytes += c.bufferedAmount;
    }
    return {
      clients: this.#connections.size,
      congested,
      pendingExchanges,
      droppedExchanges,
      bufferedBytes,
    };
  }

  /** Close every connection (1001, going away) and stop listening to the engine. */
  close(reason = 'switchyard is stopping'): void {
    clearInterval(this.#heartbeat);
    for (const c of this.#connections) c.close(CLOSE_GOING_AWAY, reason);
    for (const c of this.#connections) this.#setSubscriptions(c, []);
  }

  #onMessage(conn: Connection, text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      conn.reply({ id: null, error: 'a message must be JSON: { id, method, params }' });
      return;
    }
    if (typeof message === 'object' && message !== null && 'subscribe' in message) {
      this.#onSubscribe(conn, message);
      return;
    }
    void this.#onRequest(conn, message);
  }

  #onSubscribe(conn: Connection, message: unknown): void {
    const parsed = wsSubscribeSchema.safeParse(message);
    if (!parsed.success) {
      conn.reply({ id: null, error: 'subscribe must be a list of event names' });
      return;
    }
    const unknown = parsed.data.subscribe.filter((name) => !isApiEvent(name));
    if (unknown.length > 0) {
      conn.reply({
        id: null,
        error: `unknown event ${unknown.map((n) => `'${n}'`).join(', ')} (events: ${API_EVENTS.join(', ')})`,
      });
      return;
    }
    this.#setSubscriptions(conn, parsed.data.subscribe.filter(isApiEvent));
  }

  async #onRequest(conn: Connection, message: unknown): Promise<void> {
    const parsed = wsRequestSchema.safeParse(message);
    if (!parsed.success) {
      const id =
        typeof message === 'object' && message !== null && 'id' in message ? message.id : null;
      conn.reply({
        id: typeof id === 'number' ? id : null,
        error: 'a request is { id: integer, method: string, params: [...] }',
      });
      return;
    }
    const { id, method, params } = parsed.data;
    if (!isApiMethod(method)) {
      conn.reply({ id, error: `unknown method '${method}'` });
      return;
    }
    const args = API[method].params.safeParse(params);
    if (!args.success) {
      conn.reply({ id, error: describeIssues(method, args.error) });
      return;
    }
    let result: unknown;
    try {
      // The arguments were parsed by this method's own schema; TypeScript cannot relate
      // the two through the union of methods, so the call goes through Reflect.
      result = await Reflect.apply(this.#api[method], this.#api, args.data);
    } catch (error) {
      conn.reply({ id, error: errorMessage(error) });
      return;
    }
    const checked = API[method].result.safeParse(result);
    if (!checked.success) {
      this.#onContractError(
        `switchyard: internal error: ${method} returned data outside the API contract: ${z.prettifyError(checked.error)}`,
      );
      conn.reply({ id, error: `internal error: ${method} returned an invalid result` });
      return;
    }
    this.#trackRegistration(conn, method, args.data, checked.data);
    conn.reply({ id, result: checked.data });
  }

  /** A registered app lives as long as the connection that registered it. */
  #trackRegistration(conn: Connection, method: string, params: unknown, result: unknown): void {
    if (method === 'registerApp') {
      const { id } = result as ApiResult<'registerApp'>;
      if (conn.closed) void this.#api.unregisterApp(id);
      else conn.registrations.add(id);
    } else if (method === 'unregisterApp') {
      conn.registrations.delete((params as ApiParams<'unregisterApp'>)[0]);
    }
  }

  #setSubscriptions(conn: Connection, events: readonly ApiEvent[]): void {
    const before = new Set(conn.subscriptions);
    conn.subscriptions.clear();
    for (const e of events) conn.subscriptions.add(e);
    for (const e of new Set([...before, ...conn.subscriptions])) this.#listen(e);
  }

  /** Listen to the engine for `event` exactly while some connection subscribes to it. */
  #listen(event: ApiEvent): void {
    const wanted = [...this.#connections].some((c) => c.subscriptions.has(event));
    const listener = this.#listening.get(event);
    if (wanted && !listener) {
      const forward = (payload: ProxyEvents[typeof event]): void => this.#broadcast(event, payload);
      this.#listening.set(event, forward);
      this.#events().on(event, forward);
    } else if (!wanted && listener) {
      this.#listening.delete(event);
      this.#events().off(event, listener);
    }
  }

  #events(): EventSource {
    return this.#api.events as unknown as EventSource;
  }

  #broadcast<E extends ApiEvent>(event: E, payload: ProxyEvents[E]): void {
    // Serialised once for all the clients that keep up.
    let text: string | undefined;
    const serialise = (): string => (text ??= JSON.stringify({ event, payload }));
    for (const c of this.#connections) {
      if (c.subscriptions.has(event)) c.deliver(event, payload, serialise);
    }
  }
}
