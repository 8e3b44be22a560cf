// @vitest-environment happy-dom
/**
 * Comparing two exchanges picked in the list: request line and status, headers added,
 * removed and changed, bodies (JSON structurally with ignorable paths, compressed JSON
 * decoded first, text by lines, binary by size and hash), timings; Close ends it.
 */
import { flushPromises, type VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import CompareView from '../../../src/renderer/src/features/traffic/CompareView.vue';
import TrafficView from '../../../src/renderer/src/features/traffic/TrafficView.vue';
import { parseIgnorePaths } from '../../../src/renderer/src/features/traffic/diff-view.js';
import { useTrafficStore } from '../../../src/renderer/src/stores/traffic.js';
import type { HeaderPairs } from '../../../src/shared/exchange.js';
import {
  createFakeClient,
  fakeDetail,
  fakeSummary,
  type FakeClient,
} from '../../support/fake-client.js';
import { fakeLayout, manualFrames, mountWithClient, settle } from '../../support/renderer-mount.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

describe('CompareView', () => {
  let client: FakeClient;
  let view: VueWrapper;

  function exchange(
    id: number,
    fields: Parameters<typeof fakeSummary>[0],
    responseHeaders: HeaderPairs,
    body: Uint8Array,
    contentType = 'application/json',
  ): void {
    const summary = fakeSummary({ id, responseBytes: body.length, ...fields });
    client.data.exchanges.push(summary);
    client.data.details.set(
      id,
      fakeDetail(summary, {
        responseHeaders,
        responseBody: { size: body.length, captured: body.length, truncated: false, contentType },
      }),
    );
    client.data.bodies.set(`${id}:response`, body);
  }

  beforeEach(() => {
    client = createFakeClient();
    exchange(
      1,
      { url: '/api/items?page=1', status: 200, timings: { firstByte: 4, done: 10 } },
      [
        ['Content-Type', 'application/json'],
        ['Cache-Control', 'max-age=60'],
        ['X-Old', 'yes'],
      ],
      utf8('{"items":[{"id":1,"name":"pen"}],"servedAt":"09:00","count":1}'),
    );
    exchange(
      2,
      { url: '/api/items?page=2', status: 503, timings: { firstByte: 30, done: 42 } },
      [
        ['Content-Type', 'application/json'],
        ['Cache-Control', 'no-store'],
        ['Retry-After', '5'],
      ],
      utf8('{"count":1,"servedAt":"09:05","items":[{"id":2,"name":"pen"}]}'),
    );
  });

  afterEach(() => view?.unmount());

  async function open(ids: [number, number]): Promise<void> {
    view = mountWithClient(CompareView, client, { ids });
    await settle();
    await flushPromises();
  }

  const table = (label: string) => view.find(`table[aria-label="${label}"]`);
  const bodyRows = (label: string) =>
    table(label)
      .findAll(':scope > tbody > tr')
      .map((r) => r.findAll('th, td').map((c) => c.text()));

  it('shows the request line and status side by side, marking what differs', async () => {
    await open([1, 2]);
    expect(view.find('h2').text()).toBe('Compare #1 (A) with #2 (B)');
    expect(bodyRows('Request line and outcome')).toEqual([
      ['Method', 'GET', 'GET'],
      ['URL (differs)', '/api/items?page=1', '/api/items?page=2'],
      ['Host', '127.0.0.1:8080', '127.0.0.1:8080'],
      ['Status (differs)', '200', '503'],
    ]);
    expect(bodyRows('Query parameters')).toEqual([['~', 'page', '1', '2']]);
  });

  it('lists response headers added, removed and changed', async () => {
    await open([1, 2]);
    const headers = table('Response headers');
    expect(headers.find('caption').text()).toContain('+1 −1 ~1 (1 added, 1 removed, 1 changed)');
    expect(bodyRows('Response headers')).toEqual([
      ['~', 'Cache-Control', 'max-age=60', 'no-store'],
      ['−', 'X-Old', 'yes', ''],
      ['+', 'Retry-After', '', '5'],
    ]);
    await headers.find('input[type="checkbox"]').setValue(true);
    expect(bodyRows('Response headers')[0]).toEqual([
      '',
      'Content-Type',
      'application/json',
      'application/json',
    ]);
    expect(table('Request headers').find('caption').text()).toContain('same');
  });

  it('compares JSON bodies by structure, ignoring key order and the paths it is told to', async () => {
    await open([1, 2]);
    const body = () => view.find('section[aria-label="Response body"]');
    expect(body().find('h4').text()).toBe('Response body: 2 JSON paths differ');
    expect(
      body()
        .findAll('tbody tr')
        .map((r) => r.findAll('th, td').map((c) => c.text())),
    ).toEqual([
      ['$.items[0].id', 'changed', '1', '2'],
      ['$.servedAt', 'changed', '"09:00"', '"09:05"'],
    ]);
    await view.find('input[aria-label="Ignore JSON paths"]').setValue('servedAt, $.items[*].id');
    expect(body().find('h4').text()).toBe('Response body: same JSON');
    expect(view.find('.verdict').text()).not.toContain('response body');
  });

  it('decodes gzip bodies before comparing them', async () => {
    client.data.details.get(2)!.responseHeaders.push(['Content-Encoding', 'gzip']);
    client.data.bodies.set(
      '2:response',
      await gzip(utf8('{"count":1,"servedAt":"09:00","items":[{"id":1,"name":"ink"}]}')),
    );
    await open([1, 2]);
    const body = view.find('section[aria-label="Response body"]');
    expect(body.find('h4').text()).toBe('Response body: 1 JSON path differ');
    expect(body.find('tbody th').text()).toBe('$.items[0].name');
  });

  it('compares binary bodies by size and SHA-256', async () => {
    exchange(3, {}, [], new Uint8Array([1, 2, 3]), 'image/png');
    exchange(4, {}, [], new Uint8Array([1, 2, 3, 4]), 'image/png');
    await open([3, 4]);
    const body = view.find('section[aria-label="Response body"]');
    expect(body.find('h4').text()).toBe('Response body: binary: 3 B vs 4 B, hashes differ');
    expect(body.findAll('dd').map((d) => d.text())).toEqual([
      '3 B · SHA-256 039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81',
      '4 B · SHA-256 9f64a747e1b97f131fabb6b447296c9b6f0201e79fb3c5356e6c77e89b6a806a',
    ]);
  });

  it('shows timings and sizes with B − A, and swaps sides on request', async () => {
    await open([1, 2]);
    expect(bodyRows('Timings and sizes').slice(0, 3)).toEqual([
      ['Connected', '—', '—', '—'],
      ['First byte', '4.0 ms', '30 ms', '+26 ms'],
      ['Done', '10 ms', '42 ms', '+32 ms'],
    ]);
    await view
      .findAll('button')
      .find((b) => b.text() === 'Swap A and B')!
      .trigger('click');
    expect(view.find('h2').text()).toBe('Compare #2 (A) with #1 (B)');
    expect(bodyRows('Timings and sizes')[2]).toEqual(['Done', '42 ms', '10 ms', '−32 ms']);
  });
});

describe('Compare in the Traffic view', () => {
  let frames: ReturnType<typeof manualFrames>;
  let layout: ReturnType<typeof fakeLayout>;
  let view: VueWrapper;

  beforeEach(() => {
    frames = manualFrames();
    layout = fakeLayout();
  });

  afterEach(() => {
    view?.unmount();
    frames.restore();
    layout.restore();
  });

  it('replaces the details while two exchanges are picked, until Close', async () => {
    const client = createFakeClient();
    client.data.exchanges = [
      fakeSummary({ id: 1, method: 'GET' }),
      fakeSummary({ id: 2, method: 'DELETE' }),
    ];
    view = mountWithClient(TrafficView, client);
    await settle();
    frames.frame();
    const traffic = useTrafficStore();
    traffic.select(1);
    await flushPromises();
    expect(view.find('#exchange-detail-title').exists()).toBe(true);

    traffic.compareSelection = [1, 2];
    await settle();
    expect(view.find('#exchange-detail-title').exists()).toBe(false);
    expect(view.find('#compare-title').text()).toBe('Compare #1 (A) with #2 (B)');
    expect(view.text()).toContain('Method (differs)');

    await view
      .findAll('button')
      .find((b) => b.text() === 'Close')!
      .trigger('click');
    expect(traffic.compareSelection).toEqual([]);
    expect(view.find('#compare-title').exists()).toBe(false);
    expect(view.find('#exchange-detail-title').exists()).toBe(true);
  });
});

describe('the ignore-paths field', () => {
  it('splits on commas and new lines, but not inside brackets or quotes', () => {
    expect(parseIgnorePaths('$.timestamp, $..id\n$["a,b"].c ,, updatedAt')).toEqual({
      paths: ['$.timestamp', '$..id', '$["a,b"].c', 'updatedAt'],
      problems: [],
    });
  });

  it('names each path it cannot read and keeps the others', () => {
    const { paths, problems } = parseIgnorePaths('$.ok, $.items[, $["open');
    expect(paths).toEqual(['$.ok']);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^\$\.items\[: /);
  });
});
