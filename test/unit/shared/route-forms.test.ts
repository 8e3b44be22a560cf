/**
 * The route forms in the routing file: what loads, and every way a form can be wrong,
 * reported at its line with a reason a user can act on — never a crash or a silent default.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblems, parseRoutingText } from '../../../src/engine/config-file.js';
import { routingConfigSchema } from '../../../src/shared/config.js';
import { compilePattern, sampleOf, unknownPlaceholder } from '../../../src/shared/route-forms.js';

const parse = (routes: unknown[]) =>
  routingConfigSchema.safeParse({ version: 1, listeners: [{ name: 'web', port: 0 }], routes });

describe('route forms in the routing file', () => {
  it('reports each broken form at its line, all at once', () => {
    const file = join(import.meta.dirname, '../../fixtures/route-forms-broken.yaml');
    const r = parseRoutingText(readFileSync(file, 'utf8'), 'switchyard.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(formatProblems(r.problems).split('\n')).toEqual([
      'switchyard.yaml:5:21 routes[0].redirect.to: "" must say where to send the client: a path such as /new or a URL such as https://example.com/',
      'switchyard.yaml:5:33 routes[0].redirect.status: 304 must be 301, 302, 303, 307 or 308',
      'switchyard.yaml:7:24 routes[1].respond.status: 99 must be an HTTP status from 200 to 599',
      'switchyard.yaml:9:25 routes[2].match.pathRegex: "(?=x)" is not a regular expression Switchyard can run in linear time (invalid or unsupported Perl syntax: `(?=`)',
      'switchyard.yaml:12:9 routes[3].to: "http://{{request.header.x}}/" must name its backend: placeholders may fill in the path and query, never the scheme, host or port (that would make Switchyard an open proxy)',
      'switchyard.yaml:15:15 routes[4].redirect: has both to and redirect; a route does one of them',
      'switchyard.yaml:17:9 routes[5].to: "http://127.0.0.1:1/$1" uses $N, which needs match.pathRegex to capture groups',
    ]);
  });

  it('needs one action, and a condition needs exactly one test', () => {
    const none = parse([{ name: 'x' }]);
    expect(none.error?.issues.map((i) => i.message)).toEqual([
      'needs one of to (proxy), redirect or respond',
    ]);
    const both = parse([
      {
        name: 'x',
        to: 'http://127.0.0.1:1/',
        match: { when: [{ on: 'host', matches: 'a', equals: 'b' }] },
      },
    ]);
    expect(both.error?.issues.map((i) => i.message)).toEqual([
      'needs exactly one of matches or equals',
    ]);
    const subject = parse([
      { name: 'x', to: 'http://127.0.0.1:1/', match: { when: [{ on: 'cookie', equals: 'b' }] } },
    ]);
    expect(subject.error?.issues.map((i) => i.message)).toEqual([
      'must be host, path, scheme or header:NAME',
    ]);
  });

  it('refuses a query on a prefix route’s target and unknown placeholders', () => {
    expect(parse([{ name: 'x', to: 'http://127.0.0.1:1/?a=1' }]).error?.issues[0]?.message).toBe(
      'has a query; only a route with match.pathRegex may add one',
    );
    expect(unknownPlaceholder('/x/{{request.cookie}}')).toBe('{{request.cookie}}');
    expect(unknownPlaceholder('/x/{{request.header.X-Id}}/{{when.2}}/$3')).toBeUndefined();
  });

  it('loads every form, with targets that are URLs once filled in', () => {
    const r = parse([
      {
        name: 'p',
        match: { pathRegex: '^/a/(.*)$', ignoreCase: true },
        to: 'http://127.0.0.1:1/b/$1?x={{when.1}}',
      },
      { name: 'r', redirect: { to: 'https://{{request.host}}{{request.path}}', status: 308 } },
      { name: 'a', match: { path: '/m' }, respond: { page: 'balancers' } },
    ]);
    expect(r.success).toBe(true);
    expect(sampleOf('http://127.0.0.1:1/b/$1?x={{when.1}}')).toBe('http://127.0.0.1:1/b/?x=x');
  });

  it('runs RE2: a pattern that backtracks exponentially elsewhere stays linear', () => {
    const compiled = compilePattern('^(a+)+$', false);
    if ('error' in compiled) throw new Error(compiled.error);
    // A backtracking engine would not return on this input within the test's timeout.
    expect(compiled.pattern.matcher(`${'a'.repeat(5000)}!`).find()).toBe(false);
    expect(compiled.pattern.matcher('a'.repeat(5000)).find()).toBe(true);
  });
});
