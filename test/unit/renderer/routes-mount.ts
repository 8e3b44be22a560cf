/**
 * Shared setup for the Routes tests: a routing configuration like a small real one, a
 * fake client serving it, and a store or component wired the way main.ts wires the app
 * (client provided under PROXY_CLIENT_KEY, Pinia installed).
 */
import { mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { createApp, type Component } from 'vue';
import type { RoutingConfigInput } from '../../../src/shared/config.js';
import { routingConfigSchema } from '../../../src/shared/config.js';
import { PROXY_CLIENT_KEY } from '../../../src/renderer/src/api/inject.js';
import { createFakeClient, fakeStatus, type FakeClient } from '../../support/fake-client.js';

export function sampleConfig(overrides: Partial<RoutingConfigInput> = {}): Record<string, unknown> {
  return routingConfigSchema.parse({
    version: 1,
    listeners: [
      { name: 'web', port: 8080 },
      { name: 'admin', port: 9090 },
    ],
    routes: [
      {
        name: 'app',
        match: { host: 'app.localhost', path: '/app' },
        to: 'http://127.0.0.1:3000/app',
      },
      { name: 'api', match: { path: '/api', listeners: ['web'] }, to: 'balancer://cluster/' },
      { name: 'rest', match: { path: '/' }, to: 'http://127.0.0.1:4000/' },
    ],
    balancers: [
      {
        name: 'cluster',
        members: [{ url: 'http://127.0.0.1:9001' }, { url: 'http://127.0.0.1:9002' }],
      },
    ],
    ...overrides,
  }) as Record<string, unknown>;
}

/** `configPath: null` runs without a routing file (the first-launch demo). */
export function fakeFor(
  config = sampleConfig(),
  configPath: string | null = '/p/switchyard.yaml',
): FakeClient {
  const status = fakeStatus();
  if (configPath === null) delete status.configPath;
  else status.configPath = configPath;
  return createFakeClient({ config, configText: 'version: 1\n# the file\n', status });
}

/** An app context for a store used outside components, as main.ts sets it up. */
export function storeContext(client: FakeClient): Pinia {
  const app = createApp({});
  const pinia = createPinia();
  app.provide(PROXY_CLIENT_KEY, client);
  app.use(pinia);
  setActivePinia(pinia);
  return pinia;
}

export function mountWith(component: Component, client: FakeClient): VueWrapper {
  const pinia = createPinia();
  setActivePinia(pinia);
  return mount(component, {
    attachTo: document.body,
    global: { plugins: [pinia], provide: { [PROXY_CLIENT_KEY as symbol]: client } },
  });
}

/** Let promises and Vue's scheduler settle. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
}
