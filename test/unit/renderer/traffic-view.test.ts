// @vitest-environment happy-dom
/**
 * The Traffic view with a fake ProxyClient: rows from the stream, filters, keyboard
 * selection, the detail pane (why-this-member, headers, bodies, frames), and the actions
 * (pause, clear, HAR download, copy as cURL, replay). The stream subscription ends with
 * the view.
 */
import { flushPromises, type VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import TrafficView from '../../../src/renderer/src/features/traffic/TrafficView.vue';
import {
  createFakeClient,
  fakeDetail,
  fakeFrame,
  fakeSummary,
  type FakeClient,
} from '../../support/fake-client.js';
import { fakeLayout, manualFrames, mountWithClient, settle } from '../../support/renderer-mount.js';

describe('TrafficView', () => {
  let client: FakeClient;
  let frames: ReturnType<typeof manualFrames>;
  let layout: ReturnType<typeof fakeLayout>;
  let view: VueWrapper;

  beforeEach(() => {
    client = createFakeClient();
    client.data.exchanges = [
      fakeSummary({ id: 1, method: 'GET', url: '/api/items/1', status: 200 }),
      fakeSummary({
        id: 2,
        method: 'POST',
        url: '/api/orders',
        status: 201,
        requestBytes: 9,
        member: 'http://127.0.0.1:9002',
        why: 'sticky route 2 from cookie JSESSIONID',
      }),
      fakeSummary({ id: 3, method: 'GET', url: '/missing', status: 404, route: 'site' }),
    ];
    frames = manualFrames();
    layout = fakeLayout();
  });

  afterEach(() => {
    view?.unmount();
    frames.restore();
    layout.restore();
  });

  async function open(): Promise<void> {
    view = mountWithClient(TrafficView, client);
    await settle();
    frames.frame();
    await flushPromises();
  }

  const rows = () => view.findAll('[role="listbox"] [role="option"]');
  const rowText = () => rows().map((r) => r.text());

  it('lists the log newest first with every column', async () => {
    await open();
    expect(rows()).toHaveLength(3);
    const first = rows()[0]!;
    expect(first.text()).toContain('/missing');
    expect(first.text()).toContain('404');
    expect(rowText()[2]).toMatch(
      /GET.*\/api\/items\/1.*200.*api.*127\.0\.0\.1:9001.*6\.0 ms.*42 B/,
    );
  });

  it('follows in chronological order when asked, newest at the bottom', async () => {
    await open();
    await view.find('select[aria-label="Order"]').setValue('follow');
    expect(rows().map((r) => r.find('.path').text())).toEqual([
      '/api/items/1',
      '/api/orders',
      '/missing',
    ]);
    client.emit('exchanges', [fakeSummary({ id: 4, url: '/live' })]);
    frames.frame();
    await flushPromises();
    expect(rowText().at(-1)).toContain('/live');
    const list = view.find('[role="listbox"]');
    await list.trigger('keydown', { key: 'End' });
    expect(list.attributes('aria-activedescendant')).toBe('exchange-row-4');
  });

  it('shows exchanges streamed in after the first frame', async () => {
    await open();
    client.emit('exchanges', [fakeSummary({ id: 4, url: '/live' })]);
    expect(rows()).toHaveLength(3);
    frames.frame();
    await flushPromises();
    expect(rows()).toHaveLength(4);
    expect(rowText()[0]).toContain('/live');
  });

  it('filters by text, method toggle, status class and route', async () => {
    await open();
    await view.find('input[aria-label="Filter text"]').setValue('orders');
    expect(rowText()).toHaveLength(1);
    await view.find('input[aria-label="Filter text"]').setValue('');

    const methods = view.find('[role="group"][aria-label="Method"]');
    const get = methods.findAll('button').find((b) => b.text() === 'GET')!;
    await get.trigger('click');
    expect(get.attributes('aria-pressed')).toBe('true');
    expect(rows()).toHaveLength(2);
    await get.trigger('click');

    const classes = view.find('[role="group"][aria-label="Status class"]');
    await classes
      .findAll('button')
      .find((b) => b.text() === '4xx')!
      .trigger('click');
    expect(rowText()).toEqual([expect.stringContaining('/missing')]);
    await view
      .findAll('button')
      .find((b) => b.text() === 'Reset filters')!
      .trigger('click');

    await view.find('select[aria-label="Route"]').setValue('site');
    expect(rows()).toHaveLength(1);
    expect(view.text()).toContain('1 of 3 exchanges');
  });

  it('opens the details of a clicked exchange: why this member, timing, headers', async () => {
    await open();
    await rows()[1]!.trigger('click');
    await flushPromises();
    const detail = view.find('section[aria-labelledby="exchange-detail-title"]');
    expect(detail.find('h2').text()).toBe('POST /api/orders');
    expect(detail.text()).toContain(
      'Route api sent it to http://127.0.0.1:9002: sticky route 2 from cookie JSESSIONID.',
    );
    expect(detail.find('[role="img"]').attributes('aria-label')).toBe(
      'Timing: backend connected at 1.0 ms, first byte at 4.0 ms, done at 6.0 ms',
    );
    const tables = detail.findAll('table');
    expect(tables.map((t) => t.find('caption').text())).toEqual([
      'Request headers',
      'Response headers',
    ]);
    expect(tables[0]!.text()).toContain('User-Agent');
    expect(rows()[1]!.attributes('aria-selected')).toBe('true');
  });

  it('fetches a body only when its tab opens, and shows JSON as a tree', async () => {
    client.data.bodies.set('2:request', new TextEncoder().encode('{"qty":2}'));
    client.data.details.set(
      2,
      fakeDetail(client.data.exchanges[1]!, {
        requestBody: { size: 9, captured: 9, truncated: false, contentType: 'application/json' },
      }),
    );
    await open();
    await rows()[1]!.trigger('click');
    await flushPromises();
    expect(client.callsOf('getDecodedBody')).toHaveLength(0);
    const tab = view.findAll('[role="tab"]').find((t) => t.text() === 'Request body')!;
    await tab.trigger('click');
    await flushPromises();
    expect(client.callsOf('getDecodedBody')).toEqual([[2, 'request']]);
    const qty = view.find('[role="tabpanel"] li[data-path="$.qty"]');
    expect(qty.find('.value').text()).toBe('2');
    expect(tab.attributes('aria-selected')).toBe('true');
  });

  it('shows WebSocket frames in their own tab', async () => {
    const ws = fakeSummary({
      id: 9,
      url: '/socket',
      status: 101,
      websocket: { open: true, framesUp: 1, framesDown: 1, bytesUp: 5, bytesDown: 3 },
    });
    client.data.exchanges = [ws];
    client.data.details.set(
      9,
      fakeDetail(ws, {
        frames: [fakeFrame(), fakeFrame({ direction: 'down', preview: btoa('hey'), size: 3 })],
      }),
    );
    await open();
    await rows()[0]!.trigger('click');
    await flushPromises();
    await view
      .findAll('[role="tab"]')
      .find((t) => t.text() === 'Frames')!
      .trigger('click');
    const text = view.find('[role="tabpanel"]').text();
    expect(text).toMatch(/↑ to backend\s*text\s*5 B\s*hello/);
    expect(text).toMatch(/↓ to client\s*text\s*3 B\s*hey/);
  });

  it('moves the selection with the keyboard and closes the details with Escape', async () => {
    await open();
    const list = view.find('[role="listbox"]');
    await list.trigger('keydown', { key: 'ArrowDown' });
    expect(rows()[0]!.attributes('aria-selected')).toBe('true');
    expect(list.attributes('aria-activedescendant')).toBe('exchange-row-3');
    await list.trigger('keydown', { key: 'ArrowDown' });
    expect(list.attributes('aria-activedescendant')).toBe('exchange-row-2');
    await list.trigger('keydown', { key: 'End' });
    expect(list.attributes('aria-activedescendant')).toBe('exchange-row-1');
    await flushPromises();
    expect(view.find('h2#exchange-detail-title').exists()).toBe(true);
    await list.trigger('keydown', { key: 'Escape' });
    expect(view.find('h2#exchange-detail-title').exists()).toBe(false);
  });

  it('pauses and clears through the engine', async () => {
    await open();
    const button = (label: string) => view.findAll('button').find((b) => b.text() === label)!;
    await button('Pause capture').trigger('click');
    await flushPromises();
    expect(client.callsOf('setCapturePaused')).toEqual([[true]]);
    expect(button('Resume capture').exists()).toBe(true);
    await button('Clear').trigger('click');
    await flushPromises();
    expect(client.callsOf('clearExchanges')).toHaveLength(1);
    expect(rows()).toHaveLength(0);
    expect(view.text()).toContain('Capture is paused');
  });

  it('downloads the filtered rows as a .har file', async () => {
    const created: Blob[] = [];
    const createObjectURL = vi.fn((blob: Blob) => {
      created.push(blob);
      return 'blob:har';
    });
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    const clicks: string[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      clicks.push(this.download);
    });
    client.data.har = '{"log":{"version":"1.2","entries":[]}}';
    await open();
    await view.find('input[aria-label="Filter text"]').setValue('api');
    await view
      .findAll('button')
      .find((b) => b.text() === 'Export HAR')!
      .trigger('click');
    await flushPromises();
    expect(client.callsOf('exportHar')).toEqual([[{ query: 'api' }]]);
    expect(clicks).toEqual([
      expect.stringMatching(/^switchyard-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.har$/),
    ]);
    expect(await created[0]!.text()).toBe(client.data.har);
    click.mockRestore();
  });

  it('copies the exchange as cURL and replays it', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    await open();
    await rows()[1]!.trigger('click');
    await flushPromises();
    const button = (label: string) => view.findAll('button').find((b) => b.text() === label)!;
    await button('Copy as cURL').trigger('click');
    await flushPromises();
    expect(client.callsOf('exchangeAsCurl')).toEqual([[2]]);
    expect(writeText).toHaveBeenCalledWith("curl 'http://127.0.0.1:8080/api/items/2'");
    await button('Replay').trigger('click');
    await flushPromises();
    expect(client.callsOf('replayExchange')).toEqual([[2]]);
    expect(document.body.textContent).toContain('Replayed: the proxy answered 200');
  });

  it('stops listening when the view goes away', async () => {
    await open();
    expect(client.listenerCount('exchanges')).toBe(1);
    view.unmount();
    expect(client.listenerCount('exchanges')).toBe(0);
    expect(client.listenerCount('exchangesCleared')).toBe(0);
  });
});
