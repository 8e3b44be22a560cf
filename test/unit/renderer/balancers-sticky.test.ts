// @vitest-environment happy-dom
/**
 * The sticky inspector and "Pin me" in the Balancers view (issue 15), with a fake
 * ProxyClient: the sessions section of a sticky balancer lists what listStickySessions
 * answers and reads it again every two seconds only while it is open and mounted; each
 * member's "Pin me" shows its pin links from pinLinks; a balancer without stickySession
 * shows neither and asks the engine for neither.
 */
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { NMessageProvider } from 'naive-ui';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineComponent, h } from 'vue';
import { PROXY_CLIENT_KEY } from '../../../src/renderer/src/api/inject.js';
import BalancersView from '../../../src/renderer/src/features/balancers/BalancersView.vue';
import { ago } from '../../../src/renderer/src/features/balancers/relative-time.js';
import { STICKY_POLL_MS } from '../../../src/renderer/src/features/balancers/use-sticky-sessions.js';
import { createFakeClient, fakeBalancer, type FakeClient } from '../../support/fake-client.js';
import { mountWithClient, piniaWithClient, settle } from '../../support/renderer-mount.js';

const A = 'http://127.0.0.1:9001';
const B = 'http://127.0.0.1:9002';
const PLAIN = 'http://127.0.0.1:9100';

function el(testId: string): HTMLElement | null {
  return document.querySelector<HTMLElement>(`[data-testid="${testId}"]`);
}

function foldButton(balancer: string): HTMLButtonElement {
  const button = el(`sticky-sessions-${balancer}`)?.querySelector('button');
  if (!button) throw new Error(`no sessions section for ${balancer}`);
  return button;
}

function sessionRows(): string[][] {
  return [...document.querySelectorAll('[data-testid="sticky-session-row"]')].map((row) =>
    [...row.querySelectorAll('th, td')].map((c) => c.textContent!.replace(/\s+/g, ' ').trim()),
  );
}

describe('Balancers view: sticky inspector and pin me', () => {
  let client: FakeClient;
  let view: VueWrapper | undefined;

  beforeEach(() => {
    client = createFakeClient({
      balancers: [
        fakeBalancer(
          'shop',
          [
            { url: A, route: '1' },
            { url: B, route: '2' },
          ],
          { stickySession: 'ROUTEID' },
        ),
        fakeBalancer('plain', [{ url: PLAIN }]),
      ],
    });
  });

  afterEach(() => {
    view?.unmount();
    view = undefined;
    vi.useRealTimers();
  });

  async function open(): Promise<void> {
    view = mountWithClient(BalancersView, client);
    await settle();
    await flushPromises();
  }

  it('lists the sessions listStickySessions answers: id, route → member, source, times, requests', async () => {
    const now = Date.now();
    client.respond('listStickySessions', (balancer) =>
      balancer !== 'shop'
        ? []
        : [
            {
              session: 'abc123.2',
              route: '2',
              source: 'cookie',
              member: B,
              firstSeen: now - 300_000,
              lastSeen: now - 5_000,
              requests: 14,
            },
            {
              session: 'xyz.1',
              route: '1',
              source: 'query parameter',
              // Route 1 is A's, but B served it: A was out of rotation.
              member: B,
              firstSeen: now - 40_000,
              lastSeen: now - 40_000,
              requests: 1,
            },
          ],
    );
    await open();
    expect(client.callsOf('listStickySessions')).toEqual([]);
    foldButton('shop').click();
    await flushPromises();

    expect(foldButton('shop').getAttribute('aria-expanded')).toBe('true');
    expect(client.callsOf('listStickySessions')).toEqual([['shop']]);
    expect(sessionRows()).toEqual([
      ['abc123.2', '2 → 127.0.0.1:9002', 'cookie', '5 min ago', '5 s ago', '14'],
      ['xyz.1', '1 → 127.0.0.1:9002', 'query parameter', '40 s ago', '40 s ago', '1'],
    ]);
    const rows = document.querySelectorAll('[data-testid="sticky-session-row"]');
    expect(rows[0]!.querySelector('.route')!.getAttribute('title')).toBe(B);
    expect(rows[1]!.querySelector('.route')!.getAttribute('title')).toContain(
      "Route 1 is 127.0.0.1:9001's",
    );
    expect(el('sticky-sessions-shop')!.textContent).toContain('Sessions 2');
  });

  it('marks a session set by a pin link', async () => {
    client.respond('listStickySessions', () => [
      {
        session: 'pinned.1',
        route: '1',
        source: 'cookie',
        member: A,
        firstSeen: Date.now(),
        lastSeen: Date.now(),
        requests: 3,
      },
    ]);
    await open();
    foldButton('shop').click();
    await flushPromises();
    const cell = document.querySelector('[data-testid="sticky-session-row"] th')!;
    expect(cell.querySelector('code')!.textContent).toBe('pinned.1');
    expect(cell.querySelector('.pinned')!.textContent).toBe('pinned');
  });

  it('explains when no session has been seen yet', async () => {
    await open();
    foldButton('shop').click();
    await flushPromises();
    expect(sessionRows()).toEqual([]);
    const text = el('sticky-sessions-shop')!.textContent!.replace(/\s+/g, ' ');
    expect(text).toContain('No sessions seen yet');
    expect(text).toContain('carries the ROUTEID cookie, or a ;routeid= path parameter');
  });

  it('shows a failed read and keeps the section open', async () => {
    client.respond('listStickySessions', () => Promise.reject(new Error('engine stopped')));
    await open();
    foldButton('shop').click();
    await flushPromises();
    expect(el('sticky-sessions-shop')!.querySelector('[role="alert"]')!.textContent).toBe(
      'Could not read the sessions: engine stopped',
    );
  });

  it('polls every two seconds only while open and mounted', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    let requests = 0;
    client.respond('listStickySessions', () => [
      {
        session: 's.1',
        route: '1',
        source: 'cookie',
        member: A,
        firstSeen: Date.now(),
        lastSeen: Date.now(),
        requests: ++requests,
      },
    ]);
    view = mountWithClient(BalancersView, client);
    await vi.advanceTimersByTimeAsync(10);
    // Folded: nothing asked, however long it stays.
    await vi.advanceTimersByTimeAsync(STICKY_POLL_MS * 3);
    expect(client.callsOf('listStickySessions')).toHaveLength(0);

    foldButton('shop').click();
    await vi.advanceTimersByTimeAsync(10);
    expect(client.callsOf('listStickySessions')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(STICKY_POLL_MS);
    expect(client.callsOf('listStickySessions')).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(STICKY_POLL_MS);
    expect(client.callsOf('listStickySessions')).toHaveLength(3);
    // The table follows the answers.
    expect(sessionRows()[0]![5]).toBe('3');

    foldButton('shop').click();
    await vi.advanceTimersByTimeAsync(STICKY_POLL_MS * 5);
    expect(client.callsOf('listStickySessions')).toHaveLength(3);
    expect(sessionRows()).toEqual([]);

    foldButton('shop').click();
    await vi.advanceTimersByTimeAsync(10);
    expect(client.callsOf('listStickySessions')).toHaveLength(4);

    view.unmount();
    view = undefined;
    await vi.advanceTimersByTimeAsync(STICKY_POLL_MS * 5);
    expect(client.callsOf('listStickySessions')).toHaveLength(4);
  });

  it('keeps the section open across a remount, as when the user comes back from Traffic', async () => {
    const pinia = piniaWithClient(client);
    const Host = defineComponent({
      render: () => h(NMessageProvider, null, { default: () => h(BalancersView) }),
    });
    const mountView = (): VueWrapper =>
      mount(Host, {
        attachTo: document.body,
        global: { plugins: [pinia], provide: { [PROXY_CLIENT_KEY as symbol]: client } },
      });
    view = mountView();
    await settle();
    foldButton('shop').click();
    await flushPromises();
    view.unmount();
    view = mountView();
    await settle();
    expect(foldButton('shop').getAttribute('aria-expanded')).toBe('true');
    expect(client.callsOf('listStickySessions')).toEqual([['shop'], ['shop']]);
  });

  it('offers each member of a sticky balancer its pin links, one per host', async () => {
    client.respond('pinLinks', (balancer) => {
      expect(balancer).toBe('shop');
      return [
        {
          member: A,
          route: '1',
          urls: ['http://shop.localhost:8080/__switchyard/pin?route=1&back=%2F'],
        },
        {
          member: B,
          route: '2',
          urls: [
            'http://shop.localhost:8080/__switchyard/pin?route=2&back=%2F',
            'https://shop.localhost:8443/__switchyard/pin?route=2&back=%2F',
          ],
        },
      ];
    });
    await open();
    expect(el('pin-member-1')).not.toBeNull();
    el('pin-member-2')!.click();
    await flushPromises();

    expect(client.callsOf('pinLinks')).toEqual([['shop']]);
    const links = [...document.querySelectorAll('[data-testid="pin-link"]')];
    expect(links.map((l) => l.querySelector('code')!.textContent)).toEqual([
      'http://shop.localhost:8080/__switchyard/pin?route=2&back=%2F',
      'https://shop.localhost:8443/__switchyard/pin?route=2&back=%2F',
    ]);
    for (const link of links) {
      const a = link.querySelector('a')!;
      expect(a.textContent).toBe('Open');
      expect(a.getAttribute('href')).toBe(link.querySelector('code')!.textContent);
      expect(a.getAttribute('target')).toBe('_blank');
      expect(a.getAttribute('rel')).toContain('noopener');
    }
    expect(document.body.textContent!.replace(/\s+/g, ' ')).toContain(
      'Each link sets ROUTEID=pinned.2 for its host in your browser, so your requests go to 127.0.0.1:9002 until you clear the cookie.',
    );
  });

  it('copies a pin link', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    await open();
    el('pin-member-1')!.click();
    await flushPromises();
    const copy = document.querySelector<HTMLButtonElement>(
      '[data-testid="pin-link"] button[aria-label^="Copy pin link for shop.localhost:8080"]',
    )!;
    copy.click();
    await flushPromises();
    expect(writeText).toHaveBeenCalledWith(
      'http://shop.localhost:8080/__switchyard/pin?route=1&back=%2F',
    );
    expect(copy.textContent!.trim()).toBe('Copied');
  });

  it("says so when the engine refuses the pin links, or the balancer's routes have no listener", async () => {
    client.respond('pinLinks', () => Promise.reject(new Error("balancer 'shop' went away")));
    await open();
    el('pin-member-1')!.click();
    await flushPromises();
    expect(document.querySelector('.pin-popover [role="alert"]')!.textContent).toBe(
      "Could not get the pin links: balancer 'shop' went away",
    );

    client.respond('pinLinks', () => [{ member: B, route: '2', urls: [] }]);
    el('pin-member-2')!.click();
    await flushPromises();
    expect(document.body.textContent).toContain('No listener serves a route to balancer://shop');
    expect(document.querySelectorAll('[data-testid="pin-link"]')).toHaveLength(0);
  });

  it('shows neither sessions nor pin me for a balancer without stickySession', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    client.data.balancers = client.data.balancers.filter((b) => b.name === 'plain');
    view = mountWithClient(BalancersView, client);
    await vi.advanceTimersByTimeAsync(10);
    expect(view!.text()).toContain('balancer://plain');
    expect(el('sticky-sessions-plain')).toBeNull();
    expect(document.querySelector('[data-testid^="sticky-sessions-"]')).toBeNull();
    expect(document.querySelector('[data-testid^="pin-member-"]')).toBeNull();
    expect(view!.text()).not.toContain('Pin me');
    await vi.advanceTimersByTimeAsync(STICKY_POLL_MS * 3);
    expect(client.callsOf('listStickySessions')).toEqual([]);
    expect(client.callsOf('pinLinks')).toEqual([]);
  });
});

describe('ago', () => {
  it.each([
    [400, 'just now'],
    [5_000, '5 s ago'],
    [119_000, '119 s ago'],
    [300_000, '5 min ago'],
    [3 * 3_600_000, '3 h ago'],
  ])('%i ms ago reads %s', (elapsed, text) => {
    expect(ago(1_000_000_000 - elapsed, 1_000_000_000)).toBe(text);
  });
});
