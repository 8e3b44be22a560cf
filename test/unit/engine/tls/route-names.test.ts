import { describe, expect, it } from 'vitest';
import { parseRoutingText } from '../../../../src/engine/config-file.js';
import { tlsRouteNames } from '../../../../src/engine/tls/route-names.js';
import type { RoutingConfig } from '../../../../src/shared/config.js';

function load(text: string): RoutingConfig {
  const r = parseRoutingText(text, 'f.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.config;
}

describe('tlsRouteNames', () => {
  it('lists the hosts of routes that can run on a TLS listener', () => {
    const config = load(`
version: 1
listeners:
  - { name: web, port: 8080 }
  - { name: secure, port: 8443, tls: true }
routes:
  - { name: a, match: { host: App.Example.com }, to: "http://127.0.0.1:3000" }
  - { name: b, match: { host: "*.shop.example", listeners: [secure] }, to: "http://127.0.0.1:3001" }
  - { name: c, match: { host: plain.example, listeners: [web] }, to: "http://127.0.0.1:3002" }
  - { name: d, match: { path: /x }, to: "http://127.0.0.1:3003" }
`);
    expect(tlsRouteNames(config)).toEqual(['app.example.com', '*.shop.example']);
  });

  it('is empty without TLS listeners', () => {
    const config = load(`
version: 1
listeners: [{ name: web, port: 8080 }]
routes: [{ name: a, match: { host: app.example.com }, to: "http://127.0.0.1:3000" }]
`);
    expect(tlsRouteNames(config)).toEqual([]);
  });
});
