// @vitest-environment happy-dom
/**
 * The Routes feature's pure parts: route list edits, inline problems from the shared
 * schema, the map's graph and what gestures on the map mean for the configuration.
 */
import { describe, expect, it } from 'vitest';
import { fakeBalancer } from '../../support/fake-client.js';
import { routingConfigSchema, type RoutingConfig } from '../../../src/shared/config.js';
import {
  draftProblems,
  problemsAt,
  problemsUnder,
} from '../../../src/renderer/src/features/routes/config-problems.js';
import {
  blankRoute,
  deleteRoute,
  duplicateRoute,
  moveRoute,
  sameConfig,
  uniqueRouteName,
} from '../../../src/renderer/src/features/routes/route-edits.js';
import { buildRouteGraph } from '../../../src/renderer/src/features/routes/route-map-graph.js';
import {
  canConnect,
  connect,
  disconnect,
} from '../../../src/renderer/src/features/routes/route-map-edits.js';
import { sampleConfig } from './routes-mount.js';

const config = (): RoutingConfig => routingConfigSchema.parse(sampleConfig());
const names = (c: RoutingConfig): string[] => c.routes.map((r) => r.name);

describe('route edits', () => {
  it('moves a route to a position, clamped to the list', () => {
    expect(names(moveRoute(config(), 0, 2))).toEqual(['api', 'rest', 'app']);
    expect(names(moveRoute(config(), 2, 0))).toEqual(['rest', 'app', 'api']);
    expect(names(moveRoute(config(), 1, 99))).toEqual(['app', 'rest', 'api']);
    const same = config();
    expect(moveRoute(same, 1, 1)).toBe(same);
  });

  it('duplicates right after the original under a free name', () => {
    const once = duplicateRoute(config(), 0);
    expect(names(once)).toEqual(['app', 'app-copy', 'api', 'rest']);
    expect(names(duplicateRoute(once, 0))).toEqual([
      'app',
      'app-copy-2',
      'app-copy',
      'api',
      'rest',
    ]);
    expect(once.routes[1]?.match).toEqual(once.routes[0]?.match);
  });

  it('never changes the configuration it was given', () => {
    const original = config();
    const copy = structuredClone(original);
    deleteRoute(original, 0);
    moveRoute(original, 0, 2);
    duplicateRoute(original, 1);
    expect(original).toEqual(copy);
  });

  it('names new routes so they do not collide', () => {
    const c = config();
    expect(uniqueRouteName(c, 'route')).toBe('route');
    expect(uniqueRouteName(c, 'app')).toBe('app-2');
    expect(draftProblems({ ...c, routes: [...c.routes, blankRoute(c)] })).toEqual([]);
  });

  it('compares configurations whatever their key order', () => {
    expect(sameConfig({ a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 })).toBe(
      true,
    );
    expect(sameConfig({ a: 1 }, { a: 2 })).toBe(false);
  });
});

describe('inline problems', () => {
  it('uses the schema author’s words for a bad header name', () => {
    const c = config();
    c.routes[0]!.headers.request.set = { 'Bad Name': 'x' };
    const problems = draftProblems(c);
    expect(problemsAt(problems, 'routes[0].headers.request.set.Bad Name')).toEqual([
      "'Bad Name' must be a valid HTTP header name",
    ]);
  });

  it('reports cross-references at the field that names them', () => {
    const c = config();
    c.routes[1]!.to = 'balancer://nope/';
    c.routes[1]!.match.listeners = ['web', 'ghost'];
    const problems = draftProblems(c);
    expect(problemsAt(problems, 'routes[1].to')).toEqual(["no balancer is named 'nope'"]);
    expect(problemsAt(problems, 'routes[1].match.listeners[1]')).toEqual([
      "no listener is named 'ghost'",
    ]);
    expect(problemsUnder(problems, 'routes[1]')).toHaveLength(2);
    expect(problemsUnder(problems, 'routes[0]')).toEqual([]);
    // routes[1] must not cover routes[10]
    expect(problemsUnder([{ path: 'routes[10].to', message: 'x' }], 'routes[1]')).toEqual([]);
  });
});

describe('route map graph', () => {
  const stats = fakeBalancer('x', [{ url: 'http://x' }]).members[0]!.stats;

  it('draws listeners → routes → balancers and backends → members', () => {
    const graph = buildRouteGraph(config(), {
      live: [
        fakeBalancer('cluster', [
          { url: 'http://127.0.0.1:9001', stats: { ...stats, health: 'healthy', elected: 7 } },
          { url: 'http://127.0.0.1:9002', state: 'disabled' },
        ]),
      ],
      listeners: [
        { name: 'web', address: '127.0.0.1', port: 8080, tls: false, url: 'http://127.0.0.1:8080' },
      ],
    });
    const ids = graph.nodes.map((n) => n.id);
    expect(ids).toEqual([
      'listener:web',
      'listener:admin',
      'route:0',
      'target:http://127.0.0.1:3000/app',
      'route:1',
      'balancer:cluster',
      'member:cluster:http://127.0.0.1:9001',
      'member:cluster:http://127.0.0.1:9002',
      'route:2',
      'target:http://127.0.0.1:4000/',
    ]);
    const edges = graph.edges.map((e) => `${e.source}->${e.target}${e.implicit ? ' (all)' : ''}`);
    expect(edges).toContain('listener:web->route:0 (all)');
    expect(edges).toContain('listener:admin->route:0 (all)');
    expect(edges).toContain('listener:web->route:1');
    expect(edges).not.toContain('listener:admin->route:1');
    expect(edges).toContain('route:1->balancer:cluster');
    expect(edges).toContain('balancer:cluster->member:cluster:http://127.0.0.1:9001');
    const member = graph.nodes.find((n) => n.id === 'member:cluster:http://127.0.0.1:9001');
    expect(member?.data).toMatchObject({ health: 'healthy', elected: 7, state: 'enabled' });
    const disabled = graph.nodes.find((n) => n.id === 'member:cluster:http://127.0.0.1:9002');
    expect(disabled?.ariaLabel).toMatch(/disabled/);
    expect(graph.nodes.find((n) => n.id === 'listener:web')?.data).toMatchObject({
      url: 'http://127.0.0.1:8080',
    });
    // Routes are stacked in match order.
    const ys = graph.nodes.filter((n) => n.type === 'route').map((n) => n.position.y);
    expect(ys).toEqual([...ys].sort((a, b) => a - b));
  });

  it('marks routes with problems and balancers that do not exist', () => {
    const c = config();
    c.routes[0]!.to = 'balancer://ghost/';
    const graph = buildRouteGraph(c, { problems: draftProblems(c) });
    expect(graph.nodes.find((n) => n.id === 'route:0')?.data).toMatchObject({ problems: 1 });
    expect(graph.nodes.find((n) => n.id === 'balancer:ghost')?.data).toMatchObject({
      missing: true,
    });
  });

  it('only lets routes be deleted and listener lines be removed', () => {
    const graph = buildRouteGraph(config());
    expect(graph.nodes.filter((n) => n.deletable).map((n) => n.type)).toEqual([
      'route',
      'route',
      'route',
    ]);
    expect(graph.edges.filter((e) => e.deletable).map((e) => e.id)).toEqual([
      'listener:web->route:1',
    ]);
  });
});

describe('route map gestures', () => {
  it('connects listeners to routes and routes to balancers only', () => {
    expect(canConnect('listener:web', 'route:0')).toBe(true);
    expect(canConnect('route:0', 'balancer:cluster')).toBe(true);
    expect(canConnect('route:0', 'listener:web')).toBe(false);
    expect(canConnect('balancer:cluster', 'member:x')).toBe(false);
  });

  it('adds a listener to a route that names its listeners', () => {
    const result = connect(config(), 'listener:admin', 'route:1');
    expect(result.ok && result.config.routes[1]?.match.listeners).toEqual(['web', 'admin']);
    const again = connect(config(), 'listener:web', 'route:1');
    expect(again).toEqual({ ok: false, reason: 'route api already serves web' });
    expect(connect(config(), 'listener:web', 'route:0')).toMatchObject({ ok: false });
  });

  it('sends a route to the balancer it is connected to', () => {
    const result = connect(config(), 'route:0', 'balancer:cluster');
    expect(result.ok && result.config.routes[0]?.to).toBe('balancer://cluster/');
  });

  it('stops serving a listener, never the last one', () => {
    const fromAll = disconnect(config(), 'listener:admin', 'route:0');
    expect(fromAll.ok && fromAll.config.routes[0]?.match.listeners).toEqual(['web']);
    const last = disconnect(config(), 'listener:web', 'route:1');
    expect(last).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/at least one listener/),
    });
    expect(disconnect(config(), 'route:1', 'balancer:cluster')).toMatchObject({ ok: false });
  });
});
