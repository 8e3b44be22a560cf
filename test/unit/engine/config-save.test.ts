import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRoutingText } from '../../../src/engine/config-file.js';
import { renderRoutingFile, saveRoutingFile } from '../../../src/engine/config-save.js';
import type { RoutingConfig } from '../../../src/shared/config.js';

const original = `# team routing file
version: 1
listeners:
  - name: web # the main one
    port: 8080
balancers:
  - name: cluster
    members:
      - url: http://127.0.0.1:9001 # first
        route: "1"
      - url: http://127.0.0.1:9002
        route: "2"
        loadFactor: 5
routes:
  - name: shop
    to: balancer://cluster/
`;

function load(text: string): RoutingConfig {
  const r = parseRoutingText(text, 'f.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.config;
}

describe('saving the routing file', () => {
  it('writes only what changed and keeps comments and unwritten defaults', () => {
    const config = load(original);
    config.balancers[0]!.members[0]!.state = 'disabled';
    config.balancers[0]!.members[1]!.loadFactor = 7;
    const text = renderRoutingFile(config, original);
    expect(text).toContain('# team routing file');
    expect(text).toContain('- url: http://127.0.0.1:9001 # first');
    expect(text).toContain('state: disabled');
    expect(text).toContain('loadFactor: 7');
    expect(text).not.toContain('preserveHost');
    expect(load(text)).toEqual(config);
  });

  it('replaces a list whose length changed (a member added)', () => {
    const config = load(original);
    config.balancers[0]!.members.push({
      url: 'http://127.0.0.1:9003',
      route: '3',
      loadFactor: 1,
      state: 'standby',
    });
    const text = renderRoutingFile(config, original);
    expect(load(text)).toEqual(config);
    expect(text).toContain('# team routing file');
  });

  it('writes atomically and keeps a backup of the previous file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-save-'));
    const file = join(dir, 'switchyard.yaml');
    await writeFile(file, original);
    const config = load(original);
    config.listeners[0]!.port = 9090;
    await saveRoutingFile(file, config);
    expect(await readFile(`${file}.bak`, 'utf8')).toBe(original);
    expect(load(await readFile(file, 'utf8')).listeners[0]!.port).toBe(9090);
  });

  it('writes a new file in block style when there is none', () => {
    const config = load('version: 1\nlisteners: [{ name: web, port: 8080 }]\n');
    const text = renderRoutingFile(config);
    expect(text).toMatch(/^version: 1\nlisteners:\n {2}- name: web/);
    expect(load(text)).toEqual(config);
  });
});

describe('lists that grow or shrink by one', () => {
  const text = [
    '# team file',
    'version: 1',
    'routes:',
    '  - name: app # the front end',
    '    to: http://127.0.0.1:3000/',
    '  - name: api # the API',
    '    match: { path: /api }',
    '    to: http://127.0.0.1:4000/',
    '',
  ].join('\n');

  it('appends a new item as a user writes it, keeping the comments of the others', () => {
    const config = load(text);
    const added = load(
      text + '  - name: docs\n    match: { path: /docs }\n    to: http://127.0.0.1:5000/\n',
    );
    const out = renderRoutingFile({ ...config, routes: added.routes }, text);
    expect(out).toContain('# the front end');
    expect(out).toContain('# the API');
    expect(out).toMatch(
      /- name: docs\n\s+match:\n\s+path: \/docs\n\s+to: http:\/\/127\.0\.0\.1:5000\/\n$/,
    );
    expect(load(out).routes.map((r) => r.name)).toEqual(['app', 'api', 'docs']);
  });

  it('takes one item out and keeps the comments of the rest', () => {
    const config = load(text);
    const out = renderRoutingFile({ ...config, routes: config.routes.slice(1) }, text);
    expect(out).not.toContain('# the front end');
    expect(out).toContain('- name: api # the API');
    expect(load(out).routes.map((r) => r.name)).toEqual(['api']);
  });
});
