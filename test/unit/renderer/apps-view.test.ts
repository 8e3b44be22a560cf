// @vitest-environment happy-dom
/**
 * The Apps view with a fake ProxyClient: each app's state tag and sentence, URLs (HTTPS
 * first, new tab), instances with port and PID, the controls calling controlApp (and
 * disabled with a reason where they do not apply), start/stop all, failures as messages,
 * the empty state, and "Traffic" opening the Traffic view filtered to the app's route.
 */
import { flushPromises, type VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import App from '../../../src/renderer/src/App.vue';
import AppsView from '../../../src/renderer/src/features/apps/AppsView.vue';
import { RUN_ONLY_REASONS } from '../../../src/renderer/src/features/apps/app-state.js';
import { useTrafficStore } from '../../../src/renderer/src/stores/traffic.js';
import { createFakeClient, fakeSummary, type FakeClient } from '../../support/fake-client.js';
import { fakeLayout, manualFrames, mountWithClient, settle } from '../../support/renderer-mount.js';
import { fakeApp } from './apps-fixtures.js';

describe('AppsView', () => {
  let client: FakeClient;
  let view: VueWrapper;
  let frames: ReturnType<typeof manualFrames>;
  let layout: ReturnType<typeof fakeLayout>;

  beforeEach(() => {
    client = createFakeClient({
      apps: [
        fakeApp({
          name: 'api',
          urls: ['http://api.localhost:8080', 'https://api.localhost:8443'],
          instances: [{ state: 'up', port: 4001, pid: 1234, detail: 'up since 09:30' }],
        }),
        fakeApp({ name: 'shop', state: 'stopped' }),
        fakeApp({
          name: 'worker',
          instances: [{ state: 'exited', exitCode: 2, detail: 'exited with code 2' }],
        }),
        fakeApp({
          name: 'docs',
          inFile: false,
          command: 'hugo server',
          instances: [{ source: 'run', state: 'up', port: 1313, pid: 77 }],
        }),
        fakeApp({
          name: 'db',
          command: undefined,
          instances: [{ source: 'alias', state: 'alias', port: 5432 }],
        }),
      ],
    });
    frames = manualFrames();
    layout = fakeLayout();
  });

  afterEach(() => {
    view?.unmount();
    frames.restore();
    layout.restore();
  });

  async function open(): Promise<void> {
    view = mountWithClient(AppsView, client);
    await settle();
    frames.frame();
    await flushPromises();
  }

  const row = (name: string) => view.find(`[data-testid="app-row-${name}"]`);
  const button = (action: string, name: string) =>
    view.find<HTMLButtonElement>(`[data-testid="app-${action}-${name}"]`);

  it('shows each app with its state tag and sentence', async () => {
    await open();
    expect(view.find('[data-testid="apps-view"]').exists()).toBe(true);
    const tag = (name: string) => view.find(`[data-testid="app-state-${name}"]`);
    expect(tag('api').text()).toBe('Up');
    expect(tag('api').classes()).toContain('n-tag');
    expect(tag('shop').text()).toBe('Stopped');
    expect(tag('worker').text()).toBe('Exited (code 2)');
    expect(tag('docs').text()).toBe('Up');
    expect(tag('db').text()).toBe('Alias');
    expect(row('api').text()).toContain('up since 09:30');
    expect(row('worker').text()).toContain('exited with code 2');
  });

  it('links every URL in a new tab, HTTPS first', async () => {
    await open();
    const links = view.findAll('[data-testid="app-url-api"]');
    expect(links.map((a) => a.attributes('href'))).toEqual([
      'https://api.localhost:8443',
      'http://api.localhost:8080',
    ]);
    expect(links.every((a) => a.attributes('target') === '_blank')).toBe(true);
    expect(links[0]!.attributes('rel')).toContain('noopener');
  });

  it('lists instances with source, port and PID, and where each app comes from', async () => {
    await open();
    const cells = (id: string) =>
      view.findAll(`[data-testid="app-instance-${id}"] td`).map((c) => c.text());
    expect(cells('api#1')).toEqual(['routing file', 'Up', '4001', '1234', '0', 'up since 09:30']);
    expect(cells('docs#1').slice(0, 4)).toEqual(['switchyard run', 'Up', '1313', '77']);
    expect(cells('db#1').slice(0, 4)).toEqual(['alias', 'Alias', '5432', '—']);
    expect(row('docs').find('.source').text()).toBe('switchyard run');
    expect(row('db').find('.source').text()).toBe('alias');
  });

  it('disables Start while up and Stop while stopped', async () => {
    await open();
    expect(button('start', 'api').element.disabled).toBe(true);
    expect(button('stop', 'api').element.disabled).toBe(false);
    expect(button('start', 'shop').element.disabled).toBe(false);
    expect(button('stop', 'shop').element.disabled).toBe(true);
    expect(button('start', 'worker').element.disabled).toBe(false);
  });

  it('starts, stops and restarts an app through controlApp', async () => {
    await open();
    await button('start', 'shop').trigger('click');
    await flushPromises();
    expect(client.callsOf('controlApp')).toEqual([['shop', 'start']]);
    // The fake engine started it: the buttons follow.
    expect(view.find('[data-testid="app-state-shop"]').text()).toBe('Up');
    expect(button('start', 'shop').element.disabled).toBe(true);
    await button('restart', 'api').trigger('click');
    await flushPromises();
    await button('stop', 'api').trigger('click');
    await flushPromises();
    expect(client.callsOf('controlApp').slice(1)).toEqual([
      ['api', 'restart'],
      ['api', 'stop'],
    ]);
  });

  it('starts and stops every app', async () => {
    await open();
    await view.find('[data-testid="apps-stop-all"]').trigger('click');
    await flushPromises();
    await view.find('[data-testid="apps-start-all"]').trigger('click');
    await flushPromises();
    expect(client.callsOf('controlApp')).toEqual([
      [null, 'stop'],
      [null, 'start'],
    ]);
  });

  it('cannot control a switchyard run app or an alias, and says why on hover', async () => {
    await open();
    for (const action of ['start', 'stop', 'restart']) {
      expect(button(action, 'docs').element.disabled).toBe(true);
      expect(button(action, 'db').element.disabled).toBe(true);
    }
    await button('start', 'docs').element.parentElement!.dispatchEvent(
      new MouseEvent('mouseenter'),
    );
    await new Promise((r) => setTimeout(r, 200));
    await flushPromises();
    expect(document.body.textContent).toContain(RUN_ONLY_REASONS.start);
  });

  it('shows a refused control as an error message', async () => {
    client.respond('controlApp', () => Promise.reject(new Error('port 4001 is taken')));
    await open();
    await button('restart', 'api').trigger('click');
    await flushPromises();
    expect(document.body.textContent).toContain('Could not restart api: port 4001 is taken');
  });

  it('explains how to add apps when there are none', async () => {
    client.data.apps = [];
    await open();
    const empty = view.find('[data-testid="apps-empty"]');
    expect(empty.text()).toContain('apps:');
    expect(empty.text()).toContain('switchyard run shop -- npm run dev');
    expect(view.find('[data-testid="app-log"]').exists()).toBe(false);
  });

  it('listens for apps only while shown', async () => {
    await open();
    expect(client.listenerCount('apps')).toBe(1);
    expect(client.listenerCount('appLog')).toBe(1);
    view.unmount();
    expect(client.listenerCount('apps')).toBe(0);
    expect(client.listenerCount('appLog')).toBe(0);
  });
});

describe('Apps → Traffic', () => {
  let client: FakeClient;
  let view: VueWrapper;
  let layout: ReturnType<typeof fakeLayout>;

  beforeEach(() => {
    window.history.replaceState(null, '', '/?view=apps#token=abc');
    client = createFakeClient({
      apps: [fakeApp({ name: 'shop', state: 'up' }), fakeApp({ name: 'api', state: 'up' })],
      exchanges: [
        fakeSummary({ id: 1, route: 'shop.localhost', host: 'shop.localhost:8443' }),
        fakeSummary({ id: 2, route: 'api.localhost', host: 'api.localhost:8443' }),
        fakeSummary({ id: 3, route: 'shop.localhost', host: 'shop.localhost:8443' }),
      ],
    });
    layout = fakeLayout();
  });

  afterEach(() => {
    view?.unmount();
    layout.restore();
  });

  it("opens the Traffic view filtered to the app's route", async () => {
    view = mountWithClient(App, client);
    await settle();
    await flushPromises();
    expect(view.find('main').attributes('aria-label')).toBe('Apps');
    useTrafficStore().setFilter({ text: 'something else' });

    await view.find('[data-testid="app-traffic-shop"]').trigger('click');
    await settle();
    await flushPromises();
    await settle();

    expect(view.find('main').attributes('aria-label')).toBe('Traffic');
    expect(window.location.search).toBe('?view=traffic');
    const traffic = useTrafficStore();
    expect(traffic.filter).toMatchObject({ route: 'shop.localhost', text: '' });
    // The Traffic view is an async chunk: wait for its toolbar.
    const route = () => view.find<HTMLSelectElement>('select[aria-label="Route"]');
    await vi.waitFor(() => expect(route().exists()).toBe(true));
    expect(route().element.value).toBe('shop.localhost');
    expect(traffic.visible.map((s) => s.id)).toEqual([3, 1]);
  });

  it('names the route in the menu even before the app had traffic', async () => {
    client.data.apps.push(fakeApp({ name: 'fresh', state: 'up' }));
    view = mountWithClient(App, client);
    await settle();
    await view.find('[data-testid="app-traffic-fresh"]').trigger('click');
    const route = () => view.find<HTMLSelectElement>('select[aria-label="Route"]');
    await vi.waitFor(() => expect(route().exists()).toBe(true));
    await flushPromises();
    expect(route().element.value).toBe('fresh.localhost');
    expect(useTrafficStore().visible).toEqual([]);
  });
});
