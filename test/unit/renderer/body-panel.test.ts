// @vitest-environment happy-dom
/**
 * BodyPanel with a fake client: it shows the engine's decoded body and says what was undone
 * (or why not), falls back to the body as sent, and offers the views the body has: a JSON
 * tree that opens, shuts and copies paths, form fields, pretty HTML as text, hex.
 */
import { flushPromises, type VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BodyInfo } from '../../../src/shared/exchange.js';
import BodyPanel from '../../../src/renderer/src/features/traffic/BodyPanel.vue';
import { createFakeClient, type FakeClient } from '../../support/fake-client.js';
import { mountWithClient, settle } from '../../support/renderer-mount.js';

const b64 = (text: string): string => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

describe('BodyPanel', () => {
  let client: FakeClient;
  let view: VueWrapper;

  beforeEach(() => {
    client = createFakeClient();
  });

  afterEach(() => {
    view?.unmount();
    vi.restoreAllMocks();
  });

  async function open(body: string, contentType?: string, info: Partial<BodyInfo> = {}) {
    client.data.bodies.set('7:response', new TextEncoder().encode(body));
    view = mountWithClient(BodyPanel, client, {
      exchangeId: 7,
      side: 'response',
      info: { size: body.length, captured: body.length, truncated: false, contentType, ...info },
      revision: 1,
    });
    await settle();
    await flushPromises();
  }

  const panel = () => view.find('section[aria-label="Response body"]');
  const treeRows = () =>
    view.findAll('.json-tree li[data-path]').map((li) => li.attributes('data-path'));
  const button = (name: string) =>
    view.findAll('button').find((b) => b.attributes('aria-label') === name || b.text() === name);
  const pick = (label: string) => {
    const select = view.find('select[aria-label="Show response body as"]');
    const option = select.findAll('option').find((o) => o.text() === label)!;
    return select.setValue(option.element.value);
  };

  const order = '{"items":[{"price":1},{"price":2},{"price":9.5}],"content-type":"x"}';

  it('shows the decoded body and what was undone: encodings and sizes', async () => {
    client.respond('getDecodedBody', () => ({
      base64: b64(order),
      encodings: ['gzip'],
      size: 1234,
      decodedSize: 8602,
    }));
    await open('(gzip bytes)', 'application/json');
    expect(client.callsOf('getDecodedBody')).toEqual([[7, 'response']]);
    expect(client.callsOf('getExchangeBody')).toEqual([]);
    expect(view.find('[data-testid="body-decoding"]').text()).toBe('gzip, 1.2 KiB → 8.4 KiB');
    expect(panel().text()).toContain('application/json');
    expect(treeRows()).toContain('$.items[2].price');
  });

  it('says why a body is shown as sent', async () => {
    client.respond('getDecodedBody', () => ({
      base64: b64('raw bytes'),
      encodings: [],
      size: 9,
      decodedSize: 9,
      note: 'content-encoding compress is not decoded',
    }));
    await open('raw bytes', 'text/plain');
    expect(view.find('[data-testid="body-decoding"]').exists()).toBe(false);
    expect(view.find('[data-testid="body-note"]').text()).toBe(
      'Shown as sent: content-encoding compress is not decoded',
    );
    expect(panel().find('pre').text()).toBe('raw bytes');
  });

  it('falls back to the body as sent when the engine has no decoded body', async () => {
    client.respond('getDecodedBody', () => null);
    await open('plain words', 'text/plain');
    expect(client.callsOf('getExchangeBody')).toEqual([[7, 'response']]);
    expect(panel().find('pre').text()).toBe('plain words');

    client.respond('getExchangeBody', () => null);
    view.unmount();
    await open('gone', 'text/plain');
    expect(panel().text()).toContain('This exchange is no longer in the traffic log.');
  });

  it('opens a small JSON body fully; collapse all, expand one, expand all', async () => {
    await open(order, 'application/json');
    expect(treeRows()).toEqual([
      '$',
      '$.items',
      '$.items[0]',
      '$.items[0].price',
      '$.items[1]',
      '$.items[1].price',
      '$.items[2]',
      '$.items[2].price',
      '$["content-type"]',
    ]);
    const price = view.find('li[data-path="$.items[2].price"]');
    expect(price.find('.value').text()).toBe('9.5');

    await button('Collapse all')!.trigger('click');
    expect(treeRows()).toEqual(['$']);
    const root = button('Expand $')!;
    expect(root.attributes('aria-expanded')).toBe('false');
    await root.trigger('click');
    expect(treeRows()).toEqual(['$', '$.items', '$["content-type"]']);
    expect(button('Collapse $')!.attributes('aria-expanded')).toBe('true');
    await button('Expand $.items')!.trigger('click');
    expect(treeRows()).toEqual([
      '$',
      '$.items',
      '$.items[0]',
      '$.items[1]',
      '$.items[2]',
      '$["content-type"]',
    ]);

    await button('Expand all')!.trigger('click');
    expect(treeRows()).toHaveLength(9);
  });

  it('copies the JSONPath of a node', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    await open(order, 'application/json');
    await button('Copy path $.items[2].price')!.trigger('click');
    await flushPromises();
    expect(writeText).toHaveBeenCalledWith('$.items[2].price');
    await button('Copy path $["content-type"]')!.trigger('click');
    await flushPromises();
    expect(writeText).toHaveBeenLastCalledWith('$["content-type"]');
    expect(document.body.textContent).toContain('Copied $["content-type"]');
  });

  it('opens a big JSON body one level, a thousand children at a time', async () => {
    const big = JSON.stringify(Array.from({ length: 1500 }, (_, i) => ({ id: i })));
    await open(big, 'application/json');
    expect(treeRows()).toHaveLength(1 + 1000);
    expect(treeRows().at(-1)).toBe('$[999]');
    await button('Show 500 more (500 not shown)')!.trigger('click');
    expect(treeRows()).toHaveLength(1 + 1500);
    expect(view.findAll('button').some((b) => b.text().startsWith('Show '))).toBe(false);
  });

  it('switches views: pretty JSON, JSON as sent, and hex', async () => {
    await open('{"a":1}', 'application/json');
    const select = view.find('select[aria-label="Show response body as"]');
    expect(select.findAll('option').map((o) => o.text())).toEqual([
      'JSON tree',
      'Pretty JSON',
      'Text',
      'Hex',
    ]);
    await pick('Pretty JSON');
    expect(panel().find('pre').text()).toBe('{\n  "a": 1\n}');
    await pick('Text');
    expect(panel().find('pre').text()).toBe('{"a":1}');
    await pick('Hex');
    expect(panel().find('pre.hex').text()).toContain('7b 22 61 22 3a 31 7d');
  });

  it('lists form fields, multipart parts with files', async () => {
    const multipart =
      '--b\r\nContent-Disposition: form-data; name="title"\r\n\r\nHello\r\n' +
      '--b\r\nContent-Disposition: form-data; name="doc"; filename="a.txt"\r\n' +
      'Content-Type: text/plain\r\n\r\nfile text\r\n--b--\r\n';
    await open(multipart, 'multipart/form-data; boundary=b');
    const rows = view
      .findAll('table tbody tr')
      .map((tr) => tr.findAll('th, td').map((c) => c.text()));
    expect(rows).toEqual([
      ['title', '', '', '5 B', 'Hello'],
      ['doc', 'a.txt', 'text/plain', '9 B', 'file text'],
    ]);
  });

  it('pretty-prints HTML as text, never as markup', async () => {
    const page = '<html><body><b id="x">bold</b><script>alert(1)</script></body></html>';
    await open(page, 'text/html; charset=utf-8');
    expect(view.find('select[aria-label="Show response body as"]').element).toHaveProperty(
      'value',
      'markup',
    );
    expect(panel().find('pre').text()).toBe(
      '<html>\n  <body>\n    <b id="x">bold</b>\n    <script>alert(1)</script>\n  </body>\n</html>',
    );
    expect(document.getElementById('x')).toBeNull();
    expect(panel().find('script').exists()).toBe(false);
  });
});
