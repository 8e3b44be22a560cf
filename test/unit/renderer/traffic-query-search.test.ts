// @vitest-environment happy-dom
/**
 * Queries the list cannot answer from summaries (header and body terms, free text that may
 * be in a header) go to the engine's searchExchanges: debounced while typing, the latest
 * request winning, a spinner meanwhile; the list shows the ids it answered with, each row
 * saying where it matched, and live exchanges are checked by searching again (throttled).
 * HAR export sends the same query and controls, so the file holds what the list shows.
 */
import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  RESEARCH_INTERVAL_MS,
  SEARCH_DEBOUNCE_MS,
} from '../../../src/renderer/src/stores/traffic.js';
import type { ApiResult } from '../../../src/shared/api.js';
import { fakeSummary } from '../../support/fake-client.js';
import { openTraffic, type TrafficHarness } from './traffic-query-fixtures.js';

type SearchAnswer = ApiResult<'searchExchanges'>;

const ORDER_HIT = {
  term: 'body:order-42',
  field: 'response body',
  snippet: '…"items":[],"id":"ORDER-42","total":12…',
};

describe('Traffic search through the engine', () => {
  let t: TrafficHarness;

  afterEach(() => {
    t?.unmount();
    vi.useRealTimers();
  });

  /** Open the view, then take over the clock the store debounces and throttles with. */
  async function open(answer: (query: string) => SearchAnswer | Promise<SearchAnswer>) {
    t = await openTraffic(undefined, (client) => client.respond('searchExchanges', answer));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  }

  const searches = () => t.client.callsOf('searchExchanges').map(([q]) => q);
  const spinner = () => t.view.find('[role="status"][aria-label="Searching"]');
  const hint = (id: number) => t.view.find(`#exchange-row-${id} .hint`);

  it('asks the engine for a body term once typing pauses, and lists what it found with where', async () => {
    await open((query) => ({
      matches: query === 'body:order-42' ? [{ id: 2, hits: [ORDER_HIT] }] : [],
      total: 4,
    }));
    await t.type('body:ord');
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS - 50);
    await t.type('body:order-4');
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS - 50);
    await t.type('body:order-42');
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS - 1);
    // Still typing as far as the debounce knows: nothing asked, the rows as they were.
    expect(searches()).toEqual([]);
    expect(spinner().exists()).toBe(true);
    expect(t.ids()).toEqual([4, 3, 2, 1]);

    await vi.advanceTimersByTimeAsync(1);
    await flushPromises();
    expect(searches()).toEqual(['body:order-42']);
    expect(t.ids()).toEqual([2]);
    expect(spinner().exists()).toBe(false);
    expect(t.view.text()).toContain('1 of 4 exchanges');

    // The row says where it matched, the searched text marked whatever its case.
    expect(hint(2).text()).toBe('response body: …"items":[],"id":"ORDER-42","total":12…');
    expect(
      hint(2)
        .findAll('mark')
        .map((m) => m.text()),
    ).toEqual(['ORDER-42']);
    expect(hint(2).attributes('title')).toBe(
      'response body: …"items":[],"id":"ORDER-42","total":12…',
    );
    // Rows keep one height for the virtualised list: the hint is the second line of each.
    const rows = t.rows();
    expect(rows[0]!.classes()).toContain('hinted');
  });

  it('keeps only the latest answer when an older search answers last', async () => {
    let releaseFirst!: (answer: SearchAnswer) => void;
    await open((query) =>
      query === 'body:first'
        ? new Promise<SearchAnswer>((resolve) => (releaseFirst = resolve))
        : { matches: [{ id: 3, hits: [] }], total: 4 },
    );
    await t.type('body:first');
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    await t.type('body:second');
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    await flushPromises();
    expect(searches()).toEqual(['body:first', 'body:second']);
    expect(t.ids()).toEqual([3]);

    releaseFirst({ matches: [{ id: 1, hits: [] }], total: 4 });
    await flushPromises();
    expect(t.ids()).toEqual([3]);
    expect(spinner().exists()).toBe(false);
  });

  it('checks exchanges that arrive while a body query is active, at most once a second', async () => {
    // What the engine finds grows as matching exchanges arrive.
    const known: number[] = [2];
    await open(() => ({
      matches: known.map((id) => ({ id, hits: [ORDER_HIT] })),
      total: known.length,
    }));
    await t.type('body:order-42');
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    await flushPromises();
    expect(t.ids()).toEqual([2]);
    expect(searches()).toHaveLength(1);

    known.push(5, 6);
    await t.arrive(fakeSummary({ id: 5, url: '/orders/5' }));
    await t.arrive(fakeSummary({ id: 6, url: '/orders/6' }));
    await t.arrive(fakeSummary({ id: 7, url: '/other' }));
    // Not checked yet: a new exchange shows once the engine says it matches. The query did
    // not change, so no spinner: live traffic would keep it spinning.
    expect(t.ids()).toEqual([2]);
    expect(spinner().exists()).toBe(false);
    // A second after the last search started, not before.
    await vi.advanceTimersByTimeAsync(RESEARCH_INTERVAL_MS - 10);
    expect(searches()).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(10);
    await flushPromises();
    // One search for the three arrivals.
    expect(searches()).toEqual(['body:order-42', 'body:order-42']);
    expect(t.ids()).toEqual([6, 5, 2]);
    expect(t.view.text()).toContain('3 of 7 exchanges');

    // Back to a summary-only query: the engine is left alone again.
    await t.type('status:200');
    await t.arrive(fakeSummary({ id: 8 }));
    await vi.advanceTimersByTimeAsync(RESEARCH_INTERVAL_MS * 2);
    expect(searches()).toHaveLength(2);
    expect(t.ids()).toEqual([8, 7, 6, 5, 1]);
    expect(t.view.find('.hint').exists()).toBe(false);
  });

  it('answers free text from the summaries at once, then adds what the headers hold', async () => {
    await open(() => ({
      matches: [
        { id: 4, hits: [{ term: 'orders', field: 'url' }] },
        { id: 2, hits: [{ term: 'orders', field: 'url' }] },
        {
          id: 1,
          hits: [
            {
              term: 'orders',
              field: 'request header referer',
              snippet: 'Referer: http://shop.test/orders/new',
            },
          ],
        },
      ],
      total: 4,
    }));
    await t.type('orders');
    expect(t.ids()).toEqual([4, 2]);
    expect(hint(4).text()).toBe('url');
    expect(spinner().exists()).toBe(true);

    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    await flushPromises();
    expect(searches()).toEqual(['orders']);
    expect(t.ids()).toEqual([4, 2, 1]);
    expect(hint(1).text()).toBe('request header referer: Referer: http://shop.test/orders/new');
    expect(hint(1).find('mark').text()).toBe('orders');
    // Every row two lines high, laid out as such.
    expect(t.rows().map((r) => r.attributes('style'))).toEqual([
      expect.stringContaining('translateY(0px)'),
      expect.stringContaining('translateY(44px)'),
      expect.stringContaining('translateY(88px)'),
    ]);
  });

  it('says so when the search fails, and keeps the rows it showed', async () => {
    await open(() => Promise.reject(new Error('engine went away')));
    await t.type('header:x-trace');
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    await flushPromises();
    expect(t.view.find('[role="alert"]').text()).toContain(
      'Could not search the traffic log: engine went away',
    );
    expect(spinner().exists()).toBe(false);
    expect(t.ids()).toEqual([4, 3, 2, 1]);
  });

  it('exports what the list shows: the query that parsed last and the controls', async () => {
    await open(() => ({ matches: [{ id: 4, hits: [ORDER_HIT] }], total: 4 }));
    const createObjectURL = vi.fn(() => 'blob:har');
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    const exportHar = async () => {
      await t.view
        .findAll('button')
        .find((b) => b.text() === 'Export HAR')!
        .trigger('click');
      await flushPromises();
    };

    await t.type('body:"order-42"   -status:404');
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    await flushPromises();
    await t.view
      .find('[role="group"][aria-label="Method"]')
      .findAll('button')
      .find((b) => b.text() === 'POST')!
      .trigger('click');
    await t.view.find('select[aria-label="Route"]').setValue('api');
    expect(t.ids()).toEqual([4]);
    await exportHar();
    expect(t.client.callsOf('exportHar').at(-1)).toEqual([
      { query: 'body:"order-42" -status:404', methods: ['POST'], routes: ['api'] },
    ]);

    // A query that does not parse is not what the list shows: the last valid one is sent.
    await t.type('body:"order-42" -status:404 stauts:');
    await exportHar();
    expect(t.client.callsOf('exportHar').at(-1)).toEqual([
      { query: 'body:"order-42" -status:404', methods: ['POST'], routes: ['api'] },
    ]);
    expect(document.body.textContent).toContain('Exported 1 exchanges as HAR');
    click.mockRestore();
  });
});
