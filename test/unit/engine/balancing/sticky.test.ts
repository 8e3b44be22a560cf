import { describe, expect, it } from 'vitest';
import { Balancer } from '../../../../src/engine/balancing/balancer.js';
import { MemberStatsStore } from '../../../../src/engine/balancing/member-stats.js';
import { StickySession } from '../../../../src/engine/balancing/sticky.js';
import { balancerSchema } from '../../../../src/shared/config.js';

describe('sticky session routes', () => {
  const sticky = new StickySession('JSESSIONID');

  it.each([
    [
      '/',
      '',
      'a=1; JSESSIONID=abc123.2; b=2',
      { route: '2', source: 'cookie', session: 'abc123.2' },
    ],
    [
      '/app;jsessionid=abc.3',
      '',
      undefined,
      { route: '3', source: 'path parameter', session: 'abc.3' },
    ],
    [
      '/app;JSESSIONID=abc.3/x',
      '',
      undefined,
      { route: '3', source: 'path parameter', session: 'abc.3' },
    ],
    [
      '/app',
      '?x=1&jsessionid=zz.1',
      undefined,
      { route: '1', source: 'query parameter', session: 'zz.1' },
    ],
    [
      '/app',
      '?jsessionid=%E0%A4%A.2',
      undefined,
      { route: '2', source: 'query parameter', session: '%E0%A4%A.2' },
    ],
    [
      '/app;jsessionid=abc.3',
      '',
      'JSESSIONID=abc.2',
      { route: '3', source: 'path parameter', session: 'abc.3' },
    ],
    ['/', '', 'JSESSIONID=abc', undefined],
    ['/', '', 'XJSESSIONID=abc.2', undefined],
    ['/', '', undefined, undefined],
  ])('%s %s cookie %s → %j', (path, query, cookie, expected) => {
    expect(sticky.find(path, query, cookie)).toEqual(expected);
  });

  function pool(failover: boolean) {
    const config = balancerSchema.parse({
      name: 'cluster',
      stickySession: 'JSESSIONID',
      failover,
      members: [
        { url: 'http://127.0.0.1:9001', route: '1' },
        { url: 'http://127.0.0.1:9002', route: '2', state: 'draining' },
        { url: 'http://127.0.0.1:9003', route: '3', state: 'disabled' },
      ],
    });
    return new Balancer(config, new MemberStatsStore());
  }

  it('sends a stuck session to its member, even a draining one, and says why', () => {
    const choice = pool(true).choose({ path: '/', query: '', cookie: 'JSESSIONID=x.2' }, new Set());
    expect(choice.member?.label).toBe('http://127.0.0.1:9002');
    expect(choice.why).toBe('sticky route 2 from cookie JSESSIONID');
  });

  it('moves a session stuck to an unusable member when failover is on', () => {
    const choice = pool(true).choose({ path: '/', query: '', cookie: 'JSESSIONID=x.3' }, new Set());
    expect(choice.member?.label).toBe('http://127.0.0.1:9001');
    expect(choice.why).toBe(
      'sticky route 3 from cookie JSESSIONID, but http://127.0.0.1:9003 is disabled; picked by byrequests',
    );
  });

  it('refuses to move it when failover is off (nofailover)', () => {
    const choice = pool(false).choose(
      { path: '/', query: '', cookie: 'JSESSIONID=x.3' },
      new Set(),
    );
    expect(choice.member).toBeUndefined();
    expect(choice.why).toContain('failover is off for balancer cluster');
  });

  it('never gives new sessions to a draining member', () => {
    const b = pool(true);
    for (let i = 0; i < 10; i++) {
      expect(b.choose({ path: '/', query: '', cookie: undefined }, new Set()).member?.label).toBe(
        'http://127.0.0.1:9001',
      );
    }
  });
});
