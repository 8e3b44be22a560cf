/**
 * The Traffic view mounted for the filter-bar tests: a fake client with a few exchanges,
 * frames turned by hand, a plausible layout so the virtualised list renders rows, and
 * helpers that read the list as a user sees it.
 */
import { flushPromises, type VueWrapper } from '@vue/test-utils';
import TrafficView from '../../../src/renderer/src/features/traffic/TrafficView.vue';
import type { ExchangeSummary } from '../../../src/shared/exchange.js';
import { createFakeClient, fakeSummary, type FakeClient } from '../../support/fake-client.js';
import { fakeLayout, manualFrames, mountWithClient, settle } from '../../support/renderer-mount.js';

export function queryExchanges(): ExchangeSummary[] {
  return [
    fakeSummary({ id: 1, method: 'GET', url: '/api/items/1', status: 200 }),
    fakeSummary({ id: 2, method: 'POST', url: '/api/orders', status: 201, requestBytes: 120 }),
    fakeSummary({ id: 3, method: 'GET', url: '/missing', status: 404, route: 'site' }),
    fakeSummary({ id: 4, method: 'POST', url: '/api/orders', status: 502, route: 'api' }),
  ];
}

export interface TrafficHarness {
  client: FakeClient;
  view: VueWrapper;
  frames: ReturnType<typeof manualFrames>;
  /** The rows the list renders, top to bottom. */
  rows(): ReturnType<VueWrapper['findAll']>;
  /** The ids of the rendered rows, top to bottom. */
  ids(): number[];
  /** Type into the query box (the input event, as a keystroke would send it). */
  type(text: string): Promise<void>;
  /** Deliver exchanges from the engine and apply them (one frame). */
  arrive(...summaries: ExchangeSummary[]): Promise<void>;
  unmount(): void;
}

export async function openTraffic(
  exchanges: ExchangeSummary[] = queryExchanges(),
  setup: (client: FakeClient) => void = () => undefined,
): Promise<TrafficHarness> {
  const client = createFakeClient();
  client.data.exchanges = exchanges;
  setup(client);
  const frames = manualFrames();
  const layout = fakeLayout();
  const view = mountWithClient(TrafficView, client);
  await settle();
  frames.frame();
  await flushPromises();

  const rows = () => view.findAll('[role="listbox"] [role="option"]');
  return {
    client,
    view,
    frames,
    rows,
    ids: () => rows().map((r) => Number(r.attributes('id')!.replace('exchange-row-', ''))),
    async type(text) {
      await view.find('input[aria-label="Filter text"]').setValue(text);
    },
    async arrive(...summaries) {
      client.emit('exchanges', summaries);
      frames.frame();
      await flushPromises();
    },
    unmount() {
      view.unmount();
      frames.restore();
      layout.restore();
    },
  };
}
