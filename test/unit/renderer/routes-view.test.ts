// @vitest-environment happy-dom
/**
 * The Routes view as a user works it: the form with messages at the fields, reordering
 * by keyboard and by drag, undo from the keyboard, apply and save from the toolbar, the
 * YAML view with problems at their lines, the map, and the first-launch demo guide.
 */
import { DOMWrapper } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RoutingConfig } from '../../../src/shared/config.js';
import RoutesView from '../../../src/renderer/src/features/routes/RoutesView.vue';
import { useConfigStore } from '../../../src/renderer/src/stores/config.js';
import { fakeBalancer, type FakeClient } from '../../support/fake-client.js';
import { fakeFor, mountWith, sampleConfig, settle } from './routes-mount.js';

let unmount: (() => void) | undefined;
afterEach(() => {
  unmount?.();
  document.body.innerHTML = '';
  vi.restoreAllMocks();
});

// Vue Flow measures its container, which happy-dom does not lay out; its warnings about
// that are expected here (the e2e test and the screenshots cover the real layout).
const warn = console.warn;
console.warn = (...args: unknown[]) => {
  if (String(args[0]).startsWith('[Vue Flow]')) return;
  warn(...args);
};

async function open(client: FakeClient = fakeFor()) {
  const wrapper = mountWith(RoutesView, client);
  unmount = () => wrapper.unmount();
  await settle();
  return { wrapper, client, store: useConfigStore() };
}

function body(): DOMWrapper<HTMLElement> {
  return new DOMWrapper(document.body);
}

/** The button whose accessible name (aria-label, else text) is `name`. */
function button(name: string | RegExp, within: ParentNode = document.body): HTMLButtonElement {
  const all = [...within.querySelectorAll('button')];
  const found = all.find((b) => {
    const label = b.getAttribute('aria-label') ?? b.textContent?.trim() ?? '';
    return typeof name === 'string' ? label === name : name.test(label);
  });
  if (!found)
    throw new Error(
      `no button ${String(name)} among: ${all.map((b) => b.getAttribute('aria-label') ?? b.textContent?.trim()).join(' | ')}`,
    );
  return found;
}

async function click(name: string | RegExp, within?: ParentNode): Promise<void> {
  button(name, within).click();
  await settle();
}

function drawer(): HTMLElement {
  const el = document.querySelector<HTMLElement>('.n-drawer');
  if (!el) throw new Error('the route form is not open');
  return el;
}

async function type(selector: string, value: string): Promise<void> {
  await body().get(selector).setValue(value);
  await settle();
}

function names(config: RoutingConfig | undefined): string[] {
  return config?.routes.map((r) => r.name) ?? [];
}

describe('route form', () => {
  it('adds a route, with the schema’s messages at the fields as the user types', async () => {
    const { store } = await open();
    await click('Add route');
    expect(drawer().textContent).toContain('New route');
    await type('#route-name', 'docs');
    await type('#route-path', 'docs');
    expect(drawer().textContent).toContain('must start with /');
    expect(button('Add route', drawer()).disabled).toBe(true);
    await type('#route-path', '/docs');
    await type('#route-to', 'htp://x');
    expect(drawer().textContent).toContain('must be an http(s) URL');
    await type('#route-to', 'http://127.0.0.1:5000/docs');
    await type('#route-host', 'docs.localhost');
    expect(button('Add route', drawer()).disabled).toBe(false);
    await click('Add route', drawer());
    expect(document.querySelector('.n-drawer')).toBeNull();
    expect(names(store.draft)).toEqual(['app', 'api', 'rest', 'docs']);
    expect(store.draft?.routes[3]).toMatchObject({
      match: { host: 'docs.localhost', path: '/docs' },
      to: 'http://127.0.0.1:5000/docs',
    });
    expect(body().text()).toContain('Unapplied changes');
  });

  it('catches a name another route has, as the engine would', async () => {
    await open();
    await click('Add route');
    await type('#route-name', 'api');
    expect(drawer().textContent).toContain("'api' is already routes[1]");
  });

  it('edits every kind of field of an existing route', async () => {
    const { store } = await open();
    await click('Edit route api');
    expect(drawer().textContent).toContain('Edit route api');
    // Switches are named after what they do.
    const preserve = drawer().querySelector<HTMLElement>(
      '[role="switch"][aria-label="Preserve host"]',
    );
    preserve?.click();
    await type('#route-timeout', '5 seconds');
    expect(drawer().textContent).toContain('must be a duration such as 500ms');
    await type('#route-timeout', '5s');
    await click('Add a header to set', drawer());
    await type('[aria-label="Request header 1 name"]', 'X-Env');
    await type('[aria-label="Request header 1 value"]', 'dev');
    const removeInputs = drawer().querySelectorAll<HTMLInputElement>('input[id$="-remove"]');
    await new DOMWrapper(removeInputs[1]!).setValue('Server, X-Powered-By');
    await settle();
    // Listeners: tick "admin" as well as "web".
    const admin = [...drawer().querySelectorAll<HTMLElement>('[role="checkbox"]')].find(
      (c) => c.textContent?.trim() === 'admin',
    );
    admin?.click();
    await settle();
    await click('Update route', drawer());
    expect(store.draft?.routes[1]).toMatchObject({
      name: 'api',
      preserveHost: true,
      timeout: '5s',
      match: { path: '/api', listeners: ['web', 'admin'] },
      headers: {
        request: { set: { 'X-Env': 'dev' }, remove: [] },
        response: { set: {}, remove: ['Server', 'X-Powered-By'] },
      },
    });
  });

  it('asks before closing with changes, and closes at once without', async () => {
    const { store } = await open();
    await click('Edit route app');
    await click('Cancel', drawer());
    expect(document.querySelector('.n-drawer')).toBeNull();

    await click('Edit route app');
    await type('#route-path', '/changed');
    await click('Cancel', drawer());
    expect(drawer().textContent).toContain('not in the draft yet');
    await click('Keep editing', drawer());
    expect((document.querySelector('#route-path') as HTMLInputElement).value).toBe('/changed');
    await click('Cancel', drawer());
    await click('Discard changes', drawer());
    expect(document.querySelector('.n-drawer')).toBeNull();
    expect(store.dirty).toBe(false);
  });

  it('sends a route to a balancer chosen by name', async () => {
    const { store } = await open();
    await click('Edit route rest');
    const radio = [...drawer().querySelectorAll<HTMLInputElement>('input[type="radio"]')].find(
      (r) => r.value === 'balancer',
    );
    radio?.click();
    await settle();
    expect(button('Update route', drawer()).disabled).toBe(true); // no balancer chosen yet
    await body().get('select[aria-label="Balancer"]').setValue('cluster');
    await settle();
    await click('Update route', drawer());
    expect(store.draft?.routes[2]?.to).toBe('balancer://cluster/');
  });
});

describe('route table', () => {
  it('moves routes with the keyboard buttons and keeps focus on the moved route', async () => {
    const { store } = await open();
    button('Move route app down').focus();
    await click('Move route app down');
    expect(names(store.draft)).toEqual(['api', 'app', 'rest']);
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Move route app down');
    await click('Move route app down');
    expect(names(store.draft)).toEqual(['api', 'rest', 'app']);
    // At the bottom "down" is disabled, so focus goes to its twin.
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Move route app up');
    expect(button('Move route app down').disabled).toBe(true);
  });

  it('reorders by dragging a route’s handle onto another row', async () => {
    const { store } = await open();
    const rows = () => [...document.querySelectorAll<HTMLElement>('tr[data-route-index]')];
    const handle = rows()[2]!.querySelector('.handle')!;
    handle.dispatchEvent(new Event('dragstart', { bubbles: true }));
    const target = rows()[0]!;
    const over = new Event('dragover', { bubbles: true, cancelable: true });
    Object.assign(over, { clientY: -1 }); // above the middle of the first row
    target.dispatchEvent(over);
    target.dispatchEvent(new Event('drop', { bubbles: true, cancelable: true }));
    await settle();
    expect(names(store.draft)).toEqual(['rest', 'app', 'api']);
  });

  it('deletes and duplicates; Ctrl+Z undoes outside text fields only', async () => {
    const { store } = await open();
    await click('Duplicate route app');
    expect(names(store.draft)).toEqual(['app', 'app-copy', 'api', 'rest']);
    await click('Delete route api');
    expect(names(store.draft)).toEqual(['app', 'app-copy', 'rest']);

    const input = document.createElement('input');
    document.body.append(input);
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'z', ctrlKey: true, bubbles: true }));
    expect(names(store.draft)).toEqual(['app', 'app-copy', 'rest']);

    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'z', ctrlKey: true }));
    expect(names(store.draft)).toEqual(['app', 'app-copy', 'api', 'rest']);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'z', metaKey: true }));
    expect(names(store.draft)).toEqual(['app', 'api', 'rest']);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Z', ctrlKey: true, shiftKey: true }));
    expect(names(store.draft)).toEqual(['app', 'app-copy', 'api', 'rest']);
  });

  it('lists each route’s problems in its row', async () => {
    const config = sampleConfig();
    const { store } = await open(fakeFor(config));
    store.updateRoute(0, { ...store.draft!.routes[0]!, timeout: 'soon' });
    await settle();
    const row = document.querySelector('tr[data-route-index="0"]');
    expect(row?.textContent).toContain('timeout: must be a duration');
    expect(body().text()).toContain('1 problem');
    expect(button('Apply').disabled).toBe(true);
  });
});

describe('toolbar', () => {
  it('applies live and shows the warnings the engine returned, then saves', async () => {
    const { client } = await open();
    client.respond('applyConfig', (config) => {
      client.data.config = config;
      client.data.status.unsaved = true;
      return { listeners: [], warnings: ['the CA does not cover shop.test'] };
    });
    expect(button('Apply').disabled).toBe(true);
    await click('Delete route rest');
    await click('Apply');
    expect(client.callsOf('applyConfig')).toHaveLength(1);
    expect(body().text()).toContain('the CA does not cover shop.test');
    expect(body().text()).toContain('Applied, not saved to switchyard.yaml');
    await click('Save to file');
    expect(client.callsOf('saveConfig')).toHaveLength(1);
    expect(body().text()).toContain('Saved in switchyard.yaml');
  });

  it('asks before discarding the draft', async () => {
    const { store } = await open();
    await click('Delete route rest');
    await click('Discard changes');
    expect(store.dirty).toBe(true); // only the confirmation is open
    await click('Discard');
    expect(store.dirty).toBe(false);
  });

  it('says when the configuration changed under unapplied edits', async () => {
    const { client, store } = await open();
    await click('Delete route rest');
    client.data.config = sampleConfig({ routes: [{ name: 'x', to: 'http://127.0.0.1:1/' }] });
    client.emit('config', { reason: 'reloaded switchyard.yaml' });
    await settle();
    expect(body().text()).toContain('It changed (reloaded switchyard.yaml)');
    await click('Keep my draft');
    expect(body().text()).not.toContain('It changed');
    expect(names(store.draft)).toEqual(['app', 'api']);
  });
});

describe('YAML view', () => {
  it('shows the engine’s problems at their lines and applies valid text', async () => {
    const { client } = await open();
    const tab = [...document.querySelectorAll<HTMLElement>('[role="tab"]')].find(
      (t) => t.textContent?.trim() === 'YAML',
    );
    tab?.click();
    await settle();
    const area = body().get<HTMLTextAreaElement>('textarea[aria-label="Routing file (YAML)"]');
    expect(area.element.value).toBe('version: 1\n# the file\n');

    client.data.validation = {
      ok: false,
      problems: [
        {
          file: 'switchyard.yaml',
          line: 3,
          column: 5,
          path: 'routes[0].to',
          message: '"htp://x" must be an http(s) URL',
        },
      ],
    };
    await area.setValue('version: 1\nroutes:\n  - { name: a, to: "htp://x" }\n');
    await new Promise((r) => setTimeout(r, 500));
    await settle();
    expect(body().text()).toContain('routes[0].to: "htp://x" must be an http(s) URL');
    expect(document.querySelector('.line-number.bad')?.textContent?.trim()).toBe('3');
    expect(button('Apply YAML').disabled).toBe(true);
    await click('Go to line 3');
    expect(area.element.selectionStart).toBe('version: 1\nroutes:\n'.length + 4);

    const fixed = sampleConfig({ routes: [{ name: 'a', to: 'http://127.0.0.1:3000/' }] });
    client.data.validation = { ok: true, problems: [], config: fixed };
    await area.setValue('version: 1\nroutes:\n  - { name: a, to: "http://127.0.0.1:3000/" }\n');
    await new Promise((r) => setTimeout(r, 500));
    await settle();
    expect(body().text()).toContain('No problems.');
    await click('Apply YAML');
    expect(names(client.callsOf('applyConfig')[0]?.[0] as RoutingConfig)).toEqual(['a']);
  });
});

describe('route map', () => {
  it('draws the draft with live member health, and opens a route’s form on Enter', async () => {
    const client = fakeFor();
    const stats = fakeBalancer('x', [{ url: 'http://x' }]).members[0]!.stats;
    client.data.balancers = [
      fakeBalancer('cluster', [
        { url: 'http://127.0.0.1:9001', stats: { ...stats, health: 'healthy', elected: 3 } },
        { url: 'http://127.0.0.1:9002', stats: { ...stats, health: 'unhealthy' } },
      ]),
    ];
    await open(client);
    const labels = [...document.querySelectorAll('.vue-flow__node')].map((n) =>
      n.getAttribute('aria-label'),
    );
    expect(labels).toContain('Member http://127.0.0.1:9001 of cluster: enabled, health healthy');
    expect(labels).toContain('Member http://127.0.0.1:9002 of cluster: enabled, health unhealthy');
    expect(client.listenerCount('balancers')).toBe(1);

    // A live update from the engine reaches the map.
    client.emit('balancers', [
      fakeBalancer('cluster', [
        { url: 'http://127.0.0.1:9001', state: 'disabled' },
        { url: 'http://127.0.0.1:9002' },
      ]),
    ]);
    await settle();
    const member = document.querySelector('[data-id="member:cluster:http://127.0.0.1:9001"]');
    expect(member?.getAttribute('aria-label')).toMatch(/disabled/);

    const route = document.querySelector<HTMLElement>('[data-id="route:1"]');
    route?.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await settle();
    expect(drawer().textContent).toContain('Edit route api');
  });

  it('stops listening for statistics when the view closes', async () => {
    const { client, wrapper } = await open();
    expect(client.listenerCount('balancers')).toBe(1);
    wrapper.unmount();
    unmount = undefined;
    expect(client.listenerCount('balancers')).toBe(0);
  });
});

describe('first-launch demo', () => {
  const demo = sampleConfig({
    listeners: [{ name: 'demo', port: 0 }],
    routes: [{ name: 'demo', to: 'balancer://demo/' }],
    balancers: [{ name: 'demo', members: [{ url: 'http://127.0.0.1:9001' }] }],
  });

  it('explains what to try and keeps the demo as the routing file', async () => {
    const client = fakeFor(demo, null);
    client.data.status.listeners = [
      {
        name: 'demo',
        address: '127.0.0.1',
        port: 43210,
        tls: false,
        url: 'http://127.0.0.1:43210',
      },
    ];
    await open(client);
    expect(body().text()).toContain('This is the demo');
    const link = document.querySelector<HTMLAnchorElement>('.demo-guide a');
    expect(link?.href).toBe('http://127.0.0.1:43210/');
    client.respond('saveConfig', () => ({ path: '/home/me/switchyard.yaml' }));
    await click('Make it my routing file');
    expect(client.callsOf('saveConfig')).toHaveLength(1);
    expect(body().text()).toContain('Saved to /home/me/switchyard.yaml');
  });

  it('shows why it could not save when the host gave no path', async () => {
    const client = fakeFor(demo, null);
    client.respond('saveConfig', () => {
      throw new Error('there is no routing file to save to (start with --config FILE)');
    });
    await open(client);
    await click('Make it my routing file');
    expect(body().text()).toContain('there is no routing file to save to');
  });

  it('is not shown for a configuration from a routing file', async () => {
    await open(fakeFor(demo));
    expect(body().text()).not.toContain('This is the demo');
  });
});
