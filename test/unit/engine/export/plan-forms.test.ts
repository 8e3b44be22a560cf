/**
 * The pieces every exporter builds the route forms from, checked against the engine's own
 * behaviour: the regular expressions that stand for ProxyPass mapping and Apache Redirect
 * must give what mapToBackend and redirectLocation give, for every prefix shape.
 */
import { describe, expect, it } from 'vitest';
import { planExport, type RoutePlan } from '../../../../src/engine/export/plan.js';
import {
  lastCapture,
  mapRegex,
  restRegex,
  settleConditions,
  spell,
  templateParts,
} from '../../../../src/engine/export/plan-forms.js';
import { redirectLocation } from '../../../../src/engine/local-answers.js';
import { matchesPrefix, mapToBackend } from '../../../../src/engine/paths.js';
import type { CompiledRoute } from '../../../../src/engine/router.js';
import { NO_CAPTURES, type RouteRequest } from '../../../../src/engine/route-forms.js';
import { escapeRegex } from '../../../../src/engine/export/plan.js';
import { parseConfig } from '../../../support/proxy.js';

const PREFIXES = ['/', '/api', '/api/'];
const PATHS = ['/', '/api', '/api/', '/api/x/y', '/apix', '/other/z'];

/** What a server does with (regex, template-with-$1): the template, or undefined on no match. */
function apply([regex, template]: [string, string], path: string): string | undefined {
  const m = new RegExp(regex).exec(path);
  return m ? template.replace('$1', m[1] ?? '') : undefined;
}

describe('mapRegex: ProxyPass mapping as a regular expression', () => {
  for (const prefix of PREFIXES) {
    for (const target of ['/', '/v1', '/v1/']) {
      it(`${prefix} → ${target}`, () => {
        for (const path of PATHS) {
          const expected = matchesPrefix(path, prefix)
            ? mapToBackend(path, prefix, target)
            : undefined;
          expect({ path, got: apply(mapRegex(prefix, target, escapeRegex), path) }).toEqual({
            path,
            got: expected,
          });
        }
      });
    }
  }
});

describe('restRegex: Apache Redirect (rest of the path appended) as a regular expression', () => {
  const facts = (path: string): RouteRequest => ({
    listener: 'web',
    hostname: 'h.test',
    authority: 'h.test',
    path,
    query: '',
    secure: false,
    headers: {},
  });
  for (const prefix of PREFIXES) {
    for (const to of ['http://new.test/fresh/', 'http://new.test/fresh', '/moved/']) {
      it(`${prefix} → ${to}`, () => {
        // Only what redirectLocation reads of a compiled route.
        const route = {
          prefix,
          keepQuery: false,
          action: { kind: 'redirect', to, status: 302, appendRest: true },
        } as CompiledRoute;
        for (const path of PATHS.filter((p) => matchesPrefix(p, prefix))) {
          const engine = redirectLocation(route, to, NO_CAPTURES, facts(path));
          const ours = apply([restRegex(prefix, to, escapeRegex), `${to}$1`], path);
          const absolute = ours?.startsWith('/') ? `http://h.test${ours}` : ours;
          expect({ path, location: absolute }).toEqual({ path, location: engine });
        }
      });
    }
  }
});

describe('settleConditions: scheme tests are known per listener', () => {
  const http = { on: 'scheme', equals: 'http', ignoreCase: false, not: false };
  const tier = { on: 'header:X-Tier', matches: '^gold$', ignoreCase: false, not: false };

  it('drops a scheme test that holds and refuses a route whose test never holds', () => {
    expect(settleConditions([http, tier], false)).toEqual({
      conditions: [{ kind: 'test', test: tier }],
    });
    expect(settleConditions([http, tier], true).never).toMatch(/never holds on this https/);
    expect(settleConditions([{ ...http, not: true }], true)).toEqual({ conditions: [] });
    expect(settleConditions([{ ...http, equals: 'HTTPS', ignoreCase: true }], true)).toEqual({
      conditions: [],
    });
  });

  it('in an anyOf: one scheme test that holds settles it; failing ones drop out', () => {
    const anyOf = (...tests: (typeof http | typeof tier)[]) => ({
      anyOf: tests,
      ignoreCase: false,
      not: false,
    });
    expect(settleConditions([anyOf(tier, http)], false)).toEqual({ conditions: [] });
    expect(settleConditions([anyOf(tier, http)], true)).toEqual({
      conditions: [{ kind: 'test', test: tier }],
    });
    expect(
      settleConditions([anyOf(http, { ...tier, on: 'scheme', matches: '^ftp' })], true),
    ).toEqual({
      conditions: [],
      never: expect.stringMatching(/anyOf never holds/),
    });
  });
});

describe('templates', () => {
  it('cuts a target into text and placeholders, each spelled by the server', () => {
    const to = '/t/$1?plan={{when.2}}&h={{ request.host }}&x={{request.header.X-Id}}';
    expect(templateParts(to).map((p) => p.kind)).toEqual([
      'text',
      'group',
      'text',
      'when',
      'text',
      'request',
      'text',
      'header',
    ]);
    expect(
      spell(
        to,
        (t) => t.toUpperCase(),
        (p) => `<${p.kind}>`,
      ),
    ).toBe('/T/<group>?PLAN=<when>&H=<request>&X=<header>');
  });

  it('knows which condition {{when.N}} reads, or that an anyOf decides', () => {
    const m = { on: 'path', matches: '(x)', ignoreCase: false, not: false };
    expect(lastCapture([])).toBe('none');
    expect(
      lastCapture([
        { kind: 'test', test: m },
        { kind: 'test', test: { ...m, not: true } },
      ]),
    ).toBe(0);
    expect(
      lastCapture([
        { kind: 'test', test: m },
        { kind: 'any', tests: [m, m] },
      ]),
    ).toBe('dynamic');
  });
});

describe('the plan of a routing file with every form', () => {
  const plan = planExport(
    parseConfig({
      listeners: [
        { name: 'web', port: 18080 },
        { name: 'secure', port: 18443, tls: true },
      ],
      routes: [
        {
          name: 'to-https',
          match: { when: [{ on: 'scheme', equals: 'http' }] },
          redirect: { to: 'https://{{request.host}}{{request.path}}', status: 301 },
        },
        {
          name: 'api',
          match: { path: '/api', pathRegex: '^/api/v([0-9]+)/(.*)$', ignoreCase: true },
          to: 'http://127.0.0.1:3001/version-$1/$2?v=1',
          query: 'drop',
        },
        { name: 'old', match: { path: '/old' }, redirect: { to: '/new/' } },
        { name: 'gone', match: { path: '/gone' }, respond: { status: 410, body: 'gone' } },
      ],
    }),
    { dataDir: '/tmp', source: 's.yaml' },
  );
  const routes = (listener: number) =>
    (plan.listeners[listener]?.sites[0]?.routes ?? []).map((r: RoutePlan) => ({
      name: r.route.name,
      form: r.form,
      conditional: r.conditional,
      reachable: r.units.length > 0,
      ...(r.template ? { template: r.template } : {}),
      keepQuery: r.keepQuery,
      ...(r.redirect ? { appendRest: r.redirect.appendRest } : {}),
      ...(r.unreachable ? { unreachable: true } : {}),
    }));

  it('on http: the scheme redirect takes every path, and hides the rest', () => {
    expect(routes(0).map((r) => [r.name, r.form, r.conditional, r.reachable])).toEqual([
      ['to-https', 'redirect', false, true],
      ['api', 'proxy', true, false],
      ['old', 'redirect', false, false],
      ['gone', 'respond', false, false],
    ]);
  });

  it('on https: the scheme redirect never applies; the other forms carry what exporters need', () => {
    expect(routes(1)).toEqual([
      expect.objectContaining({ name: 'to-https', reachable: false, unreachable: true }),
      expect.objectContaining({
        name: 'api',
        template: '/version-$1/$2?v=1',
        keepQuery: false,
        conditional: true,
      }),
      expect.objectContaining({ name: 'old', appendRest: true, conditional: false }),
      expect.objectContaining({ name: 'gone', form: 'respond', reachable: true }),
    ]);
  });
});
