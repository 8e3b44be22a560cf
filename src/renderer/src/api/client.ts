/**
 * Which `ProxyClient` the renderer uses, decided once at start (ARCHITECTURE "one engine,
 * three hosts"): the IPC client when the desktop app's preload exposed
 * `window.switchyard`, otherwise the WebSocket client of the headless command, with the
 * access token from the URL it printed. Nothing else in the renderer knows the host.
 */
import type { ProxyClient } from '../../../shared/api.js';
import type { SwitchyardBridge } from '../../../shared/ipc.js';
import { createIpcClient } from './ipc-client.js';
import { createWsClient, headlessEndpoint } from './ws-client.js';

export type { ProxyClient };

declare global {
  interface Window {
    /** The desktop app's preload bridge (src/preload/bridge.ts); absent in a browser. */
    readonly switchyard?: SwitchyardBridge;
  }
}

export type ClientHost = 'electron' | 'headless';

type Page = Pick<Window, 'switchyard' | 'location'>;

/** Where the page runs: inside the desktop app, or in a browser served by `switchyard`. */
export function clientHost(win: Page = window): ClientHost {
  return win.switchyard ? 'electron' : 'headless';
}

/** The client for the page as loaded; throws when neither host is reachable. */
export function chooseClient(win: Page = window): ProxyClient {
  if (win.switchyard) return createIpcClient(win.switchyard);
  const endpoint = headlessEndpoint(win.location);
  if (!endpoint) {
    throw new Error(
      'This page has no access token. Open the URL the `switchyard` command printed (it ends in #token=…).',
    );
  }
  return createWsClient(endpoint.url, endpoint.token);
}
