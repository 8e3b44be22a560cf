// @vitest-environment happy-dom
/**
 * The Balancers view with a fake ProxyClient: balancer-manager's columns, a switch per
 * member named after its URL, the state menu and load factor applied through setMember,
 * health shown, and the statistics subscription held only while the view is mounted.
 */
import { flushPromises, type VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import BalancersView from '../../../src/renderer/src/features/balancers/BalancersView.vue';
import { createFakeClient, fakeBalancer, type FakeClient } from '../../support/fake-client.js';
import { mountWithClient, settle } from '../../support/renderer-mount.js';

const A = 'http://127.0.0.1:9001';
const B = 'http://127.0.0.1:9002';
const C = 'http://127.0.0.1:9003';

describe('BalancersView', () => {
  let client: FakeClient;
  let view: VueWrapper;

  beforeEach(() => {
    client = createFakeClient({
      balancers: [
        fakeBalancer(
          'cluster',
          [
            {
              url: A,
              route: '1',
              loadFactor: 10,
              stats: {
                elected: 12,
                busy: 1,
                bytesOut: 2048,
                bytesIn: 512,
                errors: 0,
                health: 'healthy',
                errorUntil: 0,
                lastCheck: { at: Date.now() - 3_000, ok: true, detail: '200 OK' },
                consecutivePasses: 3,
                consecutiveFails: 0,
              },
            },
            { url: B, route: '2', state: 'draining' },
            {
              url: C,
              route: '3',
              state: 'disabled',
              stats: {
                elected: 0,
                busy: 0,
                bytesOut: 0,
                bytesIn: 0,
                errors: 4,
                health: 'unhealthy',
                errorUntil: null,
                errorReason: 'connection refused',
                consecutivePasses: 0,
                consecutiveFails: 2,
              },
            },
          ],
          { stickySession: 'JSESSIONID', method: 'bytraffic' },
        ),
      ],
    });
  });

  afterEach(() => view?.unmount());

  async function open(): Promise<void> {
    view = mountWithClient(BalancersView, client);
    await settle();
    await flushPromises();
  }

  const row = (url: string) => view.findAll('tbody tr').find((r) => r.find('th').text() === url)!;
  const cells = (url: string) =>
    row(url)
      .findAll('td')
      .map((c) => c.text());

  it('lists each balancer with its method, sticky session and member columns', async () => {
    await open();
    expect(view.find('h2').text()).toBe('balancer://cluster');
    expect(view.text()).toContain('by traffic');
    expect(view.text()).toContain('JSESSIONID');
    expect(view.text()).toContain('2 of 3 in rotation');
    // on, route, factor, state, elected, busy, to, from, errors, health, last check
    expect(cells(A).slice(4)).toEqual([
      '12',
      '1',
      '2.0 KiB',
      '512 B',
      '0',
      'Healthy',
      'passed 3 s ago',
    ]);
    expect(cells(C).slice(8, 10)).toEqual(['4', 'In error']);
    expect(row(C).find('.n-tag').attributes('title')).toBe(
      'Skipped until a health check passes: connection refused',
    );
  });

  it('names each member switch after the member URL and reflects its state', async () => {
    await open();
    const switches = view.findAll('[role="switch"]');
    expect(switches.map((s) => s.attributes('aria-label'))).toEqual([A, B, C]);
    expect(switches.map((s) => s.attributes('aria-checked'))).toEqual(['true', 'true', 'false']);
  });

  it('turns a member off and on with its switch', async () => {
    await open();
    await view.find(`[role="switch"][aria-label="${A}"]`).trigger('click');
    await flushPromises();
    expect(client.callsOf('setMember')).toEqual([['cluster', A, { state: 'disabled' }]]);
    expect(view.find(`[role="switch"][aria-label="${A}"]`).attributes('aria-checked')).toBe(
      'false',
    );
    await view.find(`[role="switch"][aria-label="${C}"]`).trigger('click');
    await flushPromises();
    expect(client.callsOf('setMember').at(-1)).toEqual(['cluster', C, { state: 'enabled' }]);
  });

  it('sets the state from the menu and the load factor from its field', async () => {
    await open();
    const state = view.find(`select[aria-label="State of ${B}"]`);
    expect((state.element as HTMLSelectElement).value).toBe('draining');
    await state.setValue('standby');
    await flushPromises();
    expect(client.callsOf('setMember')).toEqual([['cluster', B, { state: 'standby' }]]);

    const factor = view.find(`input[aria-label="Load factor of ${A}"]`);
    expect((factor.element as HTMLInputElement).value).toBe('10');
    await factor.setValue('25');
    await factor.trigger('keydown', { key: 'Enter' });
    await factor.trigger('blur');
    await flushPromises();
    expect(client.callsOf('setMember').at(-1)).toEqual(['cluster', A, { loadFactor: 25 }]);
  });

  it('shows a refused change as an error message', async () => {
    client.respond('setMember', () => Promise.reject(new Error('no such member')));
    await open();
    await view.find(`[role="switch"][aria-label="${A}"]`).trigger('click');
    await flushPromises();
    expect(document.body.textContent).toContain(`Could not change ${A}: no such member`);
    expect(view.find(`[role="switch"][aria-label="${A}"]`).attributes('aria-checked')).toBe('true');
  });

  it('logs health changes while open', async () => {
    await open();
    client.emit('health', { balancer: 'cluster', member: B, health: 'healthy', detail: '200 OK' });
    await flushPromises();
    expect(view.find('section[aria-labelledby="health-log-title"]').text()).toMatch(
      /127\.0\.0\.1:9002\s*healthy\s*200 OK/,
    );
  });

  it('says so when there are no balancers', async () => {
    client.data.balancers = [];
    await open();
    expect(view.text()).toContain('No balancers in the configuration');
  });

  it('listens for statistics only while shown', async () => {
    await open();
    expect(client.listenerCount('balancers')).toBe(1);
    expect(client.listenerCount('health')).toBe(1);
    view.unmount();
    expect(client.listenerCount('balancers')).toBe(0);
    expect(client.listenerCount('health')).toBe(0);
  });
});
