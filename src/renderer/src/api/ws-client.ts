/**
 * The renderer's `ProxyClient` when the UI is served by the headless `switchyard`
 * command: the API over one WebSocket to /api (protocol: src/shared/ws-protocol.ts).
 *
 * - Requests are correlated by id. A request made while disconnected waits for the
 *   connection; one already sent when the connection drops is rejected rather than sent
 *   again, because methods such as applyConfig must not run twice.
 * - The connection comes back by itself, with exponential backoff and jitter, and sends
 *   the subscriptions again.
 * - Results and event payloads are checked with the contract's zod schemas: whatever
 *   reaches a store has the shape the types promise.
 *
 * It uses only what browsers and Node share, and takes the WebSocket class as an option,
 * so tests run it in Node with the `ws` package against the real bridge.
 */
import {
  API,
  API_METHODS,
  EVENTS,
  isApiEvent,
  type ApiEvent,
  type ApiMethod,
  type ProxyClient,
  type ProxyEvents,
} from '../../../shared/api.js';
import {
  URL_TOKEN_KEY,
  WS_API_PATH,
  WS_TOKEN_PARAM,
  wsEventSchema,
  wsReplySchema,
} from '../../../shared/ws-protocol.js';

/** A handler property that accepts the browser's and the `ws` package's event types alike. */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** What the client needs of a WebSocket: the browser's and the `ws` package's both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface WsClientOptions {
  /** The WebSocket class; default: the browser's. */
  WebSocket?: WebSocketConstructor;
  /** A request without an answer after this long is rejected. */
  requestTimeoutMs?: number;
  /** First reconnection delay; doubled per failed attempt up to `maxRetryMs`. */
  minRetryMs?: number;
  maxRetryMs?: number;
  /** Messages the client had to drop (malformed, outside the contract); default console.warn. */
  onProblem?: (message: string) => void;
}

export type WsClient = ProxyClient & {
  readonly state: ConnectionState;
  /** Called on every change of `state`; returns the unsubscribe function. */
  onState(listener: (state: ConnectionState) => void): () => void;
  /** Resolves once connected (at once when open); rejects after close(). */
  opened(): Promise<void>;
  /** Close for good: no reconnection; waiting requests are rejected. */
  close(): void;
};

/** WebSocket.OPEN in both implementations. */
const OPEN = 1;

interface Pending {
  method: ApiMethod;
  text: string;
  sent: boolean;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The API endpoint and token of a page opened from the URL `switchyard` printed
 * (`http://127.0.0.1:PORT/#token=…`); undefined when the page has no token.
 */
export function headlessEndpoint(location: {
  protocol: string;
  host: string;
  hash: string;
}): { url: string; token: string } | undefined {
  const token = new URLSearchParams(location.hash.replace(/^#/, '')).get(URL_TOKEN_KEY);
  if (!token) return undefined;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return { url: `${scheme}//${location.host}${WS_API_PATH}`, token };
}

function defaultWebSocket(): WebSocketConstructor {
  // Read through Reflect: the Node typecheck of this file has no DOM WebSocket type.
  const native: unknown = Reflect.get(globalThis, 'WebSocket');
  if (typeof native !== 'function') {
    throw new Error('no WebSocket in this environment: pass options.WebSocket');
  }
  return native as WebSocketConstructor;
}

export function createWsClient(
  url: string,
  token: string,
  options: WsClientOptions = {},
): WsClient {
  const WebSocketClass = options.WebSocket ?? defaultWebSocket();
  const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  const minRetryMs = options.minRetryMs ?? 250;
  const maxRetryMs = options.maxRetryMs ?? 10_000;
  const problem =
    options.onProblem ?? ((message: string) => console.warn(`switchyard: ${message}`));

  const endpoint = new URL(url);
  endpoint.searchParams.set(WS_TOKEN_PARAM, token);

  const pending = new Map<number, Pending>();
  const listeners = new Map<ApiEvent, Set<(payload: unknown) => void>>();
  const stateListeners = new Set<(state: ConnectionState) => void>();
  let waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  let nextId = 1;
  let socket: WebSocketLike | undefined;
  let state: ConnectionState = 'connecting';
  let failures = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const setState = (next: ConnectionState): void => {
    if (state === next) return;
    state = next;
    for (const l of stateListeners) l(next);
  };

  const isOpen = (): boolean => socket !== undefined && socket.readyState === OPEN;

  const sendSubscriptions = (): void => {
    if (isOpen()) socket?.send(JSON.stringify({ subscribe: [...listeners.keys()] }));
  };

  const sendWaiting = (): void => {
    for (const p of pending.values()) {
      if (p.sent || !isOpen()) continue;
      socket?.send(p.text);
      p.sent = true;
    }
  };

  const onReply = (message: unknown): void => {
    const reply = wsReplySchema.safeParse(message);
    if (!reply.success) {
      problem('dropped a message that is neither a reply nor an event');
      return;
    }
    const { id } = reply.data;
    if (id === null) {
      problem('error' in reply.data ? reply.data.error : 'uncorrelated reply');
      return;
    }
    const p = pending.get(id);
    if (!p) return; // timed out meanwhile
    pending.delete(id);
    clearTimeout(p.timer);
    if ('error' in reply.data) {
      p.reject(new Error(reply.data.error));
      return;
    }
    const result = API[p.method].result.safeParse(reply.data.result);
    if (result.success) p.resolve(result.data);
    else p.reject(new Error(`${p.method}: the answer does not have the shape of the API contract`));
  };

  const onEvent = (event: string, payload: unknown): void => {
    if (!isApiEvent(event)) {
      problem(`dropped unknown event '${event}'`);
      return;
    }
    const parsed = EVENTS[event].safeParse(payload);
    if (!parsed.success) {
      problem(`dropped a '${event}' event outside the API contract`);
      return;
    }
    for (const listener of [...(listeners.get(event) ?? [])]) {
      try {
        listener(parsed.data);
      } catch (error) {
        // One failing listener must not starve the others of the event.
        problem(
          `a '${event}' listener failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  };

  const onMessage = (data: unknown): void => {
    if (typeof data !== 'string') {
      problem('dropped a binary message');
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      problem('dropped a message that is not JSON');
      return;
    }
    const event = wsEventSchema.safeParse(message);
    if (event.success) onEvent(event.data.event, event.data.payload);
    else onReply(message);
  };

  const connect = (): void => {
    retryTimer = undefined;
    setState('connecting');
    let ws: WebSocketLike;
    try {
      ws = new WebSocketClass(endpoint.href);
    } catch (error) {
      problem(`cannot connect: ${error instanceof Error ? error.message : String(error)}`);
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.onopen = () => {
      failures = 0;
      setState('open');
      sendSubscriptions();
      sendWaiting();
      const ready = waiters;
      waiters = [];
      for (const w of ready) w.resolve();
    };
    ws.onmessage = (event) => onMessage(event.data);
    // A failed connection or a lost one: 'close' follows 'error' and handles both.
    ws.onerror = () => undefined;
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = undefined;
      for (const [id, p] of pending) {
        if (!p.sent) continue;
        pending.delete(id);
        clearTimeout(p.timer);
        p.reject(
          new Error(
            `${p.method}: the connection to switchyard was lost before it answered; ` +
              'the request may or may not have been carried out',
          ),
        );
      }
      if (state !== 'closed') scheduleReconnect();
    };
  };

  const scheduleReconnect = (): void => {
    setState('connecting');
    const base = Math.min(maxRetryMs, minRetryMs * 2 ** failures);
    failures++;
    // Jitter, so tabs reconnecting to a restarted server do not arrive all at once.
    retryTimer = setTimeout(connect, base / 2 + (Math.random() * base) / 2);
  };

  const request = (method: ApiMethod, params: unknown[]): Promise<unknown> => {
    if (state === 'closed') {
      return Promise.reject(new Error(`${method}: the client is closed`));
    }
    // JSON has no undefined: trailing omitted arguments are left out rather than sent as
    // null, which the optional parameters' schemas would refuse.
    const args = [...params];
    while (args.length > 0 && args.at(-1) === undefined) args.pop();
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(
          new Error(`${method}: no answer from switchyard within ${requestTimeoutMs / 1000} s`),
        );
      }, requestTimeoutMs);
      const text = JSON.stringify({ id, method, params: args });
      pending.set(id, { method, text, sent: false, resolve, reject, timer });
      sendWaiting();
    });
  };

  const methods = {} as Record<ApiMethod, (...params: unknown[]) => Promise<unknown>>;
  for (const method of API_METHODS) methods[method] = (...params) => request(method, params);

  const on = <E extends ApiEvent>(
    event: E,
    listener: (payload: ProxyEvents[E]) => void,
  ): (() => void) => {
    // Stored untyped: onEvent calls it only with a payload parsed by EVENTS[event].
    const stored = listener as (payload: unknown) => void;
    let set = listeners.get(event);
    if (!set) {
      set = new Set();
      listeners.set(event, set);
      sendSubscriptions();
    }
    set.add(stored);
    return () => {
      const current = listeners.get(event);
      if (!current?.delete(stored) || current.size > 0) return;
      listeners.delete(event);
      sendSubscriptions();
    };
  };

  const extras = {
    on,
    get state(): ConnectionState {
      return state;
    },
    onState(listener: (s: ConnectionState) => void) {
      stateListeners.add(listener);
      return () => void stateListeners.delete(listener);
    },
    opened() {
      if (state === 'open') return Promise.resolve();
      if (state === 'closed') return Promise.reject(new Error('the client is closed'));
      return new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
    },
    close() {
      if (state === 'closed') return;
      setState('closed');
      clearTimeout(retryTimer);
      const ws = socket;
      socket = undefined;
      ws?.close(1000, 'client closed');
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`${p.method}: the client was closed before switchyard answered`));
      }
      pending.clear();
      for (const w of waiters) w.reject(new Error('the client is closed'));
      waiters = [];
    },
  };
  // Descriptors rather than Object.assign, which would copy the `state` getter's value once.
  const client = Object.defineProperties(
    methods,
    Object.getOwnPropertyDescriptors(extras),
  ) as WsClient;
  connect();
  return client;
}
