/**
 * The Routes view in real Chromium against the headless `switchyard` command: a route
 * added through the form (found by its labels), applied live, carries a real request to a
 * real backend, and that request shows in Traffic with its status; the draft is saved to
 * the routing file. The Certificates view shows the CA the TLS listener created and the
 * leaf it issued. Screenshots of both, light and dark, go to docs/screenshots/.
 */
import { mkdtemp } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startDemo } from '../../src/engine/demo.js';
import { Engine } from '../../src/engine/engine.js';
import { startBackend, type Backend } from '../support/backend.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import {
  ensureBuilt,
  screenshotBothSchemes,
  startHeadless,
  type HeadlessApp,
} from './headless-app.js';

const missing = chromiumMissing();

/** One https request with SNI `hostname`, so the CA issues that leaf (not verified here). */
function tlsGet(port: number, hostname: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        servername: hostname,
        headers: { host: hostname },
        rejectUnauthorized: false,
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(missing !== undefined)(
  `Routes and Certificates views in Chromium${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let site: Backend;
    let api: Backend;
    let app: HeadlessApp;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let port: number;

    beforeAll(async () => {
      [site, api] = await Promise.all([startBackend('site'), startBackend('api'), ensureBuilt()]);
      app = await startHeadless({
        listeners: [
          { name: 'web', port: 0 },
          { name: 'secure', port: 0, tls: true },
        ],
        routes: [
          { name: 'app', match: { host: 'app.localhost', path: '/' }, to: site.url },
          { name: 'shop', match: { path: '/shop' }, to: 'balancer://cluster/' },
          { name: 'site', match: { path: '/', listeners: ['web'] }, to: site.url },
        ],
        balancers: [
          {
            name: 'cluster',
            members: [{ url: site.url }, { url: api.url, state: 'standby' }],
          },
        ],
      });
      port = Number(new URL(app.listeners.get('web')!).port);
      browser = await launchChromium();
      context = await browser.newContext({ viewport: { width: 1440, height: 920 } });
      page = await context.newPage();
      await page.goto(app.viewUrl('routes'));
      await page.getByRole('table', { name: 'Routes in match order' }).waitFor();
    }, 90_000);

    afterAll(async () => {
      await browser?.close();
      await app?.stop();
      await Promise.all([site?.close(), api?.close()]);
    });

    it('adds a route with the form, applies it, and a request goes through it', async () => {
      await page.getByRole('button', { name: 'Add route', exact: true }).click();
      const form = page.getByRole('dialog');
      await form.getByLabel('Name').fill('api');
      await form.getByLabel('Path prefix').fill('api');
      // The shared schema's message, at the field, before anything is sent.
      await expect.poll(() => form.getByText('must start with /').count()).toBe(1);
      await form.getByLabel('Path prefix').fill('/api');
      await form.getByLabel('Backend URL', { exact: true }).fill(api.url);
      await form.getByRole('switch', { name: 'Preserve host' }).click();
      await form.getByRole('button', { name: 'Add route' }).click();
      await expect.poll(() => page.getByRole('dialog').count()).toBe(0);

      // First match wins: move the new route above the catch-all, from the keyboard.
      const up = page.getByRole('button', { name: 'Move route api up' });
      await up.focus();
      await page.keyboard.press('Enter');
      await expect
        .poll(() => page.locator('tr[data-route-index="2"]').textContent())
        .toContain('api');
      await expect
        .poll(() => page.locator(':focus').getAttribute('aria-label'))
        .toBe('Move route api up');

      await expect.poll(() => page.getByText('Unapplied changes').count()).toBe(1);
      await page.getByRole('button', { name: 'Apply', exact: true }).click();
      await expect
        .poll(() => page.getByText('Applied, not saved to switchyard.yaml').count())
        .toBe(1);

      const response = await fetch(`http://127.0.0.1:${port}/api/hello?from=e2e`);
      expect(response.status).toBe(200);
      const echo = (await response.json()) as { backend: string; url: string };
      // ProxyPass semantics: the matched prefix /api is replaced by the target's path /.
      expect(echo).toMatchObject({ backend: 'api', url: '/hello?from=e2e' });
      expect(api.seen.at(-1)?.headers.host).toBe(`127.0.0.1:${port}`); // preserveHost
    });

    it('shows the route on the map, with the balancer and its members', async () => {
      const map = page.getByRole('region', { name: 'Map' });
      await expect.poll(() => map.getByRole('group', { name: /^Route 3 api:/ }).count()).toBe(1);
      await expect
        .poll(() => map.getByRole('group', { name: /^Member .* of cluster: standby/ }).count())
        .toBe(1);
      await screenshotBothSchemes(page, 'routes');
    });

    it('edits the same draft from the map: a line drawn, then undone from the keyboard', async () => {
      const map = page.getByRole('region', { name: 'Map' });
      const from = map.locator('.vue-flow__handle.source[data-nodeid="route:0"]');
      const to = map.locator('.vue-flow__handle.target[data-nodeid="balancer:cluster"]');
      await from.dragTo(to);
      const firstRow = page.locator('tr[data-route-index="0"]');
      await expect.poll(() => firstRow.textContent()).toContain('balancer://cluster/');
      await expect.poll(() => page.getByText('Unapplied changes').count()).toBe(1);
      await page.locator('body').click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('Control+z');
      await expect.poll(() => firstRow.textContent()).not.toContain('balancer://cluster/');
      await expect.poll(() => page.getByText('Unapplied changes').count()).toBe(0);
    });

    it('saves the applied configuration to the routing file', async () => {
      await page.getByRole('button', { name: 'Save to file' }).click();
      await expect.poll(() => page.getByText('Saved in switchyard.yaml').count()).toBe(1);
    });

    it('lists the request in Traffic with its status', async () => {
      await page
        .getByRole('navigation', { name: 'Views' })
        .getByRole('button', { name: /Traffic/ })
        .click();
      const rows = page.getByRole('listbox', { name: 'Exchanges' }).getByRole('option');
      const row = rows.filter({ hasText: '/api/hello?from=e2e' });
      await expect.poll(() => row.count()).toBe(1);
      expect(await row.textContent()).toContain('200');
      expect(await row.textContent()).toContain('api');
    });

    it('shows the CA, where it is trusted, and the leaf it issued', async () => {
      const secure = Number(new URL(app.listeners.get('secure')!).port);
      expect(await tlsGet(secure, 'app.localhost')).toBe(200);
      await page
        .getByRole('navigation', { name: 'Views' })
        .getByRole('button', { name: /Certificates/ })
        .click();
      await page.getByRole('heading', { name: 'Certificate authority' }).waitFor();
      expect(await page.getByText('SHA-256 fingerprint').count()).toBeGreaterThan(0);
      const permitted = page.getByRole('list', { name: 'Permitted names' });
      expect(await permitted.textContent()).toContain('.localhost');
      const issued = page.getByRole('table', { name: 'Issued certificates' });
      await expect.poll(() => issued.textContent()).toContain('app.localhost');
      await page.getByRole('button', { name: 'Copy CA fingerprint' }).waitFor();
      await screenshotBothSchemes(page, 'certificates');
    });
  },
);

describe.skipIf(missing !== undefined)('the first-launch demo in Chromium', () => {
  it('answers a browser with a page, from each echo backend in turn', async () => {
    const demo = await startDemo({ port: 0 });
    const engine = new Engine({ dataDir: await mkdtemp(join(tmpdir(), 'switchyard-demo-')) });
    const browser = await launchChromium();
    try {
      const [listener] = await engine.apply(demo.config);
      const page = await browser.newPage();
      const seen: (string | null)[] = [];
      for (let i = 0; i < 4; i++) {
        await page.goto(`${listener!.url}/`);
        seen.push(await page.textContent('.name'));
      }
      // Reloading alternates: the page asks for nothing else (no /favicon.ico) that
      // would take the other backend's turn.
      const [first, second] = seen;
      expect(new Set([first, second])).toEqual(new Set(['echo-1', 'echo-2']));
      expect(seen).toEqual([first, second, first, second]);
      expect(engine.recorder.list().map((s) => s.url)).toEqual(['/', '/', '/', '/']);
    } finally {
      await browser.close();
      await engine.close({ graceMs: 0 });
      await demo.close();
    }
  });
});
