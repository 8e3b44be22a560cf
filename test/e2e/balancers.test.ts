/**
 * The Balancers view in real Chromium against the headless `switchyard` command with
 * three real backends: a member's switch (named after its URL) takes it out of rotation
 * and the next requests go only to the others; the state menu and the load factor apply
 * live too. An h2c member's row shows its HTTP/2 session with the streams in flight.
 * Screenshots for the README are taken on the way.
 */
import http2, { type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { deadPort, startBackend, type Backend } from '../support/backend.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { send } from '../support/http.js';
import {
  ensureBuilt,
  screenshotBothSchemes,
  startHeadless,
  type HeadlessApp,
} from './headless-app.js';

const missing = chromiumMissing();

describe.skipIf(missing !== undefined)(
  `Balancers view in Chromium${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let backends: Backend[];
    let app: HeadlessApp;
    let browser: Browser;
    let page: Page;
    let port: number;
    let h2: http2.Http2Server;
    let h2Url: string;
    /** Streams the h2c backend holds open until the test releases them. */
    const held: ServerHttp2Stream[] = [];
    const h2Sessions = new Set<http2.ServerHttp2Session>();

    /** Requests a backend served for clients (health checks aside). */
    const shopRequests = (b: Backend): number =>
      b.seen.filter((r) => r.url.startsWith('/shop/')).length;

    /** Send n requests through the balancer; how many each backend received. */
    async function spread(n: number): Promise<number[]> {
      const before = backends.map(shopRequests);
      for (let i = 0; i < n; i++) expect((await send(port, `/shop/${i}`)).status).toBe(200);
      return backends.map((b, i) => shopRequests(b) - before[i]!);
    }

    beforeAll(async () => {
      [backends] = await Promise.all([
        Promise.all(['one', 'two', 'three'].map((name) => startBackend(name))),
        ensureBuilt(),
      ]);
      const dead = await deadPort();
      h2 = http2.createServer({ settings: { maxConcurrentStreams: 100 } });
      h2.on('session', (s) => h2Sessions.add(s.on('close', () => h2Sessions.delete(s))));
      h2.on('stream', (stream) => {
        stream.on('error', () => {});
        held.push(stream);
      });
      await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
      h2Url = `h2c://127.0.0.1:${(h2.address() as AddressInfo).port}`;
      app = await startHeadless({
        listeners: [{ name: 'web', port: 0 }],
        routes: [
          { name: 'grpc', match: { path: '/grpc' }, to: 'balancer://grpc/' },
          { name: 'shop', match: { path: '/' }, to: 'balancer://cluster/' },
        ],
        balancers: [
          {
            name: 'cluster',
            method: 'byrequests',
            stickySession: 'JSESSIONID',
            healthCheck: { path: '/health', interval: '1s' },
            members: [
              ...backends.map((b, i) => ({ url: b.url, route: String(i + 1) })),
              // Nothing listens there: the health check marks it, and as a hot standby
              // it never takes traffic while the others are usable.
              { url: `http://127.0.0.1:${dead}`, route: '4', state: 'standby' },
            ],
          },
          { name: 'grpc', members: [{ url: h2Url }] },
        ],
      });
      port = Number(new URL(app.listeners.get('web')!).port);
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1440, height: 860 } });
      await page.goto(app.viewUrl('balancers'));
      await page.getByRole('heading', { name: 'balancer://cluster' }).waitFor();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await app?.stop();
      await Promise.all((backends ?? []).map((b) => b.close()));
      for (const s of h2Sessions) s.destroy();
      await new Promise((resolve) => (h2 ? h2.close(resolve) : resolve(undefined)));
    });

    it("shows an h2c member's session: streams in flight while calls are open, then 0", async () => {
      const session = page
        .getByRole('row', { name: new RegExp(h2Url) })
        .getByTestId('member-session');
      await expect.poll(() => session.textContent()).toMatch(/HTTP\/2 · no session yet/);
      const calls = [1, 2, 3].map((i) => send(port, `/grpc/hold/${i}`));
      await expect.poll(() => held.length).toBe(3);
      // Statistics arrive once a second while the view is open.
      await expect
        .poll(() => session.textContent(), { timeout: 5_000 })
        .toContain('HTTP/2 · connected · 3 streams in flight (max 100)');
      for (const stream of held.splice(0)) {
        stream.respond({ ':status': 200 });
        stream.end('done');
      }
      expect((await Promise.all(calls)).map((r) => r.status)).toEqual([200, 200, 200]);
      await expect
        .poll(() => session.textContent(), { timeout: 5_000 })
        .toContain('HTTP/2 · connected · 0 streams in flight (max 100)');
    });

    it('shows every member with a switch named after its URL', async () => {
      for (const b of backends) {
        expect(
          await page.getByRole('switch', { name: b.url, exact: true }).getAttribute('aria-checked'),
        ).toBe('true');
      }
      expect(await spread(6)).toEqual([2, 2, 2]);
      // Statistics arrive once a second while the view is open.
      const row = page.getByRole('row', { name: new RegExp(backends[0]!.url) });
      const elected = row.getByRole('cell').nth(4);
      await expect.poll(() => elected.textContent(), { timeout: 5_000 }).toBe('2');
    });

    it('switching a member off sends the next requests only to the others', async () => {
      const toggle = page.getByRole('switch', { name: backends[1]!.url, exact: true });
      await toggle.click();
      await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('false');
      expect(await spread(6)).toEqual([3, 0, 3]);

      await toggle.click();
      await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('true');
      const back = await spread(6);
      expect(back[1]).toBeGreaterThan(0);
    });

    it('the state menu and the load factor apply live', async () => {
      const [one, two, three] = backends as [Backend, Backend, Backend];
      await page.getByRole('combobox', { name: `State of ${three.url}` }).selectOption('standby');
      await page.getByRole('combobox', { name: `State of ${two.url}` }).selectOption('disabled');
      await expect
        .poll(() =>
          page.getByRole('switch', { name: two.url, exact: true }).getAttribute('aria-checked'),
        )
        .toBe('false');
      // Standby takes traffic only when no enabled member is usable: all go to one.
      await expect.poll(() => spread(4)).toEqual([4, 0, 0]);

      await page.getByRole('combobox', { name: `State of ${two.url}` }).selectOption('enabled');
      const factor = page.getByRole('textbox', { name: `Load factor of ${one.url}` });
      await factor.fill('3');
      await factor.press('Enter');
      await expect.poll(() => factor.inputValue()).toBe('3');
      // byrequests with factors 3 : 1 → three of every four requests go to one.
      await expect.poll(() => spread(8)).toEqual([6, 2, 0]);
      await page.getByRole('combobox', { name: `State of ${three.url}` }).selectOption('disabled');
      await expect
        .poll(() => page.getByRole('row', { name: /:\d+\s*4\b/ }).textContent(), { timeout: 5_000 })
        .toMatch(/Unhealthy|In error/);
      await screenshotBothSchemes(page, 'balancers');
    });
  },
);
