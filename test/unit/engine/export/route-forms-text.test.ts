/**
 * The text the Apache, nginx and Caddy exporters write for the route forms, where a detail
 * matters that the live comparison (test/integration/route-forms-export.test.ts) would
 * not show: conditions spelled per server, routes a listener's scheme rules out, and the
 * 404 for paths no route serves when the only `/` route has conditions.
 */
import { describe, expect, it } from 'vitest';
import { exportConfig, type ExportTarget } from '../../../../src/engine/export/export.js';
import type { RoutingConfigInput } from '../../../../src/shared/config.js';
import { parseConfig } from '../../../support/proxy.js';

const options = { dataDir: '/tmp/switchyard-export-forms', source: 'switchyard.yaml' };
const exported = (target: ExportTarget, config: Omit<RoutingConfigInput, 'version'>) =>
  exportConfig(target, parseConfig(config), options);

const conditions: Omit<RoutingConfigInput, 'version'> = {
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
      name: 'tier',
      match: {
        path: '/t',
        pathRegex: '^/t/([a-z]+)$',
        when: [
          { on: 'header:X-Empty', equals: '', not: true },
          {
            anyOf: [
              { on: 'header:X-Tier', matches: '^(gold)$', ignoreCase: true },
              { on: 'host', equals: 'vip.localhost' },
            ],
          },
        ],
      },
      to: 'http://127.0.0.1:3001/tier/$1?level={{when.1}}',
    },
  ],
};

describe('conditions in each server’s terms', () => {
  it('Apache: RewriteCond with [NC,OR], =""; the https listener never redirects to https', () => {
    const text = exported('apache', conditions);
    expect(text).toContain('RewriteCond %{HTTP:X-Empty} !=""\n');
    expect(text).toContain('RewriteCond %{HTTP:X-Tier} "^(gold)$" [NC,OR]\n');
    expect(text).toContain('RewriteCond %{SERVER_NAME} "=vip.localhost"\n');
    // match.path as well as the pattern, negated so that it sets no %N.
    expect(text).toContain('RewriteCond %{REQUEST_URI} "!^(?!/t(?:/|$))"');
    expect(text).toContain(
      'RewriteRule "^/t/([a-z]+)$" "http://127.0.0.1:3001/tier/$1?level=%1" [P,QSA,L,E=SY_ROUTE:1]',
    );
    const secure = text.slice(text.indexOf('# listener secure'));
    expect(secure).toContain(
      '# never reached: its scheme condition never holds on this https listener',
    );
    expect(secure).not.toContain('[R=301');
  });

  it('nginx: an anyOf is a chain of maps, and {{when.N}} follows the test that held', () => {
    const text = exported('nginx', conditions);
    expect(text).toMatch(
      /map \$http_x_tier \$(sy_f\d+)_c1_0 \{\n\s+"~\*\^\(gold\)\$" 1;\n\s+default \$\1_c1_1;/,
    );
    expect(text).toMatch(
      /map \$host \$sy_f\d+_c1_1 \{\n\s+"~\^vip\\\\\.localhost\$" 1;\n\s+default "";/,
    );
    // The tier's group when X-Tier held, nothing when the host did.
    expect(text).toMatch(
      /map \$http_x_tier \$sy_f\d+_w1_1_0 \{\n\s+"~\*\^\(gold\)\$" "\$1";\n\s+default \$sy_f\d+_w1_1_1;/,
    );
    expect(text).toMatch(/map \$host \$sy_f\d+_w1_1_1 \{\n\s+"~\^vip\\\\\.localhost\$" "";/);
    expect(text).toContain('error_page 418 = $sy_go;');
  });

  it('Caddy: CEL for the conditions; {{when.N}} after an anyOf is said to be left empty', () => {
    const text = exported('caddy', conditions);
    expect(text).toContain(
      "expression `{http.request.uri.path}.matches(r'^/t(?:/|$)') && !({http.request.header.X-Empty} == r'') && ({http.request.header.X-Tier}.matches(r'(?i)^(gold)$') || {http.request.host} == r'vip.localhost')`",
    );
    expect(text).toContain('{{when.N}} depends on which test of an anyOf held');
    expect(text).toContain('rewrite * "/tier/{re.f1.1}?level=&{http.request.uri.query}"');
  });
});

describe('paths no route serves', () => {
  const onlyConditional: Omit<RoutingConfigInput, 'version'> = {
    listeners: [{ name: 'web', port: 18080 }],
    routes: [
      {
        name: 'api',
        match: { pathRegex: '^/api/(.*)$' },
        to: 'http://127.0.0.1:3001/$1',
      },
    ],
  };

  it('still get 404 when the only route for / has a pattern', () => {
    expect(exported('apache', onlyConditional)).toContain('Redirect 404 "/"');
    expect(exported('nginx', onlyConditional)).toMatch(/location \/ \{\n\s+return 404;/);
    expect(exported('caddy', onlyConditional)).toContain('\t\trespond 404\n');
  });

  it('Apache keeps the balancers page out of that 404', () => {
    const text = exported('apache', {
      ...onlyConditional,
      routes: [{ name: 'bm', match: { path: '/bm' }, respond: { page: 'balancers' } }],
    });
    expect(text).toContain('[H=balancer-manager,E=no-proxy:1,L,E=SY_ROUTE:0]');
    expect(text).toContain('RedirectMatch 404 "^(?!(?:^/bm(?:/|$)))"');
    expect(text).toContain('LoadModule proxy_balancer_module');
  });
});
