// @vitest-environment happy-dom
/**
 * The Apps view's output panel with a fake ProxyClient: the first app's output opens by
 * itself, lines stream in, ANSI colours render as styles (never markup), stderr is
 * marked, the search filters and marks matches, streams filter, "Clear view" empties the
 * panel, and follow turns off when the user scrolls up.
 */
import { flushPromises, type VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import AppsView from '../../../src/renderer/src/features/apps/AppsView.vue';
import { createFakeClient, type FakeClient } from '../../support/fake-client.js';
import { fakeLayout, manualFrames, mountWithClient, settle } from '../../support/renderer-mount.js';
import { fakeApp, fakeLines } from './apps-fixtures.js';

const E = '\u001b';

describe('app output panel', () => {
  let client: FakeClient;
  let view: VueWrapper;
  let frames: ReturnType<typeof manualFrames>;
  let layout: ReturnType<typeof fakeLayout>;

  beforeEach(() => {
    client = createFakeClient({
      apps: [fakeApp({ name: 'api', state: 'up' }), fakeApp({ name: 'shop', state: 'up' })],
    });
    client.data.appLogs.set('api', [
      ...fakeLines(
        [
          `${E}[32m${E}[1mVITE${E}[22m ready${E}[39m in 312 ms`,
          'GET /health 200',
          '<b>not bold</b>',
        ],
        { from: 1 },
      ),
      ...fakeLines([`${E}[31mError:${E}[0m connection refused`], { from: 4, stream: 'err' }),
      ...fakeLines(['started pid 1234 on port 4001'], { from: 5, stream: 'system' }),
    ]);
    client.data.appLogs.set('shop', fakeLines(['shop says hi']));
    frames = manualFrames();
    layout = fakeLayout();
  });

  afterEach(() => {
    view?.unmount();
    frames.restore();
    layout.restore();
  });

  async function open(): Promise<void> {
    view = mountWithClient(AppsView, client);
    await settle();
    frames.frame();
    await flushPromises();
  }

  const panel = () => view.find('[data-testid="app-log"]');
  const lines = () => view.findAll('[data-testid="app-log-line"]');
  const texts = () => lines().map((l) => l.find('.text').text());

  async function search(text: string): Promise<void> {
    await view.find('input[data-testid="app-log-search"]').setValue(text);
    await flushPromises();
  }

  it("opens the first app's output with its lines", async () => {
    await open();
    expect(panel().find('h2').text()).toBe('Output of api');
    expect(client.callsOf('getAppLog')).toEqual([['api', { limit: 5000 }]]);
    expect(texts()).toEqual([
      'VITE ready in 312 ms',
      'GET /health 200',
      '<b>not bold</b>',
      'Error: connection refused',
      'started pid 1234 on port 4001',
    ]);
  });

  it('renders ANSI colours as styles and app text never as markup', async () => {
    await open();
    const spans = lines()[0]!.findAll('.text > span');
    expect(spans.map((s) => s.element.textContent)).toEqual(['VITE', ' ready', ' in 312 ms']);
    expect(spans[0]!.attributes('style')).toContain('color: var(--ansi-2');
    expect(spans[0]!.attributes('style')).toContain('font-weight: 700');
    expect(spans[1]!.attributes('style')).toContain('color: var(--ansi-2');
    expect(spans[2]!.attributes('style')).toBeUndefined();
    expect(lines()[2]!.find('b').exists()).toBe(false);
    // The palette travels with the panel.
    expect(panel().attributes('style')).toContain('--ansi-1: light-dark(');
  });

  it('marks stderr and Switchyard lines', async () => {
    await open();
    const err = lines()[3]!;
    expect(err.attributes('data-stream')).toBe('err');
    expect(err.classes()).toContain('err');
    expect(err.find('.mark').text()).toContain('err');
    expect(err.find('.text span').attributes('style')).toContain('color: var(--ansi-1');
    expect(lines()[4]!.attributes('data-stream')).toBe('system');
    expect(lines()[0]!.attributes('data-stream')).toBe('out');
  });

  it('streams new lines as they come', async () => {
    await open();
    client.emit('appLog', { name: 'api', lines: fakeLines(['GET /cart 200'], { from: 6 }) });
    client.emit('appLog', { name: 'shop', lines: fakeLines(['elsewhere'], { from: 2 }) });
    frames.frame();
    await flushPromises();
    expect(texts().at(-1)).toBe('GET /cart 200');
    expect(texts()).not.toContain('elsewhere');
    expect(panel().text()).toContain('6 lines');
  });

  it('filters lines by the search and marks the matches', async () => {
    await open();
    await search('REFUSED');
    expect(texts()).toEqual(['Error: connection refused']);
    expect(lines()[0]!.find('mark').text()).toBe('refused');
    expect(panel().text()).toContain('1 of 5 lines');
    // Escape codes are not searchable text.
    await search('32m');
    expect(lines()).toHaveLength(0);
    expect(panel().text()).toContain('No line contains “32m”.');
    await search('');
    expect(lines()).toHaveLength(5);
    expect(view.find('mark').exists()).toBe(false);
  });

  it('matches live lines too', async () => {
    await open();
    await search('cart');
    client.emit('appLog', { name: 'api', lines: fakeLines(['GET /cart 500'], { from: 6 }) });
    frames.frame();
    await flushPromises();
    expect(texts()).toEqual(['GET /cart 500']);
  });

  it('shows one stream at a time when asked', async () => {
    await open();
    await panel()
      .find('[aria-label="Streams"] button[aria-pressed="false"]:nth-child(2)')
      .trigger('click');
    expect(texts()).toEqual(['Error: connection refused']);
  });

  it('clears the view, and keeps showing what comes next', async () => {
    await open();
    const clear = panel()
      .findAll('button')
      .find((b) => b.text() === 'Clear view')!;
    await clear.trigger('click');
    expect(lines()).toHaveLength(0);
    expect(client.calls.filter((c) => c.method === 'clearExchanges')).toHaveLength(0);
    client.emit('appLog', { name: 'api', lines: fakeLines(['after'], { from: 6 }) });
    frames.frame();
    await flushPromises();
    expect(texts()).toEqual(['after']);
  });

  it("switches to another app's output, and closes", async () => {
    await open();
    await view.find('[data-testid="app-log-open-shop"]').trigger('click');
    await settle();
    expect(panel().find('h2').text()).toBe('Output of shop');
    expect(texts()).toEqual(['shop says hi']);
    expect(view.find('[data-testid="app-row-shop"]').classes()).toContain('open');
    await view.find('[data-testid="app-log-open-shop"]').trigger('click');
    expect(panel().exists()).toBe(false);
    expect(client.listenerCount('appLog')).toBe(0);
  });

  it('stops following when scrolled up, and follows again at the bottom', async () => {
    await open();
    const follow = () => view.find('[data-testid="app-log-follow"]');
    expect(follow().attributes('aria-checked')).toBe('true');
    const scroller = panel().find('[role="log"]');
    const el = scroller.element as HTMLElement;
    Object.defineProperty(el, 'scrollHeight', { configurable: true, value: 2000 });
    el.scrollTop = 100;
    await scroller.trigger('scroll');
    expect(follow().attributes('aria-checked')).toBe('false');
    el.scrollTop = 2000 - 600;
    await scroller.trigger('scroll');
    expect(follow().attributes('aria-checked')).toBe('true');
  });

  it('renders only the lines on screen of a long log, and follows the newest', async () => {
    client.data.appLogs.set(
      'api',
      fakeLines(
        Array.from({ length: 5000 }, (_, i) => `line ${i + 1}`),
        { from: 1 },
      ),
    );
    await open();
    expect(panel().text()).toContain('5000 lines');
    expect(lines().length).toBeGreaterThan(10);
    expect(lines().length).toBeLessThan(100);
    const el = panel().find('[role="log"]').element as HTMLElement;
    Object.defineProperty(el, 'scrollHeight', { configurable: true, value: 100_000 });
    client.emit('appLog', { name: 'api', lines: fakeLines(['newest'], { from: 5001 }) });
    frames.frame();
    await flushPromises();
    expect(el.scrollTop).toBe(100_000);
    // Still bounded: the oldest line left.
    expect(panel().text()).toContain('5000 lines');
  });
});
