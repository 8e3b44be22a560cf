// @vitest-environment happy-dom
/**
 * The app shell with a fake ProxyClient: labelled navigation with one tab stop and arrow
 * keys, the view kept in the URL, the status bar (listeners, capture, unsaved config),
 * engine warnings as messages, and the theme following the OS unless chosen.
 */
import { flushPromises, type VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import App from '../../../src/renderer/src/App.vue';
import { createFakeClient, fakeStatus, type FakeClient } from '../../support/fake-client.js';
import { fakeLayout, mountWithClient, settle } from '../../support/renderer-mount.js';

describe('app shell', () => {
  let client: FakeClient;
  let view: VueWrapper;
  let layout: ReturnType<typeof fakeLayout>;

  beforeEach(() => {
    window.history.replaceState(null, '', '/?view=balancers#token=abc');
    localStorage.clear();
    client = createFakeClient({
      status: fakeStatus({
        unsaved: true,
        capture: { paused: true, entries: 3, bytes: 100 },
        listeners: [
          {
            name: 'web',
            address: '127.0.0.1',
            port: 8080,
            tls: false,
            url: 'http://127.0.0.1:8080',
          },
          {
            name: 'secure',
            address: '127.0.0.1',
            port: 8443,
            tls: true,
            url: 'https://127.0.0.1:8443',
          },
        ],
      }),
    });
    layout = fakeLayout();
  });

  afterEach(() => {
    view?.unmount();
    layout.restore();
  });

  async function open(): Promise<void> {
    view = mountWithClient(App, client);
    await settle();
    await flushPromises();
  }

  const navButtons = () => view.findAll('nav[aria-label="Views"] button');

  it('names every view in the navigation and marks the current one', async () => {
    await open();
    expect(navButtons().map((b) => b.text())).toEqual([
      'Routes',
      'Traffic',
      'Apps',
      'Balancers',
      'Certificates',
    ]);
    const current = navButtons().filter((b) => b.attributes('aria-current') === 'page');
    expect(current.map((b) => b.text())).toEqual(['Balancers']);
    // One tab stop for the whole navigation: the current view's button.
    expect(navButtons().map((b) => b.attributes('tabindex'))).toEqual([
      '-1',
      '-1',
      '-1',
      '0',
      '-1',
    ]);
    expect(view.find('main').attributes('aria-label')).toBe('Balancers');
  });

  it('moves between views with the arrow keys and keeps the view in the URL', async () => {
    await open();
    await navButtons()[3]!.trigger('keydown', { key: 'ArrowDown' });
    await flushPromises();
    expect(navButtons()[4]!.attributes('aria-current')).toBe('page');
    expect(window.location.search).toBe('?view=certificates');
    expect(window.location.hash).toBe('#token=abc'); // the token stays
    await navButtons()[4]!.trigger('keydown', { key: 'ArrowDown' }); // wraps around
    await flushPromises();
    expect(navButtons()[0]!.attributes('aria-current')).toBe('page');
    await navButtons()[0]!.trigger('keydown', { key: 'End' });
    await navButtons()[4]!.trigger('click');
    await navButtons()[1]!.trigger('click');
    await flushPromises();
    expect(window.location.search).toBe('?view=traffic');
  });

  it('opens Traffic when the URL names no view', async () => {
    window.history.replaceState(null, '', '/#token=abc');
    await open();
    expect(view.find('main').attributes('aria-label')).toBe('Traffic');
  });

  it('shows listeners, paused capture and unsaved configuration in the status bar', async () => {
    await open();
    const bar = view.find('footer[aria-label="Status"]');
    const links = bar.findAll('a');
    expect(links.map((a) => a.attributes('href'))).toEqual([
      'http://127.0.0.1:8080',
      'https://127.0.0.1:8443',
    ]);
    expect(bar.text()).toContain('Capture paused');
    expect(bar.text()).toContain('Unsaved configuration');
    expect(bar.find('[role="status"]').attributes('aria-live')).toBe('polite');

    client.data.status.unsaved = false;
    client.emit('config', { reason: 'saved' });
    await settle();
    expect(bar.text()).toContain('Saved · switchyard.yaml');
  });

  it('shows engine warnings as messages', async () => {
    await open();
    client.emit('warning', { message: 'the CA does not cover shop.example' });
    await flushPromises();
    expect(document.body.textContent).toContain('the CA does not cover shop.example');
  });

  it('lets the user override the OS theme, and remembers it', async () => {
    await open();
    const select = view.find('select[aria-label="Colour theme"]');
    expect((select.element as HTMLSelectElement).value).toBe('system');
    await select.setValue('dark');
    await flushPromises();
    expect(localStorage.getItem('switchyard.theme')).toBe('dark');
  });

  it('stops polling and listening when the app goes away', async () => {
    const clear = vi.spyOn(globalThis, 'clearInterval');
    await open();
    expect(client.listenerCount('config')).toBeGreaterThan(0);
    expect(client.listenerCount('warning')).toBe(1);
    view.unmount();
    expect(client.listenerCount('warning')).toBe(0);
    expect(clear).toHaveBeenCalled();
    clear.mockRestore();
  });
});
