/**
 * The API as the desktop app serves it: the EngineApi, except that trusting the CA and
 * syncing the hosts file may ask for administrator rights (elevation.ts), changes the tray shows are announced, and
 * the first-run demo reports no routing file until it is saved as one.
 * The headless command serves the EngineApi as it is: a browser tab cannot raise a
 * password prompt on the machine, so there the commands are shown instead.
 */
import { API_METHODS, type ApiMethod, type ProxyApi } from '../shared/api.js';
import { withElevation, type RunElevated } from './elevation.js';

export interface HostApiOptions {
  elevate: RunElevated;
  /** Called after a call that changes what the tray shows (capture, listeners). */
  statusChanged?: () => void;
  /**
   * The first-run demo is running (there is no routing file yet). Until the user saves,
   * getStatus reports no configPath: the configuration did not come from a file, which is
   * how the renderer recognises the demo (features/routes/demo-mode.ts). saveConfig still
   * writes the routing file, and from then on configPath is reported.
   */
  demo?: boolean;
}

const CHANGES_STATUS: ReadonlySet<ApiMethod> = new Set([
  'setCapturePaused',
  'applyConfig',
  'clearExchanges',
]);

export function hostApi(engine: ProxyApi, options: HostApiOptions): ProxyApi {
  const api: Record<string, unknown> = {};
  for (const method of API_METHODS) {
    const call = (engine[method] as (...a: unknown[]) => Promise<unknown>).bind(engine);
    api[method] = CHANGES_STATUS.has(method)
      ? async (...args: unknown[]) => {
          try {
            return await call(...args);
          } finally {
            options.statusChanged?.();
          }
        }
      : call;
  }
  let demo = options.demo ?? false;
  api['getStatus'] = async () => {
    const status = await engine.getStatus();
    if (!demo) return status;
    const { configPath: _fromNoFile, ...rest } = status;
    return rest;
  };
  api['saveConfig'] = async () => {
    const saved = await engine.saveConfig();
    demo = false;
    return saved;
  };
  api['trustCa'] = () => withElevation(() => engine.trustCa(), options.elevate);
  api['untrustCa'] = () => withElevation(() => engine.untrustCa(), options.elevate);
  api['syncHostsFile'] = (keep: boolean) =>
    withElevation(() => engine.syncHostsFile(keep), options.elevate);
  return api as ProxyApi;
}
