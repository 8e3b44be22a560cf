// @vitest-environment happy-dom
/**
 * Picking two exchanges to compare from the list (Ctrl/Cmd-click, or Space on the selected
 * row): at most two, the oldest pick dropped for a third, highlighted in the list and named
 * in the toolbar; and the "↻ #123" marker on an exchange resent from another.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { useTrafficStore } from '../../../src/renderer/src/stores/traffic.js';
import { createFakeClient, fakeSummary } from '../../support/fake-client.js';
import { piniaWithClient } from '../../support/renderer-mount.js';
import { openTraffic, type TrafficHarness } from './traffic-query-fixtures.js';

describe('compareSelection in the traffic store', () => {
  it('holds at most two ids in the order picked, dropping the oldest for a third', () => {
    piniaWithClient(createFakeClient());
    const traffic = useTrafficStore();
    expect(traffic.compareSelection).toEqual([]);
    traffic.toggleCompare(5);
    traffic.toggleCompare(9);
    expect(traffic.compareSelection).toEqual([5, 9]);
    traffic.toggleCompare(2);
    expect(traffic.compareSelection).toEqual([9, 2]);
    traffic.toggleCompare(9);
    expect(traffic.compareSelection).toEqual([2]);
    traffic.clearCompare();
    expect(traffic.compareSelection).toEqual([]);
  });
});

describe('Compare selection in the Traffic list', () => {
  let t: TrafficHarness;

  afterEach(() => t?.unmount());

  const row = (id: number) => t.view.find(`#exchange-row-${id}`);
  const compared = () => t.rows().filter((r) => r.classes().includes('compared'));
  const comparedIds = () =>
    compared().map((r) => Number(r.attributes('id')!.replace('exchange-row-', '')));
  const note = () => t.view.find('.compare-note');

  it('toggles with Ctrl-click and Cmd-click, two at most, without opening the details', async () => {
    t = await openTraffic();
    const traffic = useTrafficStore();
    await row(1).trigger('click', { ctrlKey: true });
    expect(traffic.compareSelection).toEqual([1]);
    expect(comparedIds()).toEqual([1]);
    expect(row(1).find('.compare-place [aria-hidden="true"]').text()).toBe('1');
    expect(row(1).find('.compare-place .visually-hidden').text()).toBe('Compare 1 of 2:');
    expect(note().text()).toContain('#1 picked to compare');
    // Picking is not selecting: no detail pane opens.
    expect(traffic.selectedId).toBeNull();
    expect(row(1).attributes('aria-selected')).toBe('false');

    await row(3).trigger('click', { metaKey: true });
    expect(traffic.compareSelection).toEqual([1, 3]);
    expect(comparedIds()).toEqual([3, 1]);
    expect(row(3).find('.compare-place [aria-hidden="true"]').text()).toBe('2');
    expect(note().text()).toContain('Comparing #1 and #3');

    // A third pick drops the oldest.
    await row(4).trigger('click', { ctrlKey: true });
    expect(traffic.compareSelection).toEqual([3, 4]);
    expect(comparedIds()).toEqual([4, 3]);

    // Picking a picked one again takes it out.
    await row(3).trigger('click', { ctrlKey: true });
    expect(traffic.compareSelection).toEqual([4]);

    // A plain click still selects.
    await row(2).trigger('click');
    expect(traffic.selectedId).toBe(2);
    expect(traffic.compareSelection).toEqual([4]);

    await note()
      .findAll('button')
      .find((b) => b.text() === 'Unpick')!
      .trigger('click');
    expect(traffic.compareSelection).toEqual([]);
    expect(compared()).toHaveLength(0);
    expect(note().exists()).toBe(false);
  });

  it('toggles the selected row with Space, from the keyboard alone', async () => {
    t = await openTraffic();
    const traffic = useTrafficStore();
    const list = t.view.find('[role="listbox"]');
    // Space with nothing selected does nothing.
    await list.trigger('keydown', { key: ' ' });
    expect(traffic.compareSelection).toEqual([]);

    await list.trigger('keydown', { key: 'ArrowDown' });
    await list.trigger('keydown', { key: ' ' });
    await list.trigger('keydown', { key: 'ArrowDown' });
    await list.trigger('keydown', { key: 'ArrowDown' });
    await list.trigger('keydown', { key: ' ' });
    expect(traffic.compareSelection).toEqual([4, 2]);
    expect(comparedIds()).toEqual([4, 2]);
    await list.trigger('keydown', { key: ' ' });
    expect(traffic.compareSelection).toEqual([4]);
  });

  it('marks an exchange resent from another with ↻ and its origin', async () => {
    t = await openTraffic([
      fakeSummary({ id: 122, url: '/api/orders' }),
      fakeSummary({ id: 123, url: '/api/orders', resentFrom: 122 }),
    ]);
    const marker = row(123).find('.path .resent');
    expect(marker.text()).toBe('↻ #122');
    expect(marker.attributes('title')).toBe('Resent from #122');
    expect(row(123).find('.path').text()).toBe('↻ #122/api/orders');
    expect(row(122).find('.resent').exists()).toBe(false);
  });
});
