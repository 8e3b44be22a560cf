/**
 * The route forms in real Chromium against the headless `switchyard` command: a redirect
 * route and a pattern route with a condition are made in the route form (found by their
 * labels), applied and saved, and real requests to the proxy's listener show they work —
 * the redirect's status and Location, and the pattern route reaching a real backend at
 * the path built from the pattern's group, only when its condition holds. The table and
 * the map say what each route does. Screenshots of the form and the view, light and dark.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { startBackend, type Backend } from '../support/backend.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { echoOf, send } from '../support/http.js';
import {
  ensureBuilt,
  screenshotBothSchemes,
  startHeadless,
  type HeadlessApp,
} from './headless-app.js';

const missing = chromiumMissing();

/** Choose a radio of a naive-ui radio group named `group`. */
async function choose(scope: Locator, group: string, option: string): Promise<void> {
  const radio = scope
    .getByRole('radiogroup', { name: group })
    .getByRole('radio', { name: option, exact: true });
  // The radio input is drawn under its label (naive-ui's buttons); click what the user sees.
  await radio.locator('xpath=..').click();
  await expect.poll(() => radio.isChecked()).toBe(true);
}

describe.skipIf(missing !== undefined)(
  `Route forms in Chromium${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let api: Backend;
    let site: Backend;
    let app: HeadlessApp;
    let browser: Browser;
    let page: Page;
    let port: number;

    beforeAll(async () => {
      [api, site] = await Promise.all([startBackend('api'), startBackend('site'), ensureBuilt()]);
      app = await startHeadless({
        listeners: [{ name: 'web', port: 0 }],
        // No catch-all: a request no route matches gets 404, so a route the form adds at
        // the end is the one that answers.
        routes: [
          { name: 'site', match: { path: '/site' }, to: site.url },
          // Shown, not requested: an HTTP/2 backend and the balancers view.
          { name: 'grpc', match: { path: '/grpc' }, to: 'h2c://127.0.0.1:50051/' },
          {
            name: 'manager',
            match: { path: '/balancer-manager' },
            respond: { page: 'balancers' },
          },
        ],
        balancers: [],
      });
      port = Number(new URL(app.listeners.get('web')!).port);
      browser = await launchChromium();
      const context = await browser.newContext({ viewport: { width: 1440, height: 920 } });
      page = await context.newPage();
      await page.goto(app.viewUrl('routes'));
      await page.getByRole('table', { name: 'Routes in match order' }).waitFor();
    }, 90_000);

    afterAll(async () => {
      await browser?.close();
      await app?.stop();
      await Promise.all([api?.close(), site?.close()]);
    });

    it('adds a redirect route in the form', async () => {
      await page.getByRole('button', { name: 'Add route', exact: true }).click();
      const form = page.getByRole('dialog');
      await form.getByLabel('Name').fill('moved');
      await form.getByLabel('Path prefix').fill('/old');
      // A look at the third action on the way: its fields, then on to the redirect.
      await choose(form, 'Action', 'Answer itself');
      await form.getByLabel('Status').fill('410');
      await form.getByLabel('Body (optional)').fill('Gone. See https://new.localhost/fresh/');
      await screenshotBothSchemes(page, 'route-form-respond');
      await choose(form, 'Action', 'Redirect');
      await expect.poll(() => form.getByLabel('Backend URL', { exact: true }).count()).toBe(0);
      await form.getByLabel('Redirect to').fill('new.localhost/fresh/');
      // The shared schema's message, at the field, before anything is sent.
      await expect
        .poll(() => form.getByText('must be a path starting with / or an http(s) URL').count())
        .toBe(1);
      await form.getByLabel('Redirect to').fill('https://new.localhost/fresh/');
      await choose(form, 'Redirect status', '301');
      await screenshotBothSchemes(page, 'route-form-redirect');
      await form.getByRole('button', { name: 'Add route' }).click();
      await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
      const row = page.locator('tr[data-route-index="3"]');
      await expect
        .poll(() => row.textContent())
        .toContain('redirect 301 → https://new.localhost/fresh/');
    });

    it('adds a pattern route with a condition and a backend protocol', async () => {
      await page.getByRole('button', { name: 'Add route', exact: true }).click();
      const form = page.getByRole('dialog');
      await form.getByLabel('Name').fill('items');
      const pattern = form.getByLabel('Path pattern (regular expression, optional)');
      await pattern.fill('^/items/(?=[0-9])');
      await expect
        .poll(() => form.getByText(/not a regular expression Switchyard can run/).count())
        .toBe(1);
      await pattern.fill('^/ITEMS/([0-9]+)$');
      await form.getByRole('checkbox', { name: 'ignore case' }).first().click();

      await form.getByRole('button', { name: 'Add a condition' }).click();
      await form.getByLabel('Condition 1 header name').fill('X-Tenant');
      await form.getByLabel('Condition 1 value').fill('^gold$');

      // The URL without a scheme; the protocol picker writes it.
      const url = form.getByLabel('Backend URL', { exact: true });
      await url.fill(`127.0.0.1:${api.port}/item/$1`);
      await choose(form, 'Backend protocol', 'h2c');
      await expect.poll(() => url.inputValue()).toBe(`h2c://127.0.0.1:${api.port}/item/$1`);
      await expect.poll(() => form.getByText('HTTP/2 in clear text').count()).toBe(1);
      // The test backend speaks HTTP/1.1.
      await choose(form, 'Backend protocol', 'http');
      await expect.poll(() => url.inputValue()).toBe(`http://127.0.0.1:${api.port}/item/$1`);
      await screenshotBothSchemes(page, 'route-form-pattern');
      await form.getByRole('button', { name: 'Add route' }).click();
      await expect.poll(() => page.getByRole('dialog').count()).toBe(0);

      const row = page.locator('tr[data-route-index="4"]');
      await expect.poll(() => row.textContent()).toContain('~ ^/ITEMS/([0-9]+)$ (ignore case)');
      expect(await row.textContent()).toContain('+1 condition');
    });

    it('shows what every route does in the table and on the map', async () => {
      expect(await page.locator('tr[data-route-index="1"]').textContent()).toContain(
        'HTTP/2 (h2c)',
      );
      expect(await page.locator('tr[data-route-index="2"]').textContent()).toContain(
        'balancers view',
      );
      const map = page.getByRole('region', { name: 'Map' });
      // The line to an HTTP/2 backend carries its protocol.
      await expect.poll(() => map.getByText('HTTP/2 (h2c)', { exact: true }).count()).toBe(1);
      await expect
        .poll(() =>
          map.getByRole('group', { name: 'Route manager answers itself: balancers view' }).count(),
        )
        .toBe(1);
      await expect
        .poll(() =>
          map
            .getByRole('group', {
              name: 'Route moved answers itself: redirect 301 → https://new.localhost/fresh/',
            })
            .count(),
        )
        .toBe(1);
      await expect
        .poll(() => map.getByRole('group', { name: /^Route 5 items: \*\/ ~ \^\/ITEMS/ }).count())
        .toBe(1);
    });

    it('applies and saves, and the proxy redirects and routes by the pattern', async () => {
      await page.getByRole('button', { name: 'Apply', exact: true }).click();
      await expect
        .poll(() => page.getByText('Applied, not saved to switchyard.yaml').count())
        .toBe(1);
      await page.getByRole('button', { name: 'Save to file' }).click();
      await expect.poll(() => page.getByText('Saved in switchyard.yaml').count()).toBe(1);
      await page.locator('body').click({ position: { x: 5, y: 5 } });
      await screenshotBothSchemes(page, 'route-forms');

      // Apache Redirect: the rest of the path after /old is appended, the query kept.
      const moved = await send(port, '/old/a/b?q=2');
      expect(moved.status).toBe(301);
      expect(moved.headers.location).toBe('https://new.localhost/fresh/a/b?q=2');

      // The pattern ignores case, and its group fills in the target's path.
      const item = await send(port, '/items/42?x=1', { headers: { 'x-tenant': 'gold' } });
      expect(item.status).toBe(200);
      expect(echoOf(item)).toMatchObject({ backend: 'api', url: '/item/42?x=1' });
      expect(api.seen.at(-1)?.url).toBe('/item/42?x=1');

      // The condition does not hold, or the pattern does not match: no route, 404.
      const seen = api.seen.length;
      expect((await send(port, '/items/42', { headers: { 'x-tenant': 'silver' } })).status).toBe(
        404,
      );
      expect((await send(port, '/items/abc', { headers: { 'x-tenant': 'gold' } })).status).toBe(
        404,
      );
      expect(api.seen.length).toBe(seen);
    });

    it('wrote the route forms to the routing file', async () => {
      // Saved and not edited since, the YAML view shows the file's text as on disk.
      await page.getByRole('tab', { name: 'YAML' }).click();
      const area = page.getByRole('textbox', { name: 'Routing file (YAML)' });
      await expect.poll(() => area.inputValue()).toContain('pathRegex:');
      const text = await area.inputValue();
      expect(text).toMatch(/name: moved[\s\S]*redirect:[\s\S]*status: 301/);
      expect(text).toMatch(/on: header:X-Tenant[\s\S]*matches: \^gold\$/);
    });
  },
);
