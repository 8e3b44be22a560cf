// @vitest-environment happy-dom
/**
 * "Send to every member": the confirmation the engine asks for, then one column per member
 * with its status, time and size, and its headers and body against the first member — a
 * JSON body structurally, with ignorable paths — while a member that failed shows its
 * error in its own column.
 */
import { flushPromises, type VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import FanOutPanel from '../../../src/renderer/src/features/traffic/FanOutPanel.vue';
import TrafficView from '../../../src/renderer/src/features/traffic/TrafficView.vue';
import {
  createFakeClient,
  fakeDetail,
  fakeSummary,
  type FakeClient,
} from '../../support/fake-client.js';
import { fakeLayout, manualFrames, mountWithClient, settle } from '../../support/renderer-mount.js';

const M1 = 'http://127.0.0.1:9001';
const M2 = 'http://127.0.0.1:9002';
const M3 = 'http://127.0.0.1:9003';
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('FanOutPanel', () => {
  let client: FakeClient;
  let view: VueWrapper;
  const origin = fakeSummary({ id: 7, method: 'POST', url: '/api/orders', requestBytes: 9 });

  /** A new exchange the engine recorded for one member, with its response body. */
  function answer(
    id: number,
    member: string,
    status: number,
    body: string,
    headers: [string, string][],
    done: number,
  ): void {
    const summary = fakeSummary({
      id,
      member,
      status,
      resentFrom: 7,
      responseBytes: body.length,
      timings: { upstreamConnected: 1, firstByte: 2, done },
    });
    client.data.details.set(id, fakeDetail(summary, { responseHeaders: headers }));
    client.data.bodies.set(`${id}:response`, utf8(body));
  }

  beforeEach(() => {
    client = createFakeClient();
    answer(
      101,
      M1,
      200,
      '{"total":3,"timestamp":1700000000,"items":[{"id":"a"}]}',
      [
        ['Content-Type', 'application/json'],
        ['Date', 'Mon, 01 Jan 2024 00:00:00 GMT'],
      ],
      12,
    );
    answer(
      102,
      M2,
      200,
      '{"items":[{"id":"b"}],"timestamp":1700000099,"total":4}',
      [
        ['Content-Type', 'application/json'],
        ['Date', 'Mon, 01 Jan 2024 00:00:01 GMT'],
        ['X-Schema', 'v2'],
      ],
      48,
    );
    client.respond('fanOutExchange', () => ({
      balancer: 'cluster',
      results: [
        { member: M1, id: 101, status: 200 },
        { member: M2, id: 102, status: 200 },
        { member: M3, error: 'connect ECONNREFUSED 127.0.0.1:9003' },
      ],
    }));
  });

  afterEach(() => view?.unmount());

  async function open(): Promise<void> {
    view = mountWithClient(FanOutPanel, client, { origin });
    await settle();
    await flushPromises();
  }

  const table = () => view.find('table[aria-label="Answers per member"]');
  /** The cells of one row (its header cell left out), by the row's name. */
  const row = (name: string) =>
    table()
      .findAll(':scope > tbody > tr')
      .find((r) => r.find('th').text() === name)!
      .findAll(':scope > td');
  const button = (label: string) => view.findAll('button').find((b) => b.text() === label);

  it('fills one column per member, diffed against the first, and the failed member its own', async () => {
    await open();
    expect(client.callsOf('fanOutExchange')).toEqual([[7, undefined]]);
    const heads = table().findAll(':scope > thead > tr > th').slice(1);
    expect(heads.map((h) => h.text())).toEqual([
      '127.0.0.1:9001 #101reference',
      '127.0.0.1:9002 #102',
      '127.0.0.1:9003',
    ]);
    expect(row('Status').map((c) => c.text())).toEqual([
      '200',
      '200',
      'connect ECONNREFUSED 127.0.0.1:9003',
    ]);
    expect(row('Time').map((c) => c.text())).toEqual(['12 ms', '48 ms', '—']);
    expect(row('Size').map((c) => c.text())).toEqual(['55 B', '55 B', '—']);

    // Date differs on every answer and is ignored by default; X-Schema is new.
    const headers = row('Headers');
    expect(headers[0]!.text()).toBe('reference');
    expect(headers[1]!.find('summary').text()).toBe('+1 −0 ~0');
    const listed = headers[1]!.findAll('tbody tr').map((r) => r.text());
    expect(listed).toEqual(['+X-Schemav2']);
    expect(headers[2]!.text()).toBe('—');

    // Key order is ignored: total, timestamp and items[0].id changed.
    const body = row('Body');
    expect(body[1]!.find('summary').text()).toBe('3 JSON paths differ');
    const paths = body[1]!.findAll('tbody th').map((th) => th.text());
    expect(paths).toEqual(['$.total', '$.timestamp', '$.items[0].id']);
    expect(body[2]!.text()).toBe('—');
    expect(view.text()).toContain(
      'Sent to 3 members of balancer cluster · compared with 127.0.0.1:9001: 0 the same, 1 different · 1 failed.',
    );
  });

  it('leaves ignored JSON paths out, and names a path it cannot read', async () => {
    await open();
    const input = view.find('input[aria-label="Ignore JSON paths"]');
    await input.setValue('$.timestamp, $..id');
    expect(row('Body')[1]!.find('summary').text()).toBe('1 JSON path differ');
    expect(
      row('Body')[1]!
        .findAll('tbody th')
        .map((th) => th.text()),
    ).toEqual(['$.total']);

    await input.setValue('$.total, $.items[');
    expect(view.find('[role="alert"]').text()).toMatch(/^\$\.items\[: /);
    expect(row('Body')[1]!.find('summary').text()).toBe('2 JSON paths differ');
  });

  it('counts volatile headers when asked to', async () => {
    await open();
    await view.find('input[type="checkbox"]').setValue(false);
    expect(row('Headers')[1]!.find('summary').text()).toBe('+1 −0 ~1');
  });

  it('asks for the confirmation the engine wants, then sends with confirmed: true', async () => {
    const answers = { balancer: 'cluster', results: [{ member: M1, id: 101, status: 200 }] };
    client.respond('fanOutExchange', (_id, options) => {
      if (!options?.confirmed) {
        throw new Error(
          'confirm sending it to every member: POST is not idempotent: sending it again may change data on the server',
        );
      }
      return answers;
    });
    await open();
    const dialog = view.find('[role="alertdialog"]');
    expect(dialog.text()).toContain(
      'The engine asks first: POST is not idempotent: sending it again may change data on the server.',
    );
    expect(table().exists()).toBe(false);

    await button('Send to every member')!.trigger('click');
    await settle();
    expect(client.callsOf('fanOutExchange')).toEqual([
      [7, undefined],
      [7, { confirmed: true }],
    ]);
    expect(view.find('[role="alertdialog"]').exists()).toBe(false);
    expect(row('Status').map((c) => c.text())).toEqual(['200']);

    // Sending again does not ask twice.
    await button('Send again')!.trigger('click');
    await settle();
    expect(client.callsOf('fanOutExchange').at(-1)).toEqual([7, { confirmed: true }]);
  });

  it('closes instead of sending when the confirmation is cancelled', async () => {
    client.respond('fanOutExchange', () => {
      throw new Error('confirm sending it to every member: the request has a body (9 bytes)');
    });
    await open();
    await button('Cancel')!.trigger('click');
    expect(client.callsOf('fanOutExchange')).toHaveLength(1);
    expect(view.findComponent(FanOutPanel).emitted('close')).toHaveLength(1);
  });

  it('shows any other refusal as an error', async () => {
    client.respond('fanOutExchange', () => {
      throw new Error("exchange 7 went through route 'site', which sends to no balancer");
    });
    await open();
    expect(view.find('[role="alert"]').text()).toBe(
      "exchange 7 went through route 'site', which sends to no balancer",
    );
    expect(document.body.textContent).toContain('Could not send #7 to every member');
    expect(view.find('[role="alertdialog"]').exists()).toBe(false);
  });

  it('diffs text bodies by lines', async () => {
    answer(101, M1, 200, 'one\ntwo\nthree', [['Content-Type', 'text/plain']], 5);
    answer(102, M2, 500, 'one\n2\nthree', [['Content-Type', 'text/plain']], 5);
    client.respond('fanOutExchange', () => ({
      balancer: 'cluster',
      results: [
        { member: M1, id: 101, status: 200 },
        { member: M2, id: 102, status: 500 },
      ],
    }));
    await open();
    expect(row('Status')[1]!.classes()).toContain('differs');
    expect(row('Body')[1]!.find('summary').text()).toBe('+1 −1 lines');
    const lines = row('Body')[1]!
      .findAll('.lines > div')
      .map((d) => d.text());
    expect(lines).toEqual(['one', '− two', '+ 2', 'three']);
  });
});

describe('Send to every member in the Traffic view', () => {
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

  it("opens the table from the details, opens a member's exchange, and closes back", async () => {
    const client = createFakeClient();
    client.data.exchanges = [
      fakeSummary({ id: 1, member: M1 }),
      fakeSummary({ id: 2, route: 'site', member: undefined }),
      fakeSummary({ id: 102, member: M2, resentFrom: 1 }),
    ];
    client.respond('fanOutExchange', () => ({
      balancer: 'cluster',
      results: [
        { member: M1, id: 101, status: 200 },
        { member: M2, id: 102, status: 200 },
      ],
    }));
    view = mountWithClient(TrafficView, client);
    await settle();
    frames.frame();
    await flushPromises();
    const rows = () => view.findAll('[role="listbox"] [role="option"]');
    const button = (label: string) => view.findAll('button').find((b) => b.text() === label);

    // An exchange no member served has nothing to fan out to.
    await rows()[1]!.trigger('click');
    await flushPromises();
    expect(button('Send to every member')).toBeUndefined();

    await rows()[2]!.trigger('click');
    await flushPromises();
    await button('Send to every member')!.trigger('click');
    await settle();
    expect(client.callsOf('fanOutExchange')).toEqual([[1, undefined]]);
    expect(view.find('#fan-out-title').text()).toBe('Every member: GET /api/items/1');
    expect(view.find('#exchange-detail-title').exists()).toBe(false);

    await view.find('button[aria-label="Close fan-out"]').trigger('click');
    expect(view.find('#exchange-detail-title').text()).toBe('GET /api/items/1');

    await button('Send to every member')!.trigger('click');
    await settle();
    await button('#102')!.trigger('click');
    await flushPromises();
    expect(view.find('#fan-out-title').exists()).toBe(false);
    expect(view.find('#exchange-detail-title').text()).toBe('GET /api/items/102');
    expect(view.find('.detail').text()).toContain('resent from #1');
  });
});
