/**
 * The Electron IPC shape of the API contract (api.ts): channel names, the reply envelope,
 * and what the preload exposes as `window.switchyard`. Main, the preload and the
 * renderer's IPC client all use this file.
 *
 * It imports api.ts for types only, on purpose: the sandboxed preload bundles whatever it
 * imports, and it needs the method and event names without zod and the schemas. The two
 * name tables below are typed `satisfies Record<…, true>`, so the compiler reports a
 * method or event missing from them, or one the contract does not have.
 */
import type { ApiEvent, ApiMethod, ApiParams } from './api.js';

const METHOD_TABLE = {
  getStatus: true,
  getConfig: true,
  validateConfig: true,
  applyConfig: true,
  saveConfig: true,
  listBalancers: true,
  listStickySessions: true,
  pinLinks: true,
  setMember: true,
  addMember: true,
  removeMember: true,
  listExchanges: true,
  getExchange: true,
  getExchangeBody: true,
  getDecodedBody: true,
  clearExchanges: true,
  setCapturePaused: true,
  exportHar: true,
  exchangeAsCurl: true,
  grpcSchema: true,
  openProtos: true,
  replayExchange: true,
  searchExchanges: true,
  resendExchange: true,
  fanOutExchange: true,
  importApache: true,
  exportConfig: true,
  getCaStatus: true,
  trustCa: true,
  untrustCa: true,
  exportCaPem: true,
  listApps: true,
  controlApp: true,
  getAppLog: true,
  registerApp: true,
  unregisterApp: true,
  appEnvironment: true,
  syncHostsFile: true,
  setAppAlias: true,
} as const satisfies Record<ApiMethod, true>;

const EVENT_TABLE = {
  exchanges: true,
  exchangesCleared: true,
  balancers: true,
  health: true,
  config: true,
  warning: true,
  apps: true,
  appLog: true,
} as const satisfies Record<ApiEvent, true>;

/** Every API method name (the same set as API_METHODS, without loading the schemas). */
export const IPC_METHODS: readonly ApiMethod[] = Object.freeze(
  Object.keys(METHOD_TABLE) as ApiMethod[],
);

/** Every event name (the same set as API_EVENTS, without loading the schemas). */
export const IPC_EVENTS: readonly ApiEvent[] = Object.freeze(
  Object.keys(EVENT_TABLE) as ApiEvent[],
);

/** Channels are `switchyard:<method>`; nothing else under the prefix is handled. */
export const CHANNEL_PREFIX = 'switchyard:';
export type MethodChannel = `switchyard:${ApiMethod}`;

export function methodChannel(method: ApiMethod): MethodChannel {
  return `switchyard:${method}`;
}

/** main → renderer: one event, `{ event, payload }`, sent at most every ~50 ms. */
export const EVENT_CHANNEL = 'switchyard:event';
/** renderer → main: start or stop forwarding one event (its name is the argument). */
export const SUBSCRIBE_CHANNEL = 'switchyard:subscribe';
export const UNSUBSCRIBE_CHANNEL = 'switchyard:unsubscribe';

export interface EventMessage {
  event: ApiEvent;
  payload: unknown;
}

/**
 * What a method channel answers. Main never rejects an invoke: a rejection would reach
 * the renderer as "Error invoking remote method …" with main's error text, and Electron
 * would log it as an unhandled handler error. The message alone crosses, never a stack.
 */
export type IpcReply = { ok: true; result: unknown } | { ok: false; error: string };

/** How a bridge method rejects: a plain object, so nothing but the message crosses. */
export interface BridgeError {
  error: string;
}

/**
 * `window.switchyard` in the desktop app: one function per API method and `on` for the
 * events, nothing else. Results and payloads are typed `unknown` here because this is the
 * raw bridge; the renderer's IPC client (src/renderer/src/api/ipc-client.ts) is what gives
 * the rest of the renderer a typed `ProxyClient`.
 */
export type SwitchyardBridge = {
  readonly [M in ApiMethod]: (...args: ApiParams<M>) => Promise<unknown>;
} & {
  readonly on: (event: ApiEvent, listener: (payload: unknown) => void) => () => void;
};
