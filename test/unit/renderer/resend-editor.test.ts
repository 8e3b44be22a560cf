// @vitest-environment happy-dom
/**
 * Edit and resend: the editor sends only what the user changed (method, URL, headers,
 * body, the member to send it to), asks before a method that is not idempotent, keeps a
 * binary body as is, and names what is wrong before anything is sent; the Traffic view
 * then selects the new exchange, whose details link back to the origin.
 */
import { flushPromises, type VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import ResendEditor from '../../../src/renderer/src/features/traffic/ResendEditor.vue';
import TrafficView from '../../../src/renderer/src/features/traffic/TrafficView.vue';
import type { ExchangeDetail } from '../../../src/shared/exchange.js';
import {
  createFakeClient,
  fakeBalancer,
  fakeDetail,
  fakeSummary,
  type FakeClient,
} from '../../support/fake-client.js';
import { fakeLayout, manualFrames, mountWithClient, settle } from '../../support/renderer-mount.js';

const M1 = 'http://127.0.0.1:9001';
const M2 = 'http://127.0.0.1:9002';
const M3 = 'http://127.0.0.1:9003';
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('ResendEditor', () => {
  let client: FakeClient;
  let view: VueWrapper;

  beforeEach(() => {
    client = createFakeClient({
      balancers: [
        fakeBalancer('cluster', [{ url: M1 }, { url: `${M2}/` }, { url: M3, state: 'disabled' }]),
      ],
    });
  });

  afterEach(() => view?.unmount());

  /** An exchange with a JSON request body, recorded through member M2. */
  function recorded(method: string, body = '{"qty":2}', contentType = 'application/json') {
    const bytes = utf8(body);
    const summary = fakeSummary({
      id: 5,
      method,
      url: '/api/orders/9',
      member: M2,
      requestBytes: bytes.length,
    });
    const detail = fakeDetail(summary, {
      requestHeaders: [
        ['Host', '127.0.0.1:8080'],
        ['User-Agent', 'curl/8'],
        ['X-Trace', 'abc'],
        ['Content-Type', contentType],
      ],
      requestBody: { size: bytes.length, captured: bytes.length, truncated: false, contentType },
    });
    client.data.bodies.set('5:request', bytes);
    return detail;
  }

  async function open(detail: ExchangeDetail): Promise<void> {
    view = mountWithClient(ResendEditor, client, { detail });
    await settle();
  }

  const input = (label: string) => view.find(`[aria-label="${label}"]`);
  const button = (label: string) => view.findAll('button').find((b) => b.text() === label)!;
  async function send(): Promise<void> {
    await button('Send').trigger('click');
    await settle();
  }

  it('sends an untouched request as recorded, at once', async () => {
    await open(recorded('GET', ''));
    await send();
    expect(client.callsOf('resendExchange')).toEqual([[5, {}]]);
    expect(view.findComponent(ResendEditor).emitted('sent')).toEqual([[{ id: 1005, status: 200 }]]);
  });

  it('sends only what was edited: URL, headers, body and the member', async () => {
    await open(recorded('PUT'));
    await input('URL').setValue('/api/orders/9?dry=1');
    await input('Header 2 value').setValue('resend/1');
    await view.find('button[aria-label="Remove header X-Trace"]').trigger('click');
    await button('Add a header').trigger('click');
    await input('Header 4 name').setValue('X-Debug');
    await input('Header 4 value').setValue('1');
    expect((input('Body').element as HTMLTextAreaElement).value).toBe('{"qty":2}');
    await input('Body').setValue('{"qty":3}');
    await view.find('select[aria-label="Send to"]').setValue(M1);
    await send();

    expect(client.callsOf('resendExchange')).toEqual([
      [
        5,
        {
          url: '/api/orders/9?dry=1',
          headers: [
            ['Host', '127.0.0.1:8080'],
            ['User-Agent', 'resend/1'],
            ['Content-Type', 'application/json'],
            ['X-Debug', '1'],
          ],
          body: btoa('{"qty":3}'),
          member: M1,
        },
      ],
    ]);
  });

  it("offers the route or any member of the balancer that served it, the engine's way", async () => {
    await open(recorded('GET', ''));
    const options = view.findAll('select[aria-label="Send to"] option');
    expect(options.map((o) => [o.attributes('value'), o.text()])).toEqual([
      ['', 'Its route (api)'],
      [M1, `Member ${M1}`],
      [M2, `Member ${M2}`],
      [M3, `Member ${M3} (disabled)`],
    ]);
  });

  it('offers only the route when no balancer has the member', async () => {
    client.data.balancers = [fakeBalancer('other', [{ url: 'http://10.0.0.1:80' }])];
    await open(recorded('GET', ''));
    expect(view.findAll('select[aria-label="Send to"] option').map((o) => o.text())).toEqual([
      'Its route (api)',
    ]);
  });

  it('asks before sending a POST, and sends nothing when told not to', async () => {
    await open(recorded('POST'));
    await send();
    expect(client.callsOf('resendExchange')).toEqual([]);
    const dialog = view.find('[role="alertdialog"]');
    expect(dialog.text()).toContain(
      'POST is not idempotent: sending it again may change data on the server. Send it anyway?',
    );
    await button("Don't send").trigger('click');
    expect(view.find('[role="alertdialog"]').exists()).toBe(false);
    expect(client.callsOf('resendExchange')).toEqual([]);

    await send();
    await button('Send it').trigger('click');
    await settle();
    expect(client.callsOf('resendExchange')).toEqual([[5, {}]]);
  });

  it('asks when the method was changed to one that is not idempotent', async () => {
    await open(recorded('GET', ''));
    await input('Method').setValue('patch');
    await send();
    expect(view.find('[role="alertdialog"]').text()).toContain('PATCH is not idempotent');
    await button('Send it').trigger('click');
    await settle();
    expect(client.callsOf('resendExchange')).toEqual([[5, { method: 'PATCH' }]]);
  });

  it('keeps a binary body as it was recorded', async () => {
    const detail = recorded('PUT', '', 'application/octet-stream');
    client.data.bodies.set('5:request', new Uint8Array([0, 1, 2, 255]));
    detail.requestBody.size = 4;
    await open(detail);
    expect(input('Body').exists()).toBe(false);
    expect(view.text()).toContain('4 B of binary data, sent as recorded');
    await input('URL').setValue('/api/blob');
    await send();
    expect(client.callsOf('resendExchange')).toEqual([[5, { url: '/api/blob' }]]);
  });

  it('names what is wrong and sends nothing until it is fixed', async () => {
    await open(recorded('GET', ''));
    await input('Header 1 name').setValue('Bad Name');
    await input('URL').setValue('api/items');
    expect(view.text()).toContain("Header 1: 'Bad Name' is not a valid header name.");
    expect(view.text()).toContain('URL: must be a path such as /api/items?x=1, without spaces.');
    expect(button('Send').attributes('disabled')).toBeDefined();
    await view.find('form').trigger('submit');
    await settle();
    expect(client.callsOf('resendExchange')).toEqual([]);
  });

  it("shows the engine's refusal as a message", async () => {
    client.respond('resendExchange', () => {
      throw new Error("listener 'web' is not running any more");
    });
    await open(recorded('GET', ''));
    await send();
    expect(document.body.textContent).toContain(
      "Could not resend #5: listener 'web' is not running any more",
    );
  });
});

describe('Edit and resend in the Traffic view', () => {
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

  it('selects the new exchange when it arrives, and links back to its origin', async () => {
    const client = createFakeClient();
    client.data.exchanges = [fakeSummary({ id: 1, url: '/api/items/1' })];
    view = mountWithClient(TrafficView, client);
    await settle();
    frames.frame();
    await flushPromises();
    await view.find('[role="listbox"] [role="option"]').trigger('click');
    await flushPromises();

    const button = (label: string) => view.findAll('button').find((b) => b.text() === label)!;
    await button('Edit and resend').trigger('click');
    await settle();
    await view.find('[aria-label="URL"]').setValue('/api/items/1?fresh=1');
    await button('Send').trigger('click');
    await settle();
    expect(client.callsOf('resendExchange')).toEqual([[1, { url: '/api/items/1?fresh=1' }]]);
    expect(document.body.textContent).toContain('Resent as #1001: the proxy answered 200');

    // The new exchange arrives with the next batch; the view selects it then.
    client.emit('exchanges', [
      fakeSummary({ id: 1001, url: '/api/items/1?fresh=1', resentFrom: 1 }),
    ]);
    frames.frame();
    await flushPromises();
    const detail = () => view.find('section[aria-labelledby="exchange-detail-title"]');
    expect(detail().find('h2').text()).toBe('GET /api/items/1?fresh=1');
    const back = detail()
      .findAll('button')
      .find((b) => b.text() === 'resent from #1')!;
    await back.trigger('click');
    await flushPromises();
    expect(detail().find('h2').text()).toBe('GET /api/items/1');
  });
});
