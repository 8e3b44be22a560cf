/**
 * How the renderer reaches the engine: main.ts provides one `ProxyClient` (IPC in
 * Electron, WebSocket in a browser) under this key, and stores `inject()` it. Nothing in
 * the renderer imports a concrete client, so tests provide a fake with the same key.
 */
import { inject, type InjectionKey } from 'vue';
import type { ProxyClient } from '../../../shared/api.js';

export const PROXY_CLIENT_KEY: InjectionKey<ProxyClient> = Symbol('ProxyClient');

/** The provided client; a clear error when a store or component runs outside the app. */
export function useProxyClient(): ProxyClient {
  const client = inject(PROXY_CLIENT_KEY, null);
  if (!client) {
    throw new Error('no ProxyClient provided: app.provide(PROXY_CLIENT_KEY, client) first');
  }
  return client;
}
