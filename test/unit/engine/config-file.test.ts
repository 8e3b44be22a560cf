import { describe, expect, it } from 'vitest';
import { formatProblems, parseRoutingText } from '../../../src/engine/config-file.js';

const valid = `version: 1
listeners:
  - name: web
    port: 8080
routes:
  - name: app
    match: { host: app.localhost, path: /app }
    to: http://127.0.0.1:3000/app
`;

describe('routing file', () => {
  it('fills secure defaults', () => {
    const r = parseRoutingText(valid, 'switchyard.yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.listeners[0]).toEqual({
      name: 'web',
      port: 8080,
      address: '127.0.0.1',
      tls: false,
      http2: true,
    });
    expect(r.config.access.allow).toEqual(['127.0.0.0/8', '::1']);
    expect(r.config.routes[0]).toMatchObject({
      preserveHost: false,
      reverse: true,
      websocket: true,
      timeout: '30s',
    });
  });

  it('reports every problem at once with file, line, field path and reason', () => {
    const broken = `version: 1
listeners:
  - name: web
    port: 99999
routes:
  - name: app
    match: { path: app }
    to: htp://x
    timeout: soon
  - name: app
    match: { listeners: [nope] }
    to: balancer://missing/
    colour: blue
`;
    const r = parseRoutingText(broken, 'switchyard.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = formatProblems(r.problems);
    expect(text).toContain(
      'switchyard.yaml:4:11 listeners[0].port: 99999 must be between 0 and 65535',
    );
    expect(text).toContain('switchyard.yaml:7:20 routes[0].match.path: "app" must start with /');
    expect(text).toContain('switchyard.yaml:8:9 routes[0].to: "htp://x" must be an http(s) URL');
    expect(text).toContain('switchyard.yaml:9:14 routes[0].timeout: "soon" must be a duration');
    expect(text).toContain("routes[1]: unknown field 'colour'");
    expect(r.problems.map((p) => p.line)).toEqual(
      [...r.problems.map((p) => p.line)].sort((a, b) => (a ?? 0) - (b ?? 0)),
    );
    expect(text).not.toMatch(/at .*\.ts:\d+/);
  });

  it('refuses header rules on message framing, at their line', () => {
    const r = parseRoutingText(
      `version: 1
routes:
  - name: app
    to: http://127.0.0.1:3000
    headers:
      request: { remove: [Content-Length] }
      response: { set: { Transfer-Encoding: identity } }
`,
      'switchyard.yaml',
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = formatProblems(r.problems);
    expect(text).toMatch(
      /switchyard\.yaml:6:\d+ routes\[0\]\.headers\.request\.remove\[0\]: .*framing/,
    );
    expect(text).toMatch(/switchyard\.yaml:7:\d+ routes\[0\]\.headers\.response\.set.*framing/);
  });

  it('fills client timeouts and checks them and encodedSlashes', () => {
    const ok = parseRoutingText(valid, 'switchyard.yaml');
    expect(ok.ok && ok.config.clientTimeouts).toEqual({
      header: '20s',
      body: '20s',
      bodyMinRate: 500,
      bodyIdle: '60s',
      send: '60s',
    });
    const r = parseRoutingText(
      `version: 1
clientTimeouts: { header: soon, bodyMinRate: -1 }
routes:
  - name: app
    to: http://127.0.0.1:3000
    encodedSlashes: allow
`,
      'switchyard.yaml',
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = formatProblems(r.problems);
    expect(text).toContain('clientTimeouts.header: "soon" must be a duration');
    expect(text).toContain('clientTimeouts.bodyMinRate');
    expect(text).toContain('routes[0].encodedSlashes');
  });

  it('reports cross-reference problems at their field', () => {
    const r = parseRoutingText(
      `version: 1
listeners: [{ name: web, port: 8080 }, { name: web, port: 8080 }]
routes:
  - name: a
    match: { listeners: [nope] }
    to: balancer://missing/
`,
      'f.yaml',
    );
    if (r.ok) throw new Error('expected problems');
    const text = formatProblems(r.problems);
    expect(text).toContain("listeners[1].name: 'web' is already listeners[0]");
    expect(text).toContain('listeners[1].port: 127.0.0.1:8080 is already listeners[0]');
    expect(text).toContain("f.yaml:5:26 routes[0].match.listeners[0]: no listener is named 'nope'");
    expect(text).toContain("routes[0].to: no balancer is named 'missing'");
  });

  it('reports YAML syntax errors with their line', () => {
    const r = parseRoutingText('version: 1\nroutes:\n  - name: [unclosed\n', 'f.yaml');
    if (r.ok) throw new Error('expected problems');
    expect(r.problems[0]).toMatchObject({ file: 'f.yaml', line: expect.any(Number) });
  });

  it('asks for a version', () => {
    const r = parseRoutingText('listeners: []\n', 'f.yaml');
    if (r.ok) throw new Error('expected problems');
    expect(formatProblems(r.problems)).toBe(
      'f.yaml:1:1 version: missing; add `version: 1` at the top',
    );
  });

  it('rejects duplicate keys and empty files', () => {
    const dup = parseRoutingText('version: 1\nversion: 1\n', 'f.yaml');
    expect(dup.ok).toBe(false);
    const empty = parseRoutingText('', 'f.yaml');
    if (empty.ok) throw new Error('expected problems');
    expect(empty.problems[0]?.message).toContain('empty');
  });
});
