// @vitest-environment happy-dom
/**
 * An HTTP/2 member's row shows its session (issue "HTTP/2 and gRPC end to end"): the line
 * under the member URL for every state, nothing for HTTP/1.1 members, and the line kept
 * live by the `balancers` statistics event.
 */
import { flushPromises, type VueWrapper } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { Http2SessionStatus } from '../../../src/shared/api.js';
import BalancersView from '../../../src/renderer/src/features/balancers/BalancersView.vue';
import { memberSession } from '../../../src/renderer/src/features/balancers/member-session.js';
import { createFakeClient, fakeBalancer } from '../../support/fake-client.js';
import { mountWithClient, settle } from '../../support/renderer-mount.js';

const H2 = 'h2c://127.0.0.1:50051';
const H1 = 'http://127.0.0.1:9001';
const NOW = 1_800_000_000_000;

function member(http2?: Http2SessionStatus) {
  return fakeBalancer('grpc', [{ url: H2, ...(http2 ? { http2 } : {}) }]).members[0]!;
}

describe('memberSession', () => {
  it.each<[string, Http2SessionStatus, string]>([
    [
      'no session yet',
      { state: 'none', streams: 0, maxConcurrentStreams: null, goaways: 0 },
      'HTTP/2 · no session yet',
    ],
    [
      'connecting',
      { state: 'connecting', streams: 2, maxConcurrentStreams: null, goaways: 0 },
      'HTTP/2 · connecting · 2 streams in flight',
    ],
    [
      'connected with streams',
      { state: 'connected', streams: 3, maxConcurrentStreams: 100, connectedAt: NOW, goaways: 0 },
      'HTTP/2 · connected · 3 streams in flight (max 100)',
    ],
    [
      'connected, one stream, no limit',
      { state: 'connected', streams: 1, maxConcurrentStreams: null, goaways: 0 },
      'HTTP/2 · connected · 1 stream in flight (no limit)',
    ],
    [
      'connected again after a GOAWAY',
      {
        state: 'connected',
        streams: 0,
        maxConcurrentStreams: 100,
        goaways: 1,
        lastGoaway: { at: NOW - 5_000, code: 0 },
      },
      'HTTP/2 · connected · 0 streams in flight (max 100) · 1 GOAWAY',
    ],
    [
      'closed by GOAWAY with streams finishing',
      {
        state: 'closed',
        streams: 2,
        maxConcurrentStreams: 100,
        goaways: 2,
        lastGoaway: { at: NOW, code: 2 },
      },
      'HTTP/2 · closed · 2 streams in flight · 2 GOAWAYs',
    ],
  ])('%s', (_name, http2, text) => {
    expect(memberSession(member(http2), NOW)?.text).toBe(text);
  });

  it('explains the session in the tooltip, and nothing for HTTP/1.1 members', () => {
    const view = memberSession(
      member({
        state: 'closed',
        streams: 0,
        maxConcurrentStreams: 100,
        goaways: 1,
        lastGoaway: { at: NOW - 3_000, code: 2 },
      }),
      NOW,
    );
    expect(view).toMatchObject({ tone: 'warning' });
    expect(view?.detail).toBe(
      'The next request opens a new session. Last GOAWAY 3 s ago (error code 2).',
    );
    expect(memberSession(fakeBalancer('web', [{ url: H1 }]).members[0]!, NOW)).toBeUndefined();
  });
});

describe('an HTTP/2 member row in the Balancers view', () => {
  let view: VueWrapper;
  afterEach(() => view?.unmount());

  it('shows the session under the member URL and follows the statistics events', async () => {
    const connected = (streams: number): Http2SessionStatus => ({
      state: 'connected',
      streams,
      maxConcurrentStreams: 100,
      connectedAt: Date.now(),
      goaways: 0,
    });
    const balancer = (streams: number) =>
      fakeBalancer('grpc', [{ url: H2, http2: connected(streams) }, { url: H1 }]);
    const client = createFakeClient({ balancers: [balancer(3)] });
    view = mountWithClient(BalancersView, client);
    await settle();
    await flushPromises();
    const lines = () => view.findAll('[data-testid="member-session"]');
    expect(lines().map((l) => l.text())).toEqual([
      'HTTP/2 · connected · 3 streams in flight (max 100)',
    ]);
    expect(lines()[0]!.element.closest('th')?.textContent).toContain(H2);
    expect(lines()[0]!.attributes('title')).toContain('at most 100 concurrent streams');

    client.emit('balancers', [balancer(0)]);
    await flushPromises();
    expect(lines().map((l) => l.text())).toEqual([
      'HTTP/2 · connected · 0 streams in flight (max 100)',
    ]);
  });
});
