/// <reference types="vite/client" />

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

interface Window {
  /**
   * Set by the Electron preload (src/preload/index.ts, keep in sync); absent when the UI
   * is served by the headless `switchyard` command to a plain browser.
   */
  readonly switchyardHost?: { readonly kind: 'electron' };
}
