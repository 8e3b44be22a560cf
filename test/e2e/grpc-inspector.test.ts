/**
 * The gRPC inspector in real Chromium against the headless `switchyard` command: a real
 * @grpc/grpc-js call through the proxy opens with its messages decoded, fields named from
 * the .proto file the routing file lists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { ORDERS_PROTO, shopClient, startShopServer } from '../support/grpc-shop.js';
import { ensureBuilt, startHeadless, type HeadlessApp } from './headless-app.js';

const missing = chromiumMissing();

describe.skipIf(missing !== undefined)(
  `gRPC inspector in Chromium${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let shop: Awaited<ReturnType<typeof startShopServer>>;
    let app: HeadlessApp;
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      [shop] = await Promise.all([startShopServer({ reflection: false }), ensureBuilt()]);
      app = await startHeadless({
        listeners: [{ name: 'web', port: 0 }],
        routes: [
          {
            name: 'shop',
            match: { path: '/shop.v1.Orders' },
            to: `h2c://127.0.0.1:${shop.port}/shop.v1.Orders`,
          },
        ],
        grpc: { protos: [ORDERS_PROTO] },
      });
      browser = await launchChromium();
      page = await (await browser.newContext({ viewport: { width: 1440, height: 860 } })).newPage();
      await page.goto(app.viewUrl('traffic'));
      await page.getByRole('listbox', { name: 'Exchanges' }).waitFor();
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await app?.stop();
      await shop?.close();
    });

    it('shows a streaming call’s messages decoded with names from the .proto', async () => {
      const client = shopClient(new URL(app.listeners.get('web')!).host);
      try {
        expect(await client.watch('E2E')).toHaveLength(3);
      } finally {
        client.close();
      }
      const row = page
        .getByRole('listbox', { name: 'Exchanges' })
        .getByRole('option')
        .filter({ hasText: '/shop.v1.Orders/Watch' });
      await row.click();
      const detail = page.getByRole('region', { name: /\/shop\.v1\.Orders\/Watch/ });
      await detail.getByRole('tab', { name: 'Messages' }).click();
      const messages = detail.getByRole('region', { name: 'gRPC messages' });
      await expect.poll(() => messages.textContent()).toContain('Field names from');
      const down = messages.getByRole('region', { name: 'Response messages' });
      await expect.poll(() => down.textContent()).toContain('Response messages (3)');
      const text = (await down.textContent()) ?? '';
      expect(text).toContain('shop.v1.Order');
      expect(text).toContain('"E2E-3"');
      expect(text).toMatch(/2 status\s*shop\.v1\.Status · varint\s*STATUS_PAID \(2\)/);
      expect(text).toMatch(/2 quantity\s*sint32 · varint\s*-3/);
      const up = messages.getByRole('region', { name: 'Request messages' });
      expect(await up.textContent()).toMatch(/1 id\s*string · len\s*"E2E"/);
    });
  },
);
