/**
 * Apps on the route map, as data: each app's route NAME.localhost above the draft's
 * routes, served from every listener, to its instances as members (port, pid, state) or
 * to a node saying why nothing serves; read-only, and left out the way the engine leaves
 * it out when the routing file routes the host itself.
 */
import { describe, expect, it } from 'vitest';
import type { AppStatus } from '../../../src/shared/apps.js';
import { routingConfigSchema, type RoutingConfig } from '../../../src/shared/config.js';
import {
  buildAppGraph,
  isAppNode,
  withApps,
} from '../../../src/renderer/src/features/routes/route-map-apps.js';
import {
  canConnect,
  connect,
  disconnect,
} from '../../../src/renderer/src/features/routes/route-map-edits.js';
import {
  buildRouteGraph,
  type MapGraph,
} from '../../../src/renderer/src/features/routes/route-map-graph.js';
import { fakeBalancer } from '../../support/fake-client.js';
import { fakeApp } from './apps-fixtures.js';
import { sampleConfig } from './routes-mount.js';

const config = (): RoutingConfig => routingConfigSchema.parse(sampleConfig());

/** shop: its own process up on 5173 and a `switchyard run` instance on 5174. */
const shop = (): AppStatus =>
  fakeApp({
    name: 'shop',
    state: 'up',
    instances: [
      { state: 'up', port: 5173, pid: 4242, member: 'http://127.0.0.1:5173' },
      { source: 'run', state: 'up', port: 5174, pid: 777, member: 'http://127.0.0.1:5174' },
    ],
  });

const node = (graph: MapGraph, id: string) => graph.nodes.find((n) => n.id === id);
const lines = (graph: MapGraph) =>
  graph.edges.map((e) => `${e.source}->${e.target}${e.implicit ? ' (dashed)' : ''}`);

describe('apps on the route map', () => {
  it('draws listeners → NAME.localhost → the instances, with port, pid and state', () => {
    const graph = buildAppGraph(config(), [shop()]);
    expect(graph.nodes.map((n) => n.id)).toEqual([
      'app:shop',
      'app-instance:shop:shop#1',
      'app-instance:shop:shop#2',
    ]);
    expect(node(graph, 'app:shop')?.data).toEqual({
      kind: 'app-route',
      name: 'shop',
      host: 'shop.localhost',
      url: 'https://shop.localhost:8443',
      state: 'up',
      tone: 'success',
    });
    expect(node(graph, 'app-instance:shop:shop#1')?.data).toEqual({
      kind: 'app-instance',
      app: 'shop',
      id: 'shop#1',
      source: 'file',
      port: 5173,
      pid: 4242,
      state: 'up',
      label: 'Up',
      tone: 'success',
      serving: true,
    });
    expect(node(graph, 'app-instance:shop:shop#2')?.ariaLabel).toBe(
      'Instance of shop, port 5174, pid 777: up',
    );
    // Every listener serves it, as a route naming no listeners does (dashed).
    expect(lines(graph)).toEqual([
      'listener:web->app:shop (dashed)',
      'listener:admin->app:shop (dashed)',
      'app:shop->app-instance:shop:shop#1',
      'app:shop->app-instance:shop:shop#2',
    ]);
    expect(graph.edges.find((e) => e.target === 'app-instance:shop:shop#1')?.ariaLabel).toBe(
      'shop.localhost balances to http://127.0.0.1:5173',
    );
  });

  it('is read-only: nothing deletable, nothing that connects, gestures refused with why', () => {
    const graph = buildAppGraph(config(), [shop()]);
    expect(graph.nodes.every((n) => !n.deletable)).toBe(true);
    expect(graph.edges.every((e) => !e.deletable)).toBe(true);
    expect(graph.nodes.every((n) => isAppNode(n.id))).toBe(true);
    expect(isAppNode('route:0')).toBe(false);
    expect(isAppNode('listener:app')).toBe(false);
    expect(node(graph, 'app:shop')?.ariaLabel).toMatch(
      /Not in the routing file; Enter opens Apps\.$/,
    );

    expect(canConnect('listener:web', 'app:shop')).toBe(false);
    expect(canConnect('app:shop', 'balancer:cluster')).toBe(false);
    const drawn = connect(config(), 'listener:web', 'app:shop');
    expect(drawn).toEqual({ ok: false, reason: expect.stringMatching(/not in the routing file/) });
    const removed = disconnect(config(), 'listener:web', 'app:shop');
    expect(removed).toEqual({
      ok: false,
      reason: expect.stringMatching(/not in the routing file/),
    });
  });

  it('sits above the draft’s routes, which keep their places', () => {
    const c = config();
    const plain = buildRouteGraph(c);
    const apps = [shop(), fakeApp({ name: 'docs', state: 'stopped' })];
    const graph = withApps(plain, c, apps);
    // The draft's nodes are the same objects in the same places.
    for (const n of plain.nodes) expect(node(graph, n.id)).toBe(n);
    const appYs = graph.nodes.filter((n) => isAppNode(n.id)).map((n) => n.position.y);
    const fileYs = plain.nodes.map((n) => n.position.y);
    expect(Math.max(...appYs)).toBeLessThan(Math.min(...fileYs));
    // One row per instance: docs (nothing serves) comes below both of shop's.
    expect(node(graph, 'app:docs')!.position.y).toBeGreaterThan(
      node(graph, 'app-instance:shop:shop#2')!.position.y,
    );
    // Every line joins two nodes that are on the map.
    const ids = new Set(graph.nodes.map((n) => n.id));
    expect(graph.edges.every((e) => ids.has(e.source) && ids.has(e.target))).toBe(true);
    // No apps: the draft's graph as it was.
    expect(withApps(plain, c, [])).toBe(plain);
  });

  it.each([
    ['stopped', {}, 'Stopped', 'default', 'Not running.'],
    [
      'crashed',
      {},
      'Crashed',
      'error',
      'Failed to start too many times in a row; start it again when it is fixed.',
    ],
    ['exited', { exitCode: 1 }, 'Exited (code 1)', 'warning', 'Exited (code 1); not restarted.'],
    [
      'starting',
      { port: 5173, pid: 99 },
      'Starting',
      'info',
      'Waiting for the command to open its port on port 5173.',
    ],
  ] as const)(
    'ends a %s app with no instance serving at a node saying why',
    (state, fields, label, tone, text) => {
      const app = fakeApp({ name: 'docs', instances: [{ state, ...fields }] });
      const graph = buildAppGraph(config(), [app]);
      expect(graph.nodes.map((n) => n.id)).toEqual(['app:docs', 'app-down:docs']);
      expect(node(graph, 'app-down:docs')?.data).toEqual({
        kind: 'app-down',
        app: 'docs',
        state,
        label,
        tone,
        text,
      });
      expect(node(graph, 'app-down:docs')?.ariaLabel).toBe(
        `App docs answers 503: ${label.toLowerCase()}. ${text}`,
      );
      expect(lines(graph)).toContain('app:docs->app-down:docs');
      expect(lines(graph)).toContain('listener:web->app:docs (dashed)');
    },
  );

  it('uses the engine’s sentence when it gives one', () => {
    const app = fakeApp({
      name: 'docs',
      instances: [{ state: 'crashed', detail: 'port 5173 is held by another program' }],
    });
    const graph = buildAppGraph(config(), [app]);
    expect(node(graph, 'app-down:docs')?.data).toMatchObject({
      text: 'port 5173 is held by another program',
    });
  });

  it('shows an instance coming up beside the serving one, on a dashed line', () => {
    const app = fakeApp({
      name: 'shop',
      state: 'up',
      instances: [
        { state: 'restarting', restarts: 2 },
        { source: 'run', state: 'up', port: 5174, pid: 777, member: 'http://127.0.0.1:5174' },
        { source: 'run', state: 'exited', exitCode: 0 },
      ],
    });
    const graph = buildAppGraph(config(), [app]);
    // The ended instance is no member and not coming back: left to the Apps view.
    expect(graph.nodes.map((n) => n.id)).toEqual([
      'app:shop',
      'app-instance:shop:shop#1',
      'app-instance:shop:shop#2',
    ]);
    expect(node(graph, 'app-instance:shop:shop#1')?.data).toMatchObject({
      state: 'restarting',
      label: 'Restarting',
      tone: 'warning',
      serving: false,
    });
    expect(node(graph, 'app-instance:shop:shop#1')?.ariaLabel).toBe(
      'Instance of shop, shop#1: restarting, not serving yet',
    );
    expect(lines(graph)).toContain('app:shop->app-instance:shop:shop#1 (dashed)');
    expect(lines(graph)).toContain('app:shop->app-instance:shop:shop#2');
  });

  it('shows an alias as the port it forwards to', () => {
    const app = fakeApp({
      name: 'db',
      state: 'alias',
      inFile: true,
      instances: [
        {
          id: 'db#alias',
          source: 'alias',
          state: 'alias',
          port: 5432,
          member: 'http://127.0.0.1:5432',
        },
      ],
    });
    const graph = buildAppGraph(config(), [app]);
    expect(node(graph, 'app-instance:db:db#alias')?.data).toMatchObject({
      source: 'alias',
      port: 5432,
      label: 'Alias',
      tone: 'info',
      serving: true,
    });
    expect(node(graph, 'app-instance:db:db#alias')?.data).not.toHaveProperty('pid');
  });

  it('adds the balancer’s live member state and count of requests', () => {
    const live = [
      fakeBalancer('shop.localhost', [
        { url: 'http://127.0.0.1:5173', state: 'disabled' },
        { url: 'http://127.0.0.1:5174' },
      ]),
    ];
    live[0]!.members[1]!.stats.elected = 12;
    const graph = buildAppGraph(config(), [shop()], { live });
    expect(node(graph, 'app-instance:shop:shop#1')?.data).toMatchObject({
      memberState: 'disabled',
    });
    expect(node(graph, 'app-instance:shop:shop#1')?.ariaLabel).toBe(
      'Instance of shop, port 5173, pid 4242: up, disabled',
    );
    const second = node(graph, 'app-instance:shop:shop#2')?.data;
    expect(second).toMatchObject({ elected: 12 });
    expect(second).not.toHaveProperty('memberState');
  });

  it('marks an app whose host the routing file routes itself, as the engine leaves it out', () => {
    // The sample's first route matches host app.localhost.
    const app = fakeApp({
      name: 'app',
      state: 'up',
      instances: [{ state: 'up', port: 3001, pid: 5, member: 'http://127.0.0.1:3001' }],
    });
    const graph = buildAppGraph(config(), [app, shop()]);
    expect(node(graph, 'app:app')?.data).toMatchObject({
      tone: 'warning',
      shadowed: "Route 1 app routes app.localhost itself, so the app's route is left out",
    });
    // No listener serves it and it sends nowhere; the other app is unaffected.
    expect(graph.edges.some((e) => e.source === 'app:app' || e.target === 'app:app')).toBe(false);
    expect(graph.nodes.some((n) => n.id.startsWith('app-instance:app:'))).toBe(false);
    expect(lines(graph)).toContain('listener:web->app:shop (dashed)');

    // A balancer bearing the app's host as its name shadows it too.
    const c = config();
    c.balancers.push({ ...c.balancers[0]!, name: 'shop.localhost' });
    expect(node(buildAppGraph(c, [shop()]), 'app:shop')?.data).toMatchObject({
      shadowed: expect.stringMatching(/named shop\.localhost/),
    });
  });

  it('draws no listener lines without listeners, and no URL without one', () => {
    const c = config();
    c.listeners = [];
    const graph = buildAppGraph(c, [fakeApp({ name: 'shop', state: 'stopped', urls: [] })]);
    expect(graph.edges.map((e) => e.source)).toEqual(['app:shop']);
    expect(node(graph, 'app:shop')?.data).not.toHaveProperty('url');
  });
});
