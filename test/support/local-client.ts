/**
 * The EngineApi as a ProxyClient in the same process: what the contract suite runs
 * against first, before running again through a real transport.
 */
import type { EngineApi } from '../../src/engine/engine-api.js';
import { API_METHODS, type ProxyClient } from '../../src/shared/api.js';

export function localClient(api: EngineApi): ProxyClient {
  const methods = Object.fromEntries(
    API_METHODS.map((m) => [
      m,
      (...args: unknown[]) => (api[m] as (...a: unknown[]) => Promise<unknown>)(...args),
    ]),
  );
  return {
    ...(methods as Omit<ProxyClient, 'on'>),
    on: (event, listener) => {
      api.events.on(event, listener as never);
      return () => void api.events.off(event, listener as never);
    },
  };
}
