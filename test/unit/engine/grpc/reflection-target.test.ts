/**
 * Reflection goes only to the backend that served a call, and only while the route still
 * configures it with an HTTP/2 scheme: whatever an exchange's record says, no other
 * address is ever asked.
 */
import { describe, expect, it } from 'vitest';
import { reflectionTarget } from '../../../../src/engine/grpc/reflection-target.js';
import { parseConfig } from '../../../support/proxy.js';

const config = parseConfig({
  listeners: [{ name: 'web', port: 0 }],
  routes: [
    { name: 'direct', match: { path: '/a.A' }, to: 'h2c://127.0.0.1:5001/a.A' },
    { name: 'tls', match: { path: '/b.B' }, to: 'h2://127.0.0.1:5002/' },
    { name: 'plain', match: { path: '/c.C' }, to: 'http://127.0.0.1:5003/' },
    { name: 'pool', match: { path: '/' }, to: 'balancer://grpc/' },
  ],
  balancers: [
    { name: 'grpc', members: [{ url: 'h2c://127.0.0.1:6001' }, { url: 'h2c://127.0.0.1:6002' }] },
  ],
});

describe('reflectionTarget', () => {
  it.each([
    ['direct', 'h2c://127.0.0.1:5001', 'http://127.0.0.1:5001'],
    ['tls', 'h2://127.0.0.1:5002', 'https://127.0.0.1:5002'],
    ['pool', 'h2c://127.0.0.1:6002', 'http://127.0.0.1:6002'],
  ])('route %s served by %s: asks %s', (route, member, expected) => {
    expect(reflectionTarget(config, { route, member })).toBe(expected);
  });

  it.each([
    ['a member the route does not configure', 'pool', 'h2c://127.0.0.1:9999'],
    ['another route’s backend', 'direct', 'h2c://127.0.0.1:6001'],
    ['an HTTP/1.1 backend', 'plain', 'http://127.0.0.1:5003'],
    ['a route that is gone', 'removed', 'h2c://127.0.0.1:5001'],
    ['an unparsable member', 'direct', 'not a url'],
  ])('never %s', (_what, route, member) => {
    expect(reflectionTarget(config, { route, member })).toBeUndefined();
  });

  it('needs a route, a member and a configuration', () => {
    expect(reflectionTarget(config, { member: 'h2c://127.0.0.1:5001' })).toBeUndefined();
    expect(reflectionTarget(config, { route: 'direct' })).toBeUndefined();
    expect(
      reflectionTarget(undefined, { route: 'direct', member: 'h2c://127.0.0.1:5001' }),
    ).toBeUndefined();
  });
});
