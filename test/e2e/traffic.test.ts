/**
 * The Traffic view in real Chromium against the headless `switchyard` command, with real
 * backends: requests appear live, filters narrow the list, an exchange opens with its
 * headers, body and the balancer's reason, and HAR export downloads exactly the filtered
 * rows as valid HAR 1.2. Screenshots for the README are taken on the way.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startBackend, type Backend } from '../support/backend.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { harSchema } from '../support/har-schema.js';
import { send } from '../support/http.js';
import {
  ensureBuilt,
  screenshotBothSchemes,
  startHeadless,
  type HeadlessApp,
} from './headless-app.js';

const missing = chromiumMissing();

describe.skipIf(missing !== undefined)(
  `Traffic view in Chromium${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let a: Backend;
    let b: Backend;
    let app: HeadlessApp;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let port: number;
    /** Rows of the exchange list (native <select>s have options too). */
    const rows = () => page.getByRole('listbox', { name: 'Exchanges' }).getByRole('option');

    beforeAll(async () => {
      [a, b] = await Promise.all([startBackend('alpha'), startBackend('beta'), ensureBuilt()]);
      b.handle((req, res, body) => {
        if (req.url?.includes('missing')) {
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end('no such item');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'x-backend': 'beta' });
        res.end(JSON.stringify({ backend: 'beta', url: req.url, received: body.length }));
      });
      app = await startHeadless({
        listeners: [{ name: 'web', port: 0 }],
        routes: [
          { name: 'api', match: { path: '/api' }, to: 'balancer://cluster/' },
          { name: 'site', match: { path: '/' }, to: b.url },
        ],
        balancers: [{ name: 'cluster', members: [{ url: a.url }, { url: b.url }] }],
      });
      port = Number(new URL(app.listeners.get('web')!).port);
      browser = await launchChromium();
      context = await browser.newContext({
        viewport: { width: 1440, height: 860 },
        acceptDownloads: true,
      });
      page = await context.newPage();
      await page.goto(app.viewUrl('traffic'));
      await page.getByRole('listbox', { name: 'Exchanges' }).waitFor();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await app?.stop();
      await Promise.all([a?.close(), b?.close()]);
    });

    it('lists requests live as they pass through the proxy', async () => {
      for (let i = 1; i <= 6; i++) await send(port, `/api/items/${i}`);
      await send(port, '/api/orders', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ item: 3, quantity: 2 }),
      });
      await send(port, '/missing-page');
      await expect.poll(() => rows().count()).toBe(8);
      // Newest first: the last request is on top.
      await expect.poll(() => rows().first().textContent()).toContain('/missing-page');
    });

    it('filters by text, status class, method and route', async () => {
      const search = page.getByRole('searchbox', { name: 'Filter text' });
      await search.fill('items');
      await expect.poll(() => rows().count()).toBe(6);
      await search.fill('');

      const statusGroup = page.getByRole('group', { name: 'Status class' });
      await statusGroup.getByRole('button', { name: '4xx' }).click();
      await expect.poll(() => rows().count()).toBe(1);
      expect(await rows().first().textContent()).toContain('404');
      await statusGroup.getByRole('button', { name: '4xx' }).click();

      await page
        .getByRole('group', { name: 'Method' })
        .getByRole('button', { name: 'POST' })
        .click();
      await expect.poll(() => rows().count()).toBe(1);
      await page.getByRole('button', { name: 'Reset filters' }).click();

      await page.getByRole('combobox', { name: 'Route' }).selectOption('api');
      await expect.poll(() => rows().count()).toBe(7);
      await page.getByRole('button', { name: 'Reset filters' }).click();
      await expect.poll(() => rows().count()).toBe(8);
    });

    it('opens an exchange: why this member, headers, pretty JSON body', async () => {
      await rows().filter({ hasText: '/api/orders' }).click();
      const detail = page.getByRole('region', { name: /POST \/api\/orders/ });
      await detail.waitFor();
      await expect
        .poll(() => detail.textContent())
        .toMatch(/Route api sent it to http:\/\/127\.0\.0\.1:\d+: .+\./);
      const requestHeaders = detail.getByRole('table', { name: 'Request headers' });
      await expect
        .poll(() => requestHeaders.textContent())
        .toMatch(/content-type\s*application\/json/i);

      await detail.getByRole('tab', { name: 'Request body' }).click();
      const body = detail.getByRole('region', { name: 'Request body' });
      // JSON opens as a tree; its rows carry their paths.
      const tree = body.getByRole('list', { name: 'JSON tree' });
      await expect.poll(() => tree.locator('[data-path="$.quantity"]').textContent()).toMatch(/2/);
      expect(await tree.locator('[data-path="$.item"]').textContent()).toMatch(/3/);
      // …and as indented text on request.
      await body
        .getByRole('combobox', { name: 'Show request body as' })
        .selectOption('pretty-json');
      await expect
        .poll(() => body.locator('pre').textContent())
        .toBe(JSON.stringify({ item: 3, quantity: 2 }, null, 2));
      await expect.poll(() => detail.getByRole('img', { name: /^Timing:/ }).count()).toBe(1);
      await screenshotBothSchemes(page, 'traffic');
    });

    it('exports the filtered rows as HAR 1.2', async () => {
      await page.getByRole('searchbox', { name: 'Filter text' }).fill('items');
      await expect.poll(() => rows().count()).toBe(6);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export HAR' }).click(),
      ]);
      expect(download.suggestedFilename()).toMatch(/^switchyard-.+\.har$/);
      const har = harSchema.parse(JSON.parse(await readFile((await download.path())!, 'utf8')));
      expect(har.log.entries).toHaveLength(6);
      for (const entry of har.log.entries) expect(entry.request.url).toMatch(/\/api\/items\/\d$/);
    });
  },
);
