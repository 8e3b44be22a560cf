/**
 * The CLI's side of the token-protected WebSocket API (src/shared/ws-protocol.ts): one
 * connection to a running Switchyard, requests correlated by id, results checked with the
 * contract's schemas. Unlike the UI's client it never reconnects by itself: what lives on
 * the connection (an app registered by `switchyard run`) ends with it, and the caller
 * decides what to do then.
 */
import { WebSocket } from 'ws';
import { API, type ApiMethod, type ApiParams, type ApiResult } from '../../shared/api.js';
import { WS_TOKEN_PARAM, wsReplySchema } from '../../shared/ws-protocol.js';

export class ApiConnection {
  readonly #ws: WebSocket;
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; method: ApiMethod }
  >();
  #next = 1;
  /** Resolves when the connection closes, for whatever reason. */
  readonly closed: Promise<void>;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    this.closed = new Promise((resolve) => {
      ws.on('close', () => {
        for (const p of this.#pending.values())
          p.reject(new Error('Switchyard closed the connection'));
        this.#pending.clear();
        resolve();
      });
    });
    ws.on('message', (data) => this.#onMessage(String(data)));
  }

  static open(apiUrl: string, token: string, timeoutMs = 5_000): Promise<ApiConnection> {
    const url = new URL(apiUrl);
    url.searchParams.set(WS_TOKEN_PARAM, token);
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { handshakeTimeout: timeoutMs, perMessageDeflate: false });
      ws.once('open', () => resolve(new ApiConnection(ws)));
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`Switchyard refused the connection (HTTP ${res.statusCode})`));
        ws.terminate();
      });
      ws.once('error', (error) => reject(error));
    });
  }

  #onMessage(text: string): void {
    let reply;
    try {
      reply = wsReplySchema.safeParse(JSON.parse(text));
    } catch {
      return;
    }
    if (!reply.success || reply.data.id === null) return;
    const pending = this.#pending.get(reply.data.id);
    if (!pending) return;
    this.#pending.delete(reply.data.id);
    if ('error' in reply.data) {
      pending.reject(new Error(reply.data.error));
      return;
    }
    const checked = API[pending.method].result.safeParse(reply.data.result);
    if (checked.success) pending.resolve(checked.data);
    else
      pending.reject(new Error(`${pending.method}: Switchyard answered outside the API contract`));
  }

  call<M extends ApiMethod>(method: M, ...params: ApiParams<M>): Promise<ApiResult<M>> {
    if (this.#ws.readyState !== WebSocket.OPEN)
      return Promise.reject(new Error('not connected to Switchyard'));
    const id = this.#next++;
    return new Promise<ApiResult<M>>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, method });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): Promise<void> {
    this.#ws.close(1000, 'done');
    const timer = setTimeout(() => this.#ws.terminate(), 1_000);
    return this.closed.finally(() => clearTimeout(timer));
  }
}
