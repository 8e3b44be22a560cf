/**
 * The renderer's `ProxyClient` in the desktop app: `window.switchyard` (the preload's
 * bridge, src/preload/bridge.ts) with types. Main already validates every call and
 * result; results and event payloads are checked here again with the same schemas, as the
 * WebSocket client does, so whatever reaches a store has the shape the types promise
 * whichever host serves the page. A bridge rejection (`{ error }`) becomes an Error.
 *
 * No DOM types here: the bridge is passed in (client.ts reads `window.switchyard`), so
 * main's unit tests run this file in Node against the real preload bridge.
 */
import {
  API,
  API_METHODS,
  EVENTS,
  type ApiEvent,
  type ApiMethod,
  type ProxyClient,
  type ProxyEvents,
} from '../../../shared/api.js';
import type { SwitchyardBridge } from '../../../shared/ipc.js';

export interface IpcClientOptions {
  /** Events the client had to drop (outside the contract); default console.warn. */
  onProblem?: (message: string) => void;
}

function toError(reason: unknown): Error {
  if (reason instanceof Error) return reason;
  if (typeof reason === 'object' && reason !== null && 'error' in reason) {
    return new Error(String((reason as { error: unknown }).error));
  }
  return new Error(String(reason));
}

export function createIpcClient(
  bridge: SwitchyardBridge,
  options: IpcClientOptions = {},
): ProxyClient {
  const problem =
    options.onProblem ?? ((message: string) => console.warn(`switchyard: ${message}`));

  const call = async (method: ApiMethod, args: unknown[]): Promise<unknown> => {
    let value: unknown;
    try {
      value = await (bridge[method] as (...a: unknown[]) => Promise<unknown>)(...args);
    } catch (reason) {
      throw toError(reason);
    }
    const result = API[method].result.safeParse(value);
    if (!result.success) {
      throw new Error(`${method}: the answer does not have the shape of the API contract`);
    }
    return result.data;
  };

  const methods = Object.fromEntries(
    API_METHODS.map((method) => [method, (...args: unknown[]) => call(method, args)]),
  ) as Omit<ProxyClient, 'on'>;

  const on = <E extends ApiEvent>(
    event: E,
    listener: (payload: ProxyEvents[E]) => void,
  ): (() => void) =>
    bridge.on(event, (payload) => {
      const parsed = EVENTS[event].safeParse(payload);
      if (!parsed.success) {
        problem(`dropped a '${event}' event outside the API contract`);
        return;
      }
      listener(parsed.data as ProxyEvents[E]);
    });

  return { ...methods, on };
}
