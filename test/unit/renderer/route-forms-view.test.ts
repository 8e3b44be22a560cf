// @vitest-environment happy-dom
/**
 * Every route form in the Routes view, as a user works it: the table says what each route
 * does and what it matches beyond host and path; the form picks an action (proxy with a
 * backend protocol, redirect, answer itself), a path pattern and conditions, with the
 * shared schema's messages at the fields, and keeps the other actions' fields while the
 * user switches; the map ends redirect and respond routes at a node of their own and
 * labels HTTP/2 lines.
 */
import { DOMWrapper } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import {
  routingConfigSchema,
  type RouteConfig,
  type RoutingConfig,
} from '../../../src/shared/config.js';
import { draftProblems } from '../../../src/renderer/src/features/routes/config-problems.js';
import { buildRouteGraph } from '../../../src/renderer/src/features/routes/route-map-graph.js';
import { connect } from '../../../src/renderer/src/features/routes/route-map-edits.js';
import RoutesView from '../../../src/renderer/src/features/routes/RoutesView.vue';
import { useConfigStore } from '../../../src/renderer/src/stores/config.js';
import { fakeFor, mountWith, sampleConfig, settle } from './routes-mount.js';

let unmount: (() => void) | undefined;
afterEach(() => {
  unmount?.();
  document.body.innerHTML = '';
});

// Vue Flow measures its container, which happy-dom does not lay out (see routes-view.test.ts).
const warn = console.warn;
console.warn = (...args: unknown[]) => {
  if (String(args[0]).startsWith('[Vue Flow]')) return;
  warn(...args);
};

/** The sample configuration plus one route of each new form. */
function formsConfig(): Record<string, unknown> {
  const base = sampleConfig() as { routes: unknown[] };
  return sampleConfig({
    routes: [
      ...(base.routes as RoutingConfig['routes']),
      {
        name: 'old',
        match: { path: '/old' },
        redirect: { to: 'https://new.localhost/', status: 301 },
        preserveHost: true,
      },
      { name: 'static', match: { path: '/static' }, respond: { status: 404 } },
      { name: 'manager', match: { path: '/balancer-manager' }, respond: { page: 'balancers' } },
      {
        name: 'versioned',
        match: {
          pathRegex: '^/v([0-9]+)/(.*)$',
          ignoreCase: true,
          when: [
            { on: 'header:X-Tenant', matches: '^(gold|silver)$' },
            {
              anyOf: [
                { on: 'host', equals: 'vip.localhost' },
                { on: 'scheme', equals: 'https' },
              ],
            },
          ],
        },
        to: 'h2c://127.0.0.1:50051/v$1/$2',
        query: 'drop',
      },
    ] as RoutingConfig['routes'],
  });
}

async function open(config = formsConfig()) {
  const client = fakeFor(config);
  const wrapper = mountWith(RoutesView, client);
  unmount = () => wrapper.unmount();
  await settle();
  return { client, store: useConfigStore() };
}

function button(name: string, within: ParentNode = document.body): HTMLButtonElement {
  const found = [...within.querySelectorAll('button')].find(
    (b) => (b.getAttribute('aria-label') ?? b.textContent?.trim()) === name,
  );
  if (!found) throw new Error(`no button ${name}`);
  return found;
}

async function click(name: string, within?: ParentNode): Promise<void> {
  button(name, within).click();
  await settle();
}

function drawer(): HTMLElement {
  const el = document.querySelector<HTMLElement>('.n-drawer');
  if (!el) throw new Error('the route form is not open');
  return el;
}

/** Pick a radio (NRadio or NRadioButton) of the group named `group` by its value. */
async function pick(group: string, value: string | number): Promise<void> {
  const input = drawer().querySelector<HTMLInputElement>(
    `input[type="radio"][name="${group}"][value="${value}"]`,
  );
  if (!input) throw new Error(`no radio ${group}=${value}`);
  input.click();
  await settle();
}

function picked(group: string): string | undefined {
  return (
    drawer().querySelector<HTMLInputElement>(`input[type="radio"][name="${group}"]:checked`)
      ?.value ?? undefined
  );
}

async function type(selector: string, value: string): Promise<void> {
  const el = drawer().querySelector<HTMLInputElement | HTMLTextAreaElement>(selector);
  if (!el) throw new Error(`no field ${selector}`);
  const field = new DOMWrapper(el);
  await field.trigger('focus');
  await field.setValue(value);
  // A number field (the status) takes its value when it loses focus.
  await field.trigger('blur');
  await settle();
}

async function select(label: string, value: string): Promise<void> {
  const el = drawer().querySelector<HTMLSelectElement>(`select[aria-label="${label}"]`);
  if (!el) throw new Error(`no select ${label}`);
  await new DOMWrapper(el).setValue(value);
  await settle();
}

/** Click the checkbox whose text is `text` (inside `within`). */
async function check(text: string, within: ParentNode = drawer()): Promise<void> {
  const box = [...within.querySelectorAll<HTMLElement>('[role="checkbox"]')].find(
    (c) => c.textContent?.trim() === text,
  );
  if (!box) throw new Error(`no checkbox ${text}`);
  box.click();
  await settle();
}

function text(): string {
  return drawer().textContent ?? '';
}

function routeNamed(store: ReturnType<typeof useConfigStore>, name: string): RouteConfig {
  const route = store.draft?.routes.find((r) => r.name === name);
  if (!route) throw new Error(`no route ${name}`);
  return route;
}

describe('route table', () => {
  it('says what each route does and shows its pattern and conditions', async () => {
    await open();
    const row = (i: number) =>
      document.querySelector(`tr[data-route-index="${i}"]`)?.textContent ?? '';
    expect(row(0)).toContain('http://127.0.0.1:3000/app');
    expect(row(1)).toContain('balancer://cluster/');
    expect(row(3)).toContain('redirect 301 → https://new.localhost/');
    // Proxy options are not listed for a route that does not proxy.
    expect(row(3)).not.toContain('preserve host');
    expect(row(4)).toContain('answers 404');
    expect(row(5)).toContain('balancers view');
    expect(row(6)).toContain('~ ^/v([0-9]+)/(.*)$ (ignore case)');
    expect(row(6)).toContain('+2 conditions');
    expect(row(6)).toContain('HTTP/2 (h2c)');
    expect(row(6)).toContain('query dropped');
    expect(row(0)).not.toContain('conditions');
    const badge = [...document.querySelectorAll<HTMLElement>('[title]')].find((e) =>
      e.textContent?.includes('+2 conditions'),
    );
    expect(badge?.title).toBe(
      'header:X-Tenant ~ ^(gold|silver)$\nany of (host = "vip.localhost" | scheme = "https")',
    );
  });
});

describe('route form: actions', () => {
  it('adds a redirect route, with the schema’s messages at its fields', async () => {
    const { store } = await open();
    await click('Add route');
    await type('#route-name', 'to-https');
    await type('#route-path', '/secure');
    await pick('route-action', 'redirect');
    expect(drawer().querySelector('#route-to')).toBeNull();
    // The default target is the usual http → https redirect, valid as it is.
    const target = drawer().querySelector<HTMLInputElement>('#route-redirect-to');
    expect(target?.value).toBe('https://{{request.host}}{{request.path}}');
    expect(button('Add route', drawer()).disabled).toBe(false);
    await type('#route-redirect-to', 'ftp://files.localhost/');
    expect(text()).toContain('must be a path starting with / or an http(s) URL');
    expect(button('Add route', drawer()).disabled).toBe(true);
    await type('#route-redirect-to', '/moved/$1');
    expect(text()).toContain('uses $N, which needs match.pathRegex to capture groups');
    await type('#route-redirect-to', 'https://secure.localhost/');
    expect(picked('route-redirect-status')).toBe('302');
    await pick('route-redirect-status', 308);
    expect(text()).toContain('Permanent, same method');
    // Proxy-only options are hidden for a redirect.
    expect(drawer().querySelector('#route-timeout')).toBeNull();
    await click('Add route', drawer());

    const added = routeNamed(store, 'to-https');
    expect(added.redirect).toEqual({ to: 'https://secure.localhost/', status: 308 });
    expect(added.to).toBeUndefined();
    expect(added.respond).toBeUndefined();
    expect(draftProblems(store.draft)).toEqual([]);
    expect(document.querySelector('tr[data-route-index="7"]')?.textContent).toContain(
      'redirect 308 → https://secure.localhost/',
    );
  });

  it('answers itself with a status, type and body, or with the balancers view', async () => {
    const { store } = await open();
    await click('Edit route rest');
    await pick('route-action', 'respond');
    expect(picked('route-respond-kind')).toBe('fixed');
    await type('#route-respond-status', '99');
    expect(text()).toContain('must be an HTTP status from 200 to 599');
    expect(button('Update route', drawer()).disabled).toBe(true);
    await type('#route-respond-status', '503');
    await type('#route-respond-type', 'application/json');
    await type('#route-respond-body', '{"down":"{{request.host}}"}');
    await click('Update route', drawer());
    expect(routeNamed(store, 'rest')).toMatchObject({
      respond: {
        status: 503,
        contentType: 'application/json',
        body: '{"down":"{{request.host}}"}',
      },
    });
    expect(routeNamed(store, 'rest').to).toBeUndefined();

    await click('Edit route static');
    expect(picked('route-action')).toBe('respond');
    await pick('route-respond-kind', 'balancers');
    expect(drawer().querySelector('#route-respond-status')).toBeNull();
    await click('Update route', drawer());
    expect(routeNamed(store, 'static').respond?.page).toBe('balancers');
    expect(draftProblems(store.draft)).toEqual([]);
    expect(document.querySelector('tr[data-route-index="4"]')?.textContent).toContain(
      'balancers view',
    );
  });

  it('keeps every action’s fields while switching, and writes only the chosen one', async () => {
    const { store } = await open();
    await click('Edit route app');
    await type('#route-to', 'http://127.0.0.1:3100/app');
    await pick('route-action', 'redirect');
    await type('#route-redirect-to', 'https://app.localhost/');
    await pick('route-action', 'respond');
    await type('#route-respond-status', '410');
    await pick('route-action', 'proxy');
    expect(drawer().querySelector<HTMLInputElement>('#route-to')?.value).toBe(
      'http://127.0.0.1:3100/app',
    );
    await pick('route-action', 'redirect');
    expect(drawer().querySelector<HTMLInputElement>('#route-redirect-to')?.value).toBe(
      'https://app.localhost/',
    );
    await pick('route-action', 'respond');
    expect(drawer().querySelector<HTMLInputElement>('#route-respond-status')?.value).toBe('410');
    await click('Update route', drawer());
    const app = routeNamed(store, 'app');
    expect(app.respond).toMatchObject({ status: 410 });
    expect(document.querySelector('tr[data-route-index="0"]')?.textContent).toContain(
      'answers 410',
    );
    expect(app.to).toBeUndefined();
    expect(app.redirect).toBeUndefined();
    // Proxy options stay in the route for when it proxies again.
    expect(app.timeout).toBe('30s');
    expect(routingConfigSchema.safeParse(store.draft).success).toBe(true);
  });

  it('lists a hidden proxy option’s problem at the top of a redirect route’s form', async () => {
    const { store } = await open();
    store.updateRoute(3, { ...routeNamed(store, 'old'), timeout: 'soon' });
    await settle();
    await click('Edit route old');
    expect(drawer().querySelector('#route-timeout')).toBeNull();
    const top = drawer().querySelector('.other')?.textContent ?? '';
    expect(top).toContain('routes[3].timeout: must be a duration');
  });

  it('picks the backend protocol, which is the URL’s scheme', async () => {
    const { store } = await open();
    await click('Edit route rest');
    expect(picked('route-scheme')).toBe('http');
    await pick('route-scheme', 'h2c');
    expect(drawer().querySelector<HTMLInputElement>('#route-to')?.value).toBe(
      'h2c://127.0.0.1:4000/',
    );
    expect(text()).toContain('HTTP/2 in clear text');
    await type('#route-to', 'h2://grpc.localhost:8443/');
    expect(picked('route-scheme')).toBe('h2');
    await type('#route-to', 'ftp://127.0.0.1/');
    expect(picked('route-scheme')).toBeUndefined();
    expect(text()).toContain('must be an http(s) URL');
    await pick('route-scheme', 'https');
    await click('Update route', drawer());
    expect(routeNamed(store, 'rest').to).toBe('https://127.0.0.1/');
  });
});

describe('route form: pattern, conditions and query', () => {
  it('sets a path pattern and conditions, with messages at the fields', async () => {
    const { store } = await open();
    await click('Edit route rest');
    await type('#route-to', 'http://127.0.0.1:4000/items/$1');
    expect(text()).toContain('uses $N, which needs match.pathRegex');
    await type('#route-path-regex', '^/items/(?=x)');
    expect(text()).toContain('is not a regular expression Switchyard can run in linear time');
    await type('#route-path-regex', '^/items/([0-9]+)$');
    await check('ignore case');
    expect(text()).not.toContain('needs match.pathRegex');

    await click('Add a condition', drawer());
    const first = drawer().querySelector('[aria-label="Condition 1"]')!;
    // A new row tests a header not named yet: the schema says what is missing.
    expect(first.textContent).toContain('must be host, path, scheme or header:NAME');
    expect(first.textContent).toContain('must not be empty');
    expect(button('Update route', drawer()).disabled).toBe(true);
    await type('[aria-label="Condition 1 header name"]', 'X-Tenant');
    await type('[aria-label="Condition 1 value"]', '^(gold|silver)$');
    await check('not', first);

    await click('Add a condition', drawer());
    await select('Condition 2 tests', 'host');
    expect(drawer().querySelector('[aria-label="Condition 2 header name"]')).toBeNull();
    await select('Condition 2 test', 'equals');
    await type('[aria-label="Condition 2 value"]', 'vip.localhost');
    await check('ignore case', drawer().querySelector('[aria-label="Condition 2"]')!);

    await click('Add a condition', drawer());
    await click('Remove condition 3', drawer());

    await pick('route-query', 'drop');
    await click('Update route', drawer());
    const rest = routeNamed(store, 'rest');
    expect(rest.match).toEqual({
      path: '/',
      pathRegex: '^/items/([0-9]+)$',
      ignoreCase: true,
      when: [
        { on: 'header:X-Tenant', matches: '^(gold|silver)$', ignoreCase: false, not: true },
        { on: 'host', equals: 'vip.localhost', ignoreCase: true, not: false },
      ],
    });
    expect(rest.query).toBe('drop');
    expect(draftProblems(store.draft)).toEqual([]);
    const row = document.querySelector('tr[data-route-index="2"]')?.textContent ?? '';
    expect(row).toContain('~ ^/items/([0-9]+)$ (ignore case)');
    expect(row).toContain('+2 conditions');
  });

  it('shows an anyOf group read-only and keeps it; clearing the pattern removes it', async () => {
    const { store } = await open();
    const before = structuredClone(routeNamed(store, 'versioned'));
    await click('Edit route versioned');
    const group = drawer().querySelector('[aria-label="Condition 2"]')!;
    expect(group.textContent).toContain('any of (host = "vip.localhost" | scheme = "https")');
    expect(group.textContent).toContain('edit it in the YAML view');
    expect(group.querySelector('input')).toBeNull();
    expect(picked('route-scheme')).toBe('h2c');
    expect(picked('route-query')).toBe('drop');
    await type('[aria-label="Condition 1 value"]', '^gold$');
    await click('Update route', drawer());
    const after = routeNamed(store, 'versioned');
    expect(after.match.when?.[1]).toEqual(before.match.when?.[1]);
    expect(after.match.when?.[0]).toMatchObject({ on: 'header:X-Tenant', matches: '^gold$' });

    await click('Edit route versioned');
    await click('Remove condition 1', drawer());
    await click('Remove condition 1', drawer());
    await type('#route-to', 'h2c://127.0.0.1:50051/');
    await type('#route-path-regex', '');
    await pick('route-query', 'keep');
    await click('Update route', drawer());
    // Back to defaults: the fields are left out, as the routing file would leave them.
    const plain = routeNamed(store, 'versioned');
    expect(plain.match).toEqual({ path: '/' });
    expect('query' in plain).toBe(false);
    expect(draftProblems(store.draft)).toEqual([]);
  });
});

describe('route map', () => {
  const config = (): RoutingConfig => routingConfigSchema.parse(formsConfig());

  it('ends redirect and respond routes at an answer node and labels HTTP/2 lines', () => {
    const graph = buildRouteGraph(config());
    const node = (id: string) => graph.nodes.find((n) => n.id === id);
    expect(node('answer:3')?.data).toEqual({
      kind: 'answer',
      action: 'redirect',
      title: 'Redirect 301',
      text: 'https://new.localhost/',
    });
    expect(node('answer:4')?.data).toMatchObject({
      action: 'respond',
      title: 'Answers itself',
      text: 'status 404',
    });
    expect(node('answer:5')?.data).toMatchObject({ action: 'respond', text: 'balancers view' });
    expect(node('answer:3')?.ariaLabel).toBe(
      'Route old answers itself: redirect 301 → https://new.localhost/',
    );
    const edge = (source: string, target: string) =>
      graph.edges.find((e) => e.source === source && e.target === target);
    expect(edge('route:3', 'answer:3')?.ariaLabel).toBe(
      'Route old: redirect 301 → https://new.localhost/',
    );
    expect(edge('route:6', 'target:h2c://127.0.0.1:50051/v$1/$2')?.label).toBe('HTTP/2 (h2c)');
    expect(edge('route:0', 'target:http://127.0.0.1:3000/app')?.label).toBeUndefined();
    expect(node('target:h2c://127.0.0.1:50051/v$1/$2')?.data).toMatchObject({
      protocol: 'HTTP/2 (h2c)',
    });
    expect(node('route:6')?.data).toMatchObject({
      match: '*/ ~ ^/v([0-9]+)/(.*)$ (ignore case) +2 conditions',
    });
    expect(node('route:4')?.ariaLabel).toMatch(/^Route 5 static: \*\/static, answers 404\./);
    // Answer nodes are ends of lines, never deleted or connected from the map.
    expect(graph.nodes.filter((n) => n.type === 'answer').every((n) => !n.deletable)).toBe(true);
  });

  it('labels lines to HTTP/2 balancer members', () => {
    const c = config();
    c.balancers[0]!.members[1]!.url = 'h2://127.0.0.1:9443';
    const graph = buildRouteGraph(c);
    const line = graph.edges.find((e) => e.target === 'member:cluster:h2://127.0.0.1:9443');
    expect(line?.label).toBe('HTTP/2 (h2)');
    expect(line?.ariaLabel).toBe('cluster balances to h2://127.0.0.1:9443 over HTTP/2 (h2)');
  });

  it('sending a redirect route to a balancer from the map replaces the redirect', () => {
    const result = connect(config(), 'route:3', 'balancer:cluster');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.routes[3]).toMatchObject({ to: 'balancer://cluster/' });
    expect(result.config.routes[3]?.redirect).toBeUndefined();
    expect(draftProblems(result.config)).toEqual([]);
  });

  it('draws the answer nodes in the view', async () => {
    await open();
    const labels = [...document.querySelectorAll('.vue-flow__node')].map((n) =>
      n.getAttribute('aria-label'),
    );
    expect(labels).toContain('Route old answers itself: redirect 301 → https://new.localhost/');
    expect(labels).toContain('Route static answers itself: answers 404');
    const answer = document.querySelector('[data-id="answer:5"]');
    expect(answer?.textContent).toContain('Answers itself');
    expect(answer?.textContent).toContain('balancers view');
  });
});
