/**
 * Find, compare and resend (issue 15) in real Chromium against the headless `switchyard`
 * command, with two real backends of one sticky balancer that differ on purpose (member b
 * is on schema version 2 and says so in a header): a body search finds the one gzip-encoded
 * answer that mentions an order and says where it matched, two exchanges picked in the
 * list show their JSON and header differences, "Send to every member" puts the members'
 * answers side by side, "Edit and resend" sends a changed header that reaches the backend,
 * and "Pin me" gives a link that makes Chromium's own requests stick to member b.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startBackend, type Backend } from '../support/backend.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { send } from '../support/http.js';
import { ensureBuilt, startHeadless, type HeadlessApp } from './headless-app.js';

const missing = chromiumMissing();

const ITEMS = [
  { id: 'sku-1', name: 'kettle' },
  { id: 'sku-2', name: 'teapot' },
];

/** Member a: schema version 1; the order it knows is sent gzip-encoded. */
function memberA(req: IncomingMessage, res: ServerResponse): void {
  if (req.url?.startsWith('/shop/orders/4242')) {
    const body = { version: 1, items: [{ id: 'order-4242', quantity: 2 }], served: 'a' };
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    res.end(gzipSync(JSON.stringify(body)));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ version: 1, items: ITEMS, served: 'a' }));
}

/** Member b: schema version 2, with a header member a does not send. */
function memberB(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json', 'x-schema': 'v2' });
  res.end(JSON.stringify({ version: 2, items: ITEMS, served: 'b' }));
}

describe.skipIf(missing !== undefined)(
  `Find, compare and resend in Chromium${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let a: Backend;
    let b: Backend;
    let app: HeadlessApp;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let port: number;
    /** What member a's and b's URLs look like in the UI (scheme left out). */
    let aShort: string;
    let bShort: string;

    const rows = () => page.getByRole('listbox', { name: 'Exchanges' }).getByRole('option');
    const queryBox = () => page.getByRole('searchbox', { name: 'Filter text' });
    /** A request to the shop through the proxy, in session `session` (ROUTEID cookie). */
    const shop = (path: string, session: string, headers: Record<string, string> = {}) =>
      send(port, path, {
        headers: { host: `shop.localhost:${port}`, cookie: `ROUTEID=${session}`, ...headers },
      });

    beforeAll(async () => {
      [a, b] = await Promise.all([startBackend('a'), startBackend('b'), ensureBuilt()]);
      a.handle(memberA);
      b.handle(memberB);
      aShort = a.url.replace('http://', '');
      bShort = b.url.replace('http://', '');
      app = await startHeadless({
        listeners: [{ name: 'web', port: 0 }],
        routes: [
          {
            name: 'shop',
            match: { host: 'shop.localhost', path: '/shop' },
            to: 'balancer://cluster/shop',
          },
        ],
        balancers: [
          {
            name: 'cluster',
            stickySession: 'ROUTEID',
            members: [
              { url: a.url, route: 'a' },
              { url: b.url, route: 'b' },
            ],
          },
        ],
      });
      port = Number(new URL(app.listeners.get('web')!).port);
      browser = await launchChromium();
      context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      page = await context.newPage();
      await page.goto(app.viewUrl('traffic'));
      await page.getByRole('listbox', { name: 'Exchanges' }).waitFor();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await app?.stop();
      await Promise.all([a?.close(), b?.close()]);
    });

    it('lists the shop traffic: sessions on a and b, one answer gzip-encoded', async () => {
      const replies = [
        await shop('/shop/items', 'alice.a'),
        await shop('/shop/items', 'bob.b'),
        await shop('/shop/orders/4242', 'alice.a'),
        await shop('/shop/cart', 'carol.a', { 'x-trace': 'original' }),
      ];
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect(replies[2]!.headers['content-encoding']).toBe('gzip');
      await expect.poll(() => rows().count()).toBe(4);
      expect(await rows().filter({ hasText: aShort }).count()).toBe(3);
      expect(await rows().filter({ hasText: bShort }).count()).toBe(1);
    });

    it('finds the exchange whose gzip-encoded body mentions the order, and says where', async () => {
      await queryBox().fill('body:"order-4242"');
      await expect.poll(() => rows().count(), { timeout: 5_000 }).toBe(1);
      const row = rows().first();
      expect(await row.textContent()).toContain('/shop/orders/4242');
      // The second line of the row: the field and the snippet, the term marked.
      await expect
        .poll(() => row.locator('.hint').textContent(), { timeout: 5_000 })
        .toMatch(/response body: .*order-4242/);
      expect(await row.locator('mark').allTextContents()).toEqual(['order-4242']);

      // A query that does not parse says why; the list keeps the last one that did.
      await queryBox().fill('status:abc');
      const error = page.getByRole('search', { name: 'Filter exchanges' }).getByRole('alert');
      await expect.poll(() => error.textContent()).toMatch(/status takes .*not 'abc'/);
      expect(await queryBox().getAttribute('aria-invalid')).toBe('true');
      expect(await rows().count()).toBe(1);

      await queryBox().fill('');
      await expect.poll(() => rows().count()).toBe(4);
      expect(await error.count()).toBe(0);
      expect(await queryBox().getAttribute('aria-invalid')).toBe('false');
    });

    it('compares an answer of member a with one of member b', async () => {
      const items = rows().filter({ hasText: '/shop/items' });
      await items.filter({ hasText: aShort }).click({ modifiers: ['ControlOrMeta'] });
      await expect
        .poll(() => page.getByRole('status').filter({ hasText: 'picked to compare' }).count())
        .toBe(1);
      await items.filter({ hasText: bShort }).click({ modifiers: ['ControlOrMeta'] });

      const compare = page.getByRole('region', { name: /^Compare #\d+ \(A\) with #\d+ \(B\)$/ });
      await compare.waitFor();
      await expect.poll(() => compare.locator('p.verdict').textContent()).toMatch(/^Differs: /);
      const fields = compare.getByRole('table', { name: 'Request line and outcome' });
      expect(
        await fields.getByRole('row', { name: /^Member \(differs\)/ }).textContent(),
      ).toContain(b.url);

      const body = compare.getByRole('region', { name: 'Response body' });
      expect(await body.getByRole('heading').textContent()).toContain('2 JSON paths differ');
      const version = body.getByRole('row', { name: '$.version' });
      expect(await version.getByRole('cell').allTextContents()).toEqual(['changed', '1', '2']);
      const served = body.getByRole('row', { name: '$.served' });
      expect(await served.getByRole('cell').allTextContents()).toEqual(['changed', '"a"', '"b"']);

      const headers = compare.getByRole('table', { name: 'Response headers' });
      const added = headers.getByRole('row', { name: 'x-schema' });
      expect(await added.getByRole('cell').allTextContents()).toEqual(['+', '', 'v2']);
      expect(await headers.locator('caption').textContent()).toMatch(/1 added/);

      await compare.getByRole('button', { name: 'Close' }).click();
      await expect.poll(() => compare.count()).toBe(0);
    });

    it('sends one request to every member and shows where they disagree', async () => {
      const before = [a.seen.length, b.seen.length];
      await rows().filter({ hasText: '/shop/items' }).filter({ hasText: aShort }).click();
      const detail = page.getByRole('region', { name: 'GET /shop/items' });
      await detail.getByRole('button', { name: 'Send to every member' }).click();

      const fanOut = page.getByRole('region', { name: /^Every member: GET \/shop\/items/ });
      await fanOut.waitFor();
      const table = fanOut.getByRole('table', { name: 'Answers per member' });
      await table.waitFor({ timeout: 10_000 });
      const heads = await table.locator(':scope > thead > tr > th').allTextContents();
      expect(heads).toHaveLength(3);
      expect(heads[1]).toContain(aShort);
      expect(heads[1]).toContain('reference');
      expect(heads[2]).toContain(bShort);
      const status = table.getByRole('row', { name: /^Status/ }).getByRole('cell');
      expect(await status.allTextContents()).toEqual(['200', '200']);
      // Each member was asked once, stickiness (alice is on a) notwithstanding.
      expect([a.seen.length - before[0]!, b.seen.length - before[1]!]).toEqual([1, 1]);

      await expect
        .poll(() => fanOut.locator('p.hint').first().textContent(), { timeout: 10_000 })
        .toMatch(/Sent to 2 members of balancer cluster.*0 the same,\s*1 different/s);
      const bodyCells = table.getByRole('row', { name: /^Body/ }).getByRole('cell');
      await expect.poll(() => bodyCells.nth(1).textContent()).toContain('2 JSON paths differ');
      expect(await bodyCells.nth(0).textContent()).toContain('reference');
      const headerCell = table
        .getByRole('row', { name: /^Headers/ })
        .getByRole('cell')
        .nth(1);
      expect(await headerCell.locator('summary').textContent()).toBe('+1 −0 ~0');

      await bodyCells.nth(1).locator('summary').click();
      const bodyDiff = bodyCells.nth(1).getByRole('region', { name: 'Response body' });
      expect(
        await bodyDiff.getByRole('row', { name: '$.version' }).getByRole('cell').allTextContents(),
      ).toEqual(['changed', '1', '2']);
      expect(
        await bodyDiff.getByRole('row', { name: '$.served' }).getByRole('cell').allTextContents(),
      ).toEqual(['changed', '"a"', '"b"']);
      await headerCell.locator('summary').click();
      expect(
        await headerCell.getByRole('row', { name: 'x-schema' }).getByRole('cell').allTextContents(),
      ).toEqual(['+', '', 'v2']);

      await fanOut.getByRole('button', { name: 'Close fan-out' }).click();
      await expect.poll(() => fanOut.count()).toBe(0);
    });

    it('resends a request with a header changed, linked to its origin', async () => {
      await rows().filter({ hasText: '/shop/cart' }).click();
      const detail = page.getByRole('region', { name: 'GET /shop/cart' });
      await detail.waitFor();
      const origin = /#(\d+) ·/.exec((await detail.locator('.sub').textContent()) ?? '')?.[1];
      expect(origin).toBeDefined();

      await detail.getByRole('button', { name: 'Edit and resend' }).click();
      const editor = detail.getByRole('form', { name: 'Edit and resend' });
      await editor.waitFor();
      const names = editor.getByRole('textbox', { name: /^Header \d+ name$/ });
      const recorded = await names.evaluateAll((inputs) =>
        inputs.map((i) => (i as unknown as { value: string }).value.toLowerCase()),
      );
      const at = recorded.indexOf('x-trace');
      expect(at).toBeGreaterThanOrEqual(0);
      const value = editor.getByRole('textbox', { name: `Header ${at + 1} value`, exact: true });
      expect(await value.inputValue()).toBe('original');
      await value.fill('edited-in-chromium');
      const sent = a.seen.length;
      await editor.getByRole('button', { name: 'Send', exact: true }).click();

      // The new exchange is selected, and says where it came from.
      await expect
        .poll(() => detail.locator('.sub').textContent(), { timeout: 10_000 })
        .toContain(`resent from #${origin}`);
      expect(await detail.locator('.sub').textContent()).not.toContain(`#${origin} ·`);
      const resent = rows().filter({ hasText: `↻ #${origin}` });
      await expect.poll(() => resent.count()).toBe(1);
      expect(await resent.getAttribute('aria-selected')).toBe('true');
      // Carol's session is on a: the edited request reached it.
      expect(a.seen.length).toBe(sent + 1);
      const arrived = a.seen.at(-1)!;
      expect(arrived.url).toBe('/shop/cart');
      expect(arrived.headers['x-trace']).toBe('edited-in-chromium');
      expect(arrived.headers.cookie).toBe('ROUTEID=carol.a');
    });

    it('lists the sticky sessions and pins a browser to member b', async () => {
      await page.goto(app.viewUrl('balancers'));
      await page.getByRole('heading', { name: 'balancer://cluster' }).waitFor();
      const section = page.getByTestId('sticky-sessions-cluster');
      const fold = section.getByRole('button', { name: /Sessions/ });
      await fold.click();
      await expect.poll(() => fold.getAttribute('aria-expanded')).toBe('true');
      const sessions = section.getByTestId('sticky-session-row');
      await expect.poll(() => sessions.count(), { timeout: 5_000 }).toBe(3);
      const session = (id: string) => sessions.filter({ hasText: id });
      expect(await session('alice.a').textContent()).toMatch(new RegExp(`a → ${aShort}`));
      expect(await session('bob.b').textContent()).toMatch(new RegExp(`b → ${bShort}.*cookie`));
      expect(await session('carol.a').textContent()).toMatch(new RegExp(`a → ${aShort}`));

      await page.getByTestId('pin-member-b').click();
      const link = page.getByTestId('pin-link').getByRole('link', { name: 'Open' });
      await link.waitFor();
      const href = (await link.getAttribute('href'))!;
      expect(href).toBe(`http://shop.localhost:${port}/shop/__switchyard/pin?route=b&back=%2Fshop`);

      // The developer's own browser: without the cookie, the balancer takes turns.
      const user = await browser.newContext();
      try {
        const tab = await user.newPage();
        const shopUrl = `http://shop.localhost:${port}/shop`;
        const servedBy = async (): Promise<string | undefined> =>
          /"served":\s*"(\w)"/.exec((await tab.textContent('body')) ?? '')?.[1];
        const unpinned = new Set<string | undefined>();
        for (let i = 0; i < 4; i++) {
          await tab.goto(shopUrl);
          unpinned.add(await servedBy());
        }
        expect([...unpinned].sort()).toEqual(['a', 'b']);

        // The pin link sets the cookie and comes back to the shop, served by b from then on.
        const landed = await tab.goto(href);
        expect(landed?.status()).toBe(200);
        expect(tab.url()).toBe(shopUrl);
        expect(await servedBy()).toBe('b');
        const cookies = await user.cookies(shopUrl);
        expect(cookies.find((c) => c.name === 'ROUTEID')?.value).toBe('pinned.b');
        for (let i = 0; i < 6; i++) {
          await tab.goto(shopUrl);
          expect(await servedBy()).toBe('b');
        }
      } finally {
        await user.close();
      }

      // The pinned session shows up in the inspector, tagged as set by a pin link.
      const pinned = session('pinned.b');
      await expect.poll(() => pinned.count(), { timeout: 6_000 }).toBe(1);
      expect(await pinned.textContent()).toMatch(new RegExp(`pinned.*b → ${bShort}`));
      // The redirect's landing and six navigations, once the list is read again.
      await expect
        .poll(() => pinned.getByRole('cell').last().textContent(), { timeout: 6_000 })
        .toBe('7');
    });
  },
);
