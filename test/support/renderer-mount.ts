/**
 * Renderer tests' plumbing: a Pinia whose stores inject a given (fake) ProxyClient, and
 * components mounted inside the providers the app gives them (naive-ui's message
 * provider), so a test mounts a view exactly as App.vue nests it. Also a hand-cranked
 * requestAnimationFrame, for code that applies work once per frame.
 */
/* eslint-disable vue/one-component-per-file -- two throwaway test hosts, not app components */
import { mount, type VueWrapper } from '@vue/test-utils';
import { NMessageProvider } from 'naive-ui';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { vi } from 'vitest';
import { createApp, defineComponent, h, type Component } from 'vue';
import { PROXY_CLIENT_KEY } from '../../src/renderer/src/api/inject.js';
import type { ProxyClient } from '../../src/shared/api.js';

/** A Pinia, active, whose stores see `client` through inject() (as in main.ts). */
export function piniaWithClient(client: ProxyClient): Pinia {
  const pinia = createPinia();
  createApp({ render: () => null })
    .provide(PROXY_CLIENT_KEY, client)
    .use(pinia);
  setActivePinia(pinia);
  return pinia;
}

export function mountWithClient<P extends Record<string, unknown>>(
  component: Component,
  client: ProxyClient,
  props: P = {} as P,
): VueWrapper {
  const pinia = piniaWithClient(client);
  const Host = defineComponent({
    render: () => h(NMessageProvider, null, { default: () => h(component, props) }),
  });
  return mount(Host, {
    attachTo: document.body,
    global: { plugins: [pinia], provide: { [PROXY_CLIENT_KEY as symbol]: client } },
  });
}

/** requestAnimationFrame replaced by a queue the test runs with `frame()`. */
export function manualFrames(): { frame(): number; pending(): number; restore(): void } {
  let queue: FrameRequestCallback[] = [];
  let next = 1;
  const ids = new Map<number, FrameRequestCallback>();
  vi.stubGlobal('requestAnimationFrame', (cb: FrameRequestCallback) => {
    queue.push(cb);
    ids.set(next, cb);
    return next++;
  });
  vi.stubGlobal('cancelAnimationFrame', (id: number) => {
    const cb = ids.get(id);
    queue = queue.filter((q) => q !== cb);
  });
  return {
    /** Run the callbacks queued so far (one frame); how many ran. */
    frame() {
      const run = queue;
      queue = [];
      for (const cb of run) cb(performance.now());
      return run.length;
    },
    pending: () => queue.length,
    restore: () => vi.unstubAllGlobals(),
  };
}

/** Let pending promises (fake client answers) settle. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
}

/**
 * happy-dom does no layout: every element is 0×0, so a virtualized list would render no
 * rows. This gives every element a plausible client size until `restore()`.
 */
export function fakeLayout(width = 1200, height = 600): { restore(): void } {
  const proto = HTMLElement.prototype;
  const saved = ['clientWidth', 'clientHeight'].map(
    (key) => [key, Object.getOwnPropertyDescriptor(proto, key)] as const,
  );
  Object.defineProperty(proto, 'clientWidth', { configurable: true, get: () => width });
  Object.defineProperty(proto, 'clientHeight', { configurable: true, get: () => height });
  return {
    restore() {
      for (const [key, descriptor] of saved) {
        if (descriptor) Object.defineProperty(proto, key, descriptor);
        else Reflect.deleteProperty(proto, key);
      }
    },
  };
}
