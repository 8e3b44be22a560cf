/**
 * The engine's status for the status bar: listeners, capture, unsaved configuration.
 * Read on start, again whenever the configuration changes (`config` event), and every few
 * seconds: another window or browser on the same engine may pause capture, and there is
 * no event for that.
 */
import { onScopeDispose, shallowRef, type ShallowRef } from 'vue';
import type { EngineStatus, ProxyClient } from '../../../../shared/api.js';

const POLL_MS = 5_000;

export interface EngineStatusHandle {
  status: ShallowRef<EngineStatus | null>;
  error: ShallowRef<string | null>;
  refresh(): Promise<void>;
}

export function useEngineStatus(client: ProxyClient): EngineStatusHandle {
  const status = shallowRef<EngineStatus | null>(null);
  const error = shallowRef<string | null>(null);

  async function refresh(): Promise<void> {
    try {
      status.value = await client.getStatus();
      error.value = null;
    } catch (e) {
      error.value = `Engine unreachable: ${(e as Error).message}`;
    }
  }

  const off = client.on('config', () => void refresh());
  const timer = setInterval(() => void refresh(), POLL_MS);
  onScopeDispose(() => {
    off();
    clearInterval(timer);
  });
  void refresh();
  return { status, error, refresh };
}
