/**
 * `switchyard export kubernetes` on a routing file that uses every feature:
 * 1. every YAML document parses;
 * 2. each validates against the served CRD version's openAPIV3Schema (Gateway API v1.6.1,
 *    with ajv), the CRDs' CEL rules an exporter can break, and the core API's rules for
 *    Service and EndpointSlice; invalid manifests fail the same validator;
 * 3. the mapping: a Gateway API router written from the spec (test/support/gateway-sim.ts)
 *    sends sample requests to the rule of the route Switchyard's own Router picks, with the
 *    same backend or Location path; weights, filters and comments follow the file.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { exportConfig } from '../../../../src/engine/export/export.js';
import { planExport } from '../../../../src/engine/export/plan.js';
import { redirectLocation } from '../../../../src/engine/local-answers.js';
import { mapToBackend } from '../../../../src/engine/paths.js';
import { Router } from '../../../../src/engine/router.js';
import {
  routingConfigSchema,
  type RoutingConfig,
  type RoutingConfigInput,
} from '../../../../src/shared/config.js';
import { parseManifests, validator, type ManifestCheck } from '../../../support/gateway-api.js';
import { simulate } from '../../../support/gateway-sim.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const WEB = ['web', 'secure'];

const input: RoutingConfigInput = {
  version: 1,
  listeners: [
    { name: 'web', port: 8080 },
    { name: 'secure', port: 8443, tls: true },
    { name: 'grpc', port: 50050 },
  ],
  access: { allow: ['127.0.0.0/8', '::1', '10.0.0.0/8'] },
  routes: [
    {
      name: 'old-docs',
      match: { path: '/old', listeners: WEB },
      redirect: { to: 'https://docs.example.com/new', status: 301 },
    },
    {
      name: 'moved',
      match: { path: '/moved/', listeners: WEB },
      redirect: { to: '/here/', status: 307 },
    },
    {
      name: 'Beta_API',
      match: {
        path: '/',
        listeners: WEB,
        when: [
          { on: 'header:X-Beta', equals: '1' },
          {
            anyOf: [
              { on: 'header:X-Team', matches: '^(core|infra)$' },
              { on: 'header:X-Role', equals: 'admin', ignoreCase: true },
            ],
          },
        ],
      },
      to: 'http://127.0.0.1:7000',
    },
    {
      name: 'app',
      match: { host: 'app.localhost', path: '/app', listeners: WEB },
      to: 'http://127.0.0.1:3000/v1',
      timeout: '1500ms',
      headers: {
        request: { set: { 'X-Forwarded-Proto': 'https' }, remove: ['X-Debug'] },
        response: { set: { 'X-Frame-Options': 'DENY' }, remove: ['Server'] },
      },
    },
    {
      name: 'shop',
      match: { host: '*.shop.test', path: '/api/', listeners: WEB },
      to: 'balancer://cluster/',
    },
    { name: 'blocked', match: { path: '/admin', listeners: WEB }, respond: { status: 403 } },
    {
      name: 'images',
      match: { path: '/', pathRegex: '\\.(png|jpg)$', ignoreCase: true, listeners: WEB },
      to: 'http://images.internal:8081',
    },
    {
      name: 'h2-api',
      match: { path: '/rpc', listeners: WEB },
      to: 'h2c://127.0.0.1:50060/rpc',
    },
    {
      name: 'https-only',
      match: { path: '/secure', listeners: WEB, when: [{ on: 'scheme', equals: 'https' }] },
      to: 'https://10.1.2.3:9443',
    },
    {
      name: 'not-www',
      match: {
        path: '/www',
        listeners: WEB,
        when: [{ on: 'host', matches: '^www\\.', not: true }],
      },
      redirect: { to: 'https://www.example.com/' },
    },
    {
      name: 'docs',
      match: { path: '/docs/', listeners: WEB },
      to: 'http://127.0.0.1:4000/',
      access: { allow: ['192.168.0.0/16'] },
    },
    {
      name: 'root',
      match: { path: '/', listeners: WEB },
      to: 'http://api.internal:8080/base/',
      preserveHost: true,
    },
    { name: 'hidden', match: { path: '/app', listeners: WEB }, to: 'http://127.0.0.1:3001' },
    {
      name: 'greeter',
      match: { path: '/helloworld.Greeter', listeners: ['grpc'] },
      to: 'h2c://127.0.0.1:50051/helloworld.Greeter',
    },
    {
      name: 'health',
      match: {
        path: '/grpc.health.v1.Health/Check',
        listeners: ['grpc'],
        when: [{ on: 'header:x-probe', equals: 'yes' }],
      },
      to: 'balancer://grpc-pool/grpc.health.v1.Health/Check',
    },
  ],
  balancers: [
    {
      name: 'cluster',
      method: 'bybusyness',
      stickySession: 'JSESSIONID',
      stickyCookie: { path: '/' },
      healthCheck: { path: '/health', interval: '5s' },
      members: [
        { url: 'http://127.0.0.1:9001', route: '1', loadFactor: 3 },
        { url: 'http://127.0.0.1:9002', route: '2', loadFactor: 2, state: 'disabled' },
        { url: 'http://127.0.0.1:9003', route: '3', state: 'draining' },
        { url: 'http://127.0.0.1:9004', route: '4', state: 'standby' },
      ],
    },
    {
      name: 'grpc-pool',
      members: [
        { url: 'h2c://10.0.0.7:50052', loadFactor: 5 },
        { url: 'h2c://backend.svc.example:50052', loadFactor: 2 },
      ],
    },
  ],
};

function exportOf(config: RoutingConfig): string {
  return exportConfig('kubernetes', config, { dataDir: '/data', source: 'switchyard.yaml' });
}

const config = routingConfigSchema.parse(input);
let text: string;
let manifests: Obj[];
let validate: (m: Obj) => ManifestCheck;

beforeAll(() => {
  validate = validator();
  text = exportOf(config);
  manifests = parseManifests(text);
});

const byName = (kind: string, name: string): Obj => {
  const m = manifests.find((x) => x.kind === kind && x.metadata.name === name);
  if (!m) throw new Error(`no ${kind} ${name}`);
  return m;
};
const ruleOf = (route: Obj, name: string): Obj => {
  const r = (route.spec.rules as Obj[]).find((x) => x.name === name);
  if (!r) throw new Error(`no rule ${name} in ${route.metadata.name}`);
  return r;
};

describe('kubernetes export validates', () => {
  it('parses into Gateway, HTTPRoute, GRPCRoute, Service and EndpointSlice documents', () => {
    const kinds = new Set(manifests.map((m) => m.kind));
    expect([...kinds].sort()).toEqual(
      ['EndpointSlice', 'GRPCRoute', 'Gateway', 'HTTPRoute', 'Service'].sort(),
    );
    expect(manifests.every((m) => m.metadata.namespace === undefined)).toBe(true);
  });

  it('each document passes its schema, the CRD CEL rules and the core API rules', () => {
    const checks = manifests.map(validate);
    expect(checks.length).toBeGreaterThan(10);
    expect(checks.filter((c) => c.errors.length > 0)).toEqual([]);
  });

  it('rejects invalid manifests (the validator is wired)', () => {
    const route = structuredClone(byName('HTTPRoute', 'web-default'));
    const bad = [
      { ...route, spec: { ...route.spec, unknownField: true } },
      (() => {
        const r = structuredClone(route);
        r.spec.rules[0].matches[0].path.type = 'Prefix';
        return r;
      })(),
      (() => {
        const r = structuredClone(route);
        r.spec.rules[0].backendRefs = [{ name: 'x', port: 80, weight: -1 }];
        return r;
      })(),
      (() => {
        // RequestRedirect with backendRefs: only a CEL rule forbids it.
        const r = structuredClone(route);
        const redirect = (r.spec.rules as Obj[]).find((x) => x.filters?.[0]?.requestRedirect);
        (redirect as Obj).backendRefs = [{ name: 'x', port: 80 }];
        return r;
      })(),
      { ...byName('Service', 'api-internal-8080'), metadata: { name: '1-bad' } },
      { ...byName('Gateway', 'switchyard'), spec: { listeners: [] } },
    ];
    for (const m of bad) expect(validate(m).errors, JSON.stringify(m).slice(0, 80)).not.toEqual([]);
  });
});

describe('kubernetes export maps the routing file', () => {
  it('makes one Gateway listener per listener × Host, with TLS Secrets named', () => {
    const listeners = byName('Gateway', 'switchyard').spec.listeners as Obj[];
    const plan = planExport(config, { dataDir: '/data', source: 'x' });
    const expected = plan.listeners.flatMap((l) =>
      l.sites.map((s) => [l.listener.tls ? 'HTTPS' : 'HTTP', l.listener.port, s.host]),
    );
    expect(listeners.map((l) => [l.protocol, l.port, l.hostname])).toEqual(expected);
    for (const l of listeners.filter((x) => x.protocol === 'HTTPS'))
      expect(l.tls.certificateRefs[0].name).toMatch(/^switchyard-tls-/);
    expect(text).toContain('kubectl create secret tls switchyard-tls-app-localhost');
  });

  it('routes each request to the rule of the route Switchyard picks, with its path', () => {
    const router = new Router(config);
    const plan = planExport(config, { dataDir: '/data', source: 'x' });
    const targetPath = (name: string) =>
      plan.listeners
        .flatMap((l) => l.sites.flatMap((s) => s.routes))
        .find((r) => r.route.name === name)?.targetPath as string;
    const routeOfRule = (rule: Obj): string | undefined =>
      config.routes.find((r) =>
        new RegExp(`^${r.name.toLowerCase().replace(/_/g, '-')}(-\\d+)?$`).test(rule.name),
      )?.name;
    const paths = [
      '/',
      '/x',
      '/app',
      '/app/',
      '/app/p',
      '/application',
      '/api',
      '/api/',
      '/api/v',
      '/admin',
      '/admin/x',
      '/old',
      '/old/a',
      '/moved',
      '/moved/',
      '/moved/a',
      '/rpc',
      '/rpc/M',
      '/secure',
      '/secure/x',
      '/docs',
      '/docs/',
      '/docs/p',
      '/hidden',
    ];
    const headerSets: Record<string, string>[] = [
      {},
      { 'X-Beta': '1', 'X-Team': 'core' },
      { 'X-Beta': '1', 'X-Role': 'ADMIN' },
      { 'X-Beta': '1' },
    ];
    let compared = 0;
    for (const [listener, port, secure] of [
      ['web', 8080, false],
      ['secure', 8443, true],
    ] as const) {
      for (const host of ['other.test', 'app.localhost', 'a.shop.test']) {
        for (const path of paths) {
          for (const headers of headerSets) {
            const r = {
              listener,
              hostname: host,
              authority: host,
              path,
              query: '',
              secure,
              headers: Object.fromEntries(
                Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]),
              ),
            };
            const want = router.match(r);
            const got = simulate(manifests, {
              port,
              protocol: secure ? 'HTTPS' : 'HTTP',
              host,
              path,
              headers,
            });
            const at = `${listener} ${host}${path} ${JSON.stringify(headers)}`;
            expect(got ? routeOfRule(got.rule) : undefined, at).toBe(want?.route.name);
            compared++;
            if (!want || !got) continue;
            const { action } = want.route;
            if (action.kind === 'proxy')
              expect(got.path, at).toBe(
                mapToBackend(path, want.route.prefix, targetPath(want.route.name)),
              );
            if (action.kind === 'redirect')
              expect(got.path, at).toBe(
                new URL(redirectLocation(want.route, action.to, want.captures, r)).pathname,
              );
          }
        }
      }
    }
    expect(compared).toBe(2 * 3 * paths.length * headerSets.length);
  });

  it('weights balancer members by loadFactor; disabled and draining at 0, standby left out', () => {
    const shop = ruleOf(byName('HTTPRoute', 'web-wildcard-shop-test'), 'shop');
    const members = config.balancers[0]?.members ?? [];
    const expected = members
      .filter((m) => m.state !== 'standby')
      .map((m) => [Number(new URL(m.url).port), m.state === 'enabled' ? m.loadFactor : 0]);
    expect((shop.backendRefs as Obj[]).map((b) => [b.port, b.weight])).toEqual(expected);
  });

  it('carries header operations, path mapping, Host and timeout as filters', () => {
    const app = ruleOf(byName('HTTPRoute', 'web-app-localhost'), 'app');
    const route = config.routes.find((r) => r.name === 'app');
    const filter = (type: string) => (app.filters as Obj[]).find((f) => f.type === type);
    expect(filter('RequestHeaderModifier')?.requestHeaderModifier).toEqual({
      set: Object.entries(route?.headers.request.set ?? {}).map(([name, value]) => ({
        name,
        value,
      })),
      remove: route?.headers.request.remove,
    });
    expect(filter('ResponseHeaderModifier')?.responseHeaderModifier.remove).toEqual(
      route?.headers.response.remove,
    );
    expect(filter('URLRewrite')?.urlRewrite.path).toEqual({
      type: 'ReplacePrefixMatch',
      replacePrefixMatch: new URL(route?.to ?? '').pathname,
    });
    // preserveHost false: the backend's name, which for a loopback backend is its Service.
    expect(filter('URLRewrite')?.urlRewrite.hostname).toBe(app.backendRefs[0].name);
    expect(app.timeouts.request).toBe(route?.timeout);
    const root = ruleOf(byName('HTTPRoute', 'web-default'), 'root');
    expect(
      (root.filters as Obj[]).find((f) => f.type === 'URLRewrite')?.urlRewrite.hostname,
    ).toBeUndefined();
  });

  it('writes redirects, respond routes, conditions and patterns as the API allows', () => {
    const web = byName('HTTPRoute', 'web-default');
    const old = ruleOf(web, 'old-docs');
    expect(old.backendRefs).toBeUndefined();
    expect(old.filters[0].requestRedirect).toMatchObject({
      scheme: 'https',
      hostname: 'docs.example.com',
      statusCode: 301,
    });
    expect(ruleOf(web, 'moved').filters[0].requestRedirect.statusCode).toBe(307);
    const blocked = ruleOf(web, 'blocked');
    expect([blocked.backendRefs, blocked.filters]).toEqual([undefined, undefined]);
    const beta = ruleOf(web, 'beta-api');
    expect(beta.matches[0].headers).toEqual([
      { name: 'X-Beta', type: 'Exact', value: '1' },
      { name: 'X-Team', type: 'RegularExpression', value: '^(core|infra)$' },
    ]);
    expect(ruleOf(web, 'images').matches[0].path.type).toBe('RegularExpression');
    // A route written /docs/: an Exact /docs goes to the route Switchyard uses for it.
    const docs = (web.spec.rules as Obj[]).filter((r) =>
      (r.matches as Obj[]).some(
        (m) => m.path.type === 'Exact' && m.path.value === '/docs' && !m.headers,
      ),
    );
    expect(docs.map((r) => r.name)).toEqual(['root-3']);
  });

  it('makes a GRPCRoute of a gRPC-only site, and h2c Services', () => {
    const grpc = byName('GRPCRoute', 'grpc-default');
    const [greeter, health] = grpc.spec.rules as Obj[];
    expect(greeter?.matches).toEqual([
      { method: { type: 'Exact', service: 'helloworld.Greeter' } },
    ]);
    expect(health?.matches).toEqual([
      {
        method: { type: 'Exact', service: 'grpc.health.v1.Health', method: 'Check' },
        headers: [{ name: 'x-probe', type: 'Exact', value: 'yes' }],
      },
    ]);
    expect((health?.backendRefs as Obj[]).map((b) => b.weight)).toEqual([5, 2]);
    const h2c = manifests.filter((m) => m.kind === 'Service' && m.spec.ports[0].name === 'h2c');
    expect(h2c.length).toBe(4);
    expect(h2c.every((s) => s.spec.ports[0].appProtocol === 'kubernetes.io/h2c')).toBe(true);
  });

  it('makes Services: ExternalName for names, EndpointSlice for addresses, selector for loopback', () => {
    const ext = byName('Service', 'api-internal-8080');
    expect(ext.spec).toMatchObject({ type: 'ExternalName', externalName: 'api.internal' });
    expect(byName('Service', 'backend-10-1-2-3-9443').spec.selector).toBeUndefined();
    expect(byName('EndpointSlice', 'backend-10-1-2-3-9443').endpoints).toEqual([
      { addresses: ['10.1.2.3'] },
    ]);
    expect(byName('Service', 'backend-127-0-0-1-3000').spec.selector).toEqual({
      'app.kubernetes.io/name': 'backend-127-0-0-1-3000',
    });
  });

  it('lists in comments what has no Gateway API equivalent', () => {
    for (const fragment of [
      'kubectl apply -n NAMESPACE -f gateway.yaml',
      'sessionPersistence: { type: Cookie, sessionName: JSESSIONID }',
      'healthCheck GET /health every 5s: no Gateway API equivalent',
      'standby members (http://127.0.0.1:9004) are left out',
      'draining members get weight 0',
      'bybusyness has no Gateway API field',
      'respond 403: Switchyard answers itself',
      'statusCode 307 is Extended support',
      'RegularExpression path match, which is implementation-specific',
      "route not-www (routes[9]): left out: condition 'not host matches ^www\\.'",
      'route hidden (routes[12]): never reached: route app comes first',
      'route https-only (routes[8]): not exported here',
      'A loopback address is not reachable from a cluster',
      'BackendTLSPolicy',
      'access.allow [127.0.0.0/8, ::1, 10.0.0.0/8]',
      'access.allow [192.168.0.0/16] of this route',
      'sets JSESSIONID=.ROUTE itself (stickyCookie)',
      'GRPCRoute has no timeouts',
    ])
      expect(text).toContain(fragment);
  });

  it('answers an unserved trailing-slash sibling with a rule without backends', () => {
    const only = routingConfigSchema.parse({
      version: 1,
      listeners: [{ name: 'web', port: 8080 }],
      routes: [{ name: 'files', match: { path: '/files/' }, to: 'http://127.0.0.1:5000' }],
    });
    const out = parseManifests(exportOf(only));
    expect(out.map(validate).flatMap((c) => c.errors)).toEqual([]);
    const rules = out.find((m) => m.kind === 'HTTPRoute')?.spec.rules as Obj[];
    expect(rules.map((r) => [r.matches[0].path, r.backendRefs?.length])).toEqual([
      [{ type: 'PathPrefix', value: '/files/' }, 1],
      [{ type: 'Exact', value: '/files' }, undefined],
    ]);
  });
});
