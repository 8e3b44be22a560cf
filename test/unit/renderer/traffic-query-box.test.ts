// @vitest-environment happy-dom
/**
 * The query box of the Traffic view: the filter language parsed as you type, an error
 * shown with the character it stumbled on while the list keeps the last query that
 * parsed, summary-only queries filtered locally (no engine round trip) together with the
 * method, status, route and member controls, and the help card whose examples fill the box.
 */
import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeSummary } from '../../support/fake-client.js';
import { openTraffic, type TrafficHarness } from './traffic-query-fixtures.js';

describe('Traffic query box', () => {
  let t: TrafficHarness;

  afterEach(() => t?.unmount());

  const alert = () => t.view.find('.query-box [role="alert"]');
  const input = () => t.view.find('input[aria-label="Filter text"]');

  it('filters by summary-only terms locally, every frame, without asking the engine', async () => {
    t = await openTraffic();
    await t.type('method:POST status:5xx');
    expect(t.ids()).toEqual([4]);
    await t.type('status:>=400 OR url:items');
    expect(t.ids()).toEqual([4, 3, 1]);
    await t.type('-route:site method:GET');
    expect(t.ids()).toEqual([1]);
    expect(t.view.text()).toContain('1 of 4 exchanges');

    // A live exchange is filtered as it arrives, in the same frame.
    await t.arrive(fakeSummary({ id: 5, method: 'GET', url: '/live', status: 200 }));
    expect(t.ids()).toEqual([5, 1]);
    expect(t.view.text()).toContain('2 of 5 exchanges');
    expect(t.client.callsOf('searchExchanges')).toEqual([]);
  });

  it('combines the query with the method, status, route and member controls by AND', async () => {
    t = await openTraffic();
    await t.type('url:/api');
    expect(t.ids()).toEqual([4, 2, 1]);
    const classes = t.view.find('[role="group"][aria-label="Status class"]');
    await classes
      .findAll('button')
      .find((b) => b.text() === '5xx')!
      .trigger('click');
    expect(t.ids()).toEqual([4]);
    await t.view
      .findAll('button')
      .find((b) => b.text() === 'Reset filters')!
      .trigger('click');
    expect(t.ids()).toEqual([4, 3, 2, 1]);
    expect((input().element as HTMLInputElement).value).toBe('');
  });

  it('shows why a query does not parse, marks the character, and keeps the last valid filter', async () => {
    t = await openTraffic();
    await t.type('status:5xx');
    expect(t.ids()).toEqual([4]);
    expect(alert().exists()).toBe(false);

    await t.type('status:5xx stauts:4xx');
    expect(alert().text()).toContain(
      "unknown field 'stauts' (did you mean status?); quote it to search for the text (at character 12)",
    );
    // The mark sits on the first character of the misspelt field.
    expect(alert().find('mark').text()).toBe('s');
    expect(alert().find('code').text()).toBe('status:5xx stauts:4xx');
    expect(input().attributes('aria-invalid')).toBe('true');
    expect(input().attributes('aria-describedby')).toBe(alert().attributes('id'));
    // The list still shows what status:5xx found.
    expect(t.ids()).toEqual([4]);

    await t.type('status:5xx status:4xx');
    expect(alert().exists()).toBe(false);
    expect(input().attributes('aria-invalid')).toBe('false');
    expect(t.ids()).toEqual([]);
    expect(t.view.text()).toContain('No exchanges match the filters.');
  });

  it('marks the place where something is missing at the end of the query', async () => {
    t = await openTraffic();
    await t.type('body:"order');
    expect(alert().text()).toContain('unclosed quote: add a closing " (at character 6)');
    expect(alert().find('mark').text()).toBe('"');

    await t.type('status:5xx OR');
    expect(alert().text()).toContain('OR needs a term after it');
    expect(alert().find('mark').text()).toBe('O');

    await t.type('time>');
    expect(alert().text()).toContain('time needs a value, such as time>500ms (at character 6)');
    // Past the end: a blank is marked where the value should be.
    expect(alert().find('mark').text()).toBe('');
    expect(alert().find('mark').element.textContent).toBe(' ');
    // Nothing ever parsed: the list shows everything.
    expect(t.ids()).toEqual([4, 3, 2, 1]);
  });

  it('lists the language in a help card; an example goes into the box', async () => {
    t = await openTraffic();
    await t.type('method:POST');
    await t.view.find('button[aria-label="Filter language help"]').trigger('click');
    await flushPromises();
    const card = document.querySelector('.query-help')!;
    const rows = [...card.querySelectorAll('tbody tr')].map((tr) =>
      [...tr.children].map((c) => c.textContent!.trim()),
    );
    expect(rows).toContainEqual(['status', 'status:5xx', expect.stringContaining('5xx')]);
    expect(rows).toContainEqual([
      'body',
      'body:"order-42"',
      expect.stringContaining('decoded (gzip, br, deflate, zstd)'),
    ]);

    const example = [...card.querySelectorAll<HTMLButtonElement>('button.example')].find(
      (b) => b.textContent!.trim() === 'status:5xx',
    )!;
    example.click();
    await flushPromises();
    expect((input().element as HTMLInputElement).value).toBe('method:POST status:5xx');
    expect(t.ids()).toEqual([4]);
  });
});
