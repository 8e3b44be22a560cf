import { contextBridge } from 'electron';

/**
 * What the renderer can see of its host. For now only a marker telling it that it runs
 * inside the desktop app; the API methods (one function per ProxyApi method) come with
 * the IPC bridge. Keep in sync with `Window['switchyardHost']` in src/renderer/src/env.d.ts.
 */
export interface SwitchyardHost {
  readonly kind: 'electron';
}

const host: SwitchyardHost = Object.freeze({ kind: 'electron' });

contextBridge.exposeInMainWorld('switchyardHost', host);
