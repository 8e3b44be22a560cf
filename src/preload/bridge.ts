/**
 * The object the preload exposes as `window.switchyard`: one function per API method,
 * each bound to its own channel, and `on(event, listener)` for the listed events. There is
 * no generic `invoke(channel)` and no `ipcRenderer` to reach, so a compromised page can only
 * make the calls the API has, and main validates each of them anyway (src/main/ipc.ts).
 */
import type { ApiEvent, ApiMethod } from '../shared/api.js';
import {
  EVENT_CHANNEL,
  IPC_EVENTS,
  IPC_METHODS,
  SUBSCRIBE_CHANNEL,
  UNSUBSCRIBE_CHANNEL,
  methodChannel,
  type BridgeError,
  type EventMessage,
  type IpcReply,
  type SwitchyardBridge,
} from '../shared/ipc.js';

/** The part of `ipcRenderer` the bridge uses (tests pass a fake with the same shape). */
export interface BridgeIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  send(channel: string, ...args: unknown[]): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Electron's own signature
  on(channel: string, listener: (event: unknown, ...args: any[]) => void): unknown;
}
type Listener = (payload: unknown) => void;

function bridgeError(message: string): BridgeError {
  return { error: message };
}

function isReply(value: unknown): value is IpcReply {
  if (typeof value !== 'object' || value === null) return false;
  const reply = value as { ok?: unknown; error?: unknown };
  return reply.ok === true || (reply.ok === false && typeof reply.error === 'string');
}

function method(ipc: BridgeIpc, name: ApiMethod): (...args: unknown[]) => Promise<unknown> {
  const channel = methodChannel(name);
  return async (...args: unknown[]): Promise<unknown> => {
    let reply: unknown;
    try {
      reply = await ipc.invoke(channel, ...args);
    } catch (error) {
      // Arguments that cannot be cloned, or main is gone: no stack crosses either way.
      throw bridgeError(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!isReply(reply)) throw bridgeError(`${name}: unexpected reply from the app`);
    if (!reply.ok) throw bridgeError(reply.error);
    return reply.result;
  };
}

export function createBridge(ipc: BridgeIpc): SwitchyardBridge {
  const events = new Set<string>(IPC_EVENTS);
  const listeners = new Map<ApiEvent, Set<Listener>>();

  // One channel listener for all events; the page never sees the IpcRendererEvent (its
  // `sender` is ipcRenderer itself).
  ipc.on(EVENT_CHANNEL, (_event, message: EventMessage) => {
    const set = listeners.get(message.event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(message.payload);
      } catch (error) {
        console.error(`switchyard: a '${message.event}' listener failed:`, error);
      }
    }
  });

  function on(event: ApiEvent, listener: Listener): () => void {
    if (!events.has(event)) throw new TypeError(`switchyard.on: unknown event '${String(event)}'`);
    if (typeof listener !== 'function')
      throw new TypeError('switchyard.on: listener must be a function');
    let set = listeners.get(event);
    if (!set) {
      set = new Set();
      listeners.set(event, set);
      // Main forwards an event only while someone listens: `balancers` statistics are
      // polled only while the balancer view is shown.
      ipc.send(SUBSCRIBE_CHANNEL, event);
    }
    // A wrapper per subscription, so the same function subscribed twice unsubscribes once.
    const entry: Listener = (payload) => listener(payload);
    set.add(entry);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      const current = listeners.get(event);
      if (!current?.delete(entry) || current.size > 0) return;
      listeners.delete(event);
      ipc.send(UNSUBSCRIBE_CHANNEL, event);
    };
  }

  const api: Record<string, unknown> = {};
  for (const name of IPC_METHODS) api[name] = method(ipc, name);
  api['on'] = on;
  return Object.freeze(api) as SwitchyardBridge;
}
