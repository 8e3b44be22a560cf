// @vitest-environment happy-dom
/**
 * The Routes view's map with apps, as a user sees it: each app's route NAME.localhost with
 * its instances (port, pid, state) or why nothing serves, live as the engine's `apps`
 * events arrive, read-only, and opening the Apps view at the app's output.
 */
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PROXY_CLIENT_KEY } from '../../../src/renderer/src/api/inject.js';
import RoutesView from '../../../src/renderer/src/features/routes/RoutesView.vue';
import { OPEN_VIEW_KEY } from '../../../src/renderer/src/features/shell/views.js';
import { useAppsStore } from '../../../src/renderer/src/stores/apps.js';
import { useConfigStore } from '../../../src/renderer/src/stores/config.js';
import type { FakeClient } from '../../support/fake-client.js';
import { fakeApp } from './apps-fixtures.js';
import { fakeFor, settle } from './routes-mount.js';

let unmount: (() => void) | undefined;
afterEach(() => {
  unmount?.();
  unmount = undefined;
  document.body.innerHTML = '';
});

// Vue Flow measures its container, which happy-dom does not lay out (see routes-view.test.ts).
const warn = console.warn;
console.warn = (...args: unknown[]) => {
  if (String(args[0]).startsWith('[Vue Flow]')) return;
  warn(...args);
};

const shop = () =>
  fakeApp({
    name: 'shop',
    state: 'up',
    instances: [
      { state: 'up', port: 5173, pid: 4242, member: 'http://127.0.0.1:5173' },
      { source: 'run', state: 'unhealthy', port: 5174, pid: 777, member: 'http://127.0.0.1:5174' },
    ],
  });
const docs = () => fakeApp({ name: 'docs', instances: [{ state: 'crashed' }] });

async function open(client: FakeClient) {
  const openView = vi.fn<(key: string) => void>();
  const pinia = createPinia();
  setActivePinia(pinia);
  const wrapper = mount(RoutesView, {
    attachTo: document.body,
    global: {
      plugins: [pinia],
      provide: { [PROXY_CLIENT_KEY as symbol]: client, [OPEN_VIEW_KEY as symbol]: openView },
    },
  });
  unmount = () => wrapper.unmount();
  await settle();
  return { wrapper, openView };
}

function mapNode(id: string): HTMLElement {
  const el = document.querySelector<HTMLElement>(`.vue-flow__node[data-id="${id}"]`);
  if (!el) {
    const ids = [...document.querySelectorAll('.vue-flow__node')].map((n) =>
      n.getAttribute('data-id'),
    );
    throw new Error(`no map node ${id} among: ${ids.join(' | ')}`);
  }
  return el;
}

function withApps(...apps: ReturnType<typeof fakeApp>[]): FakeClient {
  const client = fakeFor();
  client.data.apps = apps;
  return client;
}

describe('route map: apps', () => {
  it('draws each app’s route with its instances by port, pid and state', async () => {
    await open(withApps(shop(), docs()));
    const route = mapNode('app:shop');
    expect(route.textContent).toContain('App route · not in the file');
    expect(route.textContent).toContain('shop.localhost');
    expect(route.textContent).toContain('https://shop.localhost:8443');

    const up = mapNode('app-instance:shop:shop#1');
    expect(up.textContent).toContain('port 5173');
    expect(up.textContent).toContain('pid 4242');
    expect(up.textContent).toContain('Up');
    expect(up.textContent).toContain('routing file');
    const sick = mapNode('app-instance:shop:shop#2');
    expect(sick.textContent).toContain('Unhealthy');
    expect(sick.textContent).toContain('switchyard run');
    expect(sick.getAttribute('aria-label')).toBe('Instance of shop, port 5174, pid 777: unhealthy');

    const down = mapNode('app-down:docs');
    expect(down.textContent).toContain('Answers 503');
    expect(down.textContent).toContain('Crashed');
    expect(down.textContent).toContain('Failed to start too many times in a row');

    expect(document.querySelector('.route-map .hint')?.textContent).toContain(
      "Apps' routes (NAME.localhost) are not in the routing file",
    );
    // The draft's own routes are still there.
    expect(mapNode('route:1').getAttribute('aria-label')).toMatch(/^Route 2 api/);
  });

  it('follows the engine’s apps events, and stops listening when the view closes', async () => {
    const client = withApps(shop());
    const { wrapper } = await open(client);
    expect(client.callsOf('listApps').length).toBeGreaterThan(0);
    expect(client.listenerCount('apps')).toBe(1);

    client.emit('apps', [fakeApp({ name: 'shop', instances: [{ state: 'stopped' }] })]);
    await settle();
    expect(document.querySelector('[data-id="app-instance:shop:shop#1"]')).toBeNull();
    expect(mapNode('app-down:shop').textContent).toContain('Stopped');

    // Without apps the map says nothing about them.
    client.emit('apps', []);
    await settle();
    expect(document.querySelector('[data-id="app:shop"]')).toBeNull();
    expect(document.querySelector('.route-map .hint')?.textContent).not.toContain('Apps');

    wrapper.unmount();
    unmount = undefined;
    expect(client.listenerCount('apps')).toBe(0);
  });

  it('is read-only: its handles do not connect and Delete does not remove it', async () => {
    const { wrapper } = await open(withApps(shop()));
    const store = useConfigStore();
    const before = structuredClone(store.draft);

    const appHandles = mapNode('app:shop').querySelectorAll('.vue-flow__handle');
    expect(appHandles.length).toBe(2);
    for (const h of appHandles) expect(h.classList.contains('connectable')).toBe(false);
    // A file route's handles do connect.
    const routeHandles = mapNode('route:0').querySelectorAll('.vue-flow__handle');
    expect([...routeHandles].every((h) => h.classList.contains('connectable'))).toBe(true);

    // Selected and Delete pressed, an app's route stays; a file route goes (the control).
    const press = async (id: string) => {
      mapNode(id).dispatchEvent(new MouseEvent('click', { bubbles: true }));
      await settle();
      expect(mapNode(id).classList.contains('selected')).toBe(true);
      document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Delete', bubbles: true }));
      await settle();
      document.dispatchEvent(new KeyboardEvent('keyup', { key: 'Delete', bubbles: true }));
      await settle();
    };
    await press('app:shop');
    expect(document.querySelector('[data-id="app:shop"]')).not.toBeNull();
    expect(store.draft).toEqual(before);
    expect(wrapper.text()).not.toContain('Deleted');
    await press('route:2');
    expect(store.draft?.routes.map((r) => r.name)).toEqual(['app', 'api']);
  });

  it('opens the Apps view at the app’s output on Enter', async () => {
    const { openView } = await open(withApps(shop(), docs()));
    mapNode('app-down:docs').dispatchEvent(
      new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }),
    );
    await settle();
    expect(openView).toHaveBeenCalledWith('apps');
    expect(useAppsStore().lastLogName).toBe('docs');
    // Enter on a file route still edits it, and does not leave the view.
    openView.mockClear();
    mapNode('route:1').dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await settle();
    expect(openView).not.toHaveBeenCalled();
    expect(document.querySelector('.n-drawer')?.textContent).toContain('Edit route api');
  });
});
