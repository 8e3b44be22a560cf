/**
 * The Routes view's Import / export tab in real Chromium against the headless
 * `switchyard` command: an Apache configuration pasted, previewed (YAML and a warning at
 * its line), applied, and a real request carried by the route it became; then the
 * configuration in force exported as nginx configuration. Screenshots, light and dark,
 * go to docs/screenshots/.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startBackend, type Backend } from '../support/backend.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import {
  ensureBuilt,
  screenshotBothSchemes,
  startHeadless,
  type HeadlessApp,
} from './headless-app.js';

const missing = chromiumMissing();

/** A loopback port free right now, for the imported `Listen` line. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

describe.skipIf(missing !== undefined)(
  `Import / export in Chromium${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let site: Backend;
    let api: Backend;
    let app: HeadlessApp;
    let browser: Browser;
    let page: Page;
    let port: number;

    beforeAll(async () => {
      [site, api] = await Promise.all([startBackend('site'), startBackend('api'), ensureBuilt()]);
      app = await startHeadless({
        listeners: [{ name: 'web', port: 0 }],
        routes: [{ name: 'site', match: { path: '/' }, to: site.url }],
      });
      port = await freePort();
      browser = await launchChromium();
      const context = await browser.newContext({ viewport: { width: 1440, height: 1280 } });
      page = await context.newPage();
      await page.goto(app.viewUrl('routes'));
      await page.getByRole('table', { name: 'Routes in match order' }).waitFor();
      await page.getByRole('tab', { name: 'Import / export' }).click();
    }, 90_000);

    afterAll(async () => {
      await browser?.close();
      await app?.stop();
      await Promise.all([site?.close(), api?.close()]);
    });

    it('previews a pasted Apache configuration, applies it, and a request goes through it', async () => {
      const apache = [
        `Listen 127.0.0.1:${port}`,
        'ProxyRequests Off',
        `ProxyPass /api/ ${api.url}/`,
        `ProxyPassReverse /api/ ${api.url}/`,
        'RewriteMap lower int:tolower',
      ].join('\n');
      await page.getByRole('textbox', { name: 'Apache configuration' }).fill(apache);
      await page.getByRole('button', { name: 'Preview', exact: true }).click();

      const yaml = page.getByRole('region', { name: 'Routing file (preview)' });
      await expect.poll(() => yaml.textContent()).toContain('path: /api/');
      expect(await yaml.textContent()).toContain(`port: ${port}`);
      const warnings = page.getByRole('list', { name: 'Import warnings' });
      expect(await warnings.textContent()).toContain('RewriteMap');
      // The warning's line button puts the caret on that Apache line.
      await page.getByRole('button', { name: 'Go to Apache line 5' }).click();
      const caret = await page
        .getByRole('textbox', { name: 'Apache configuration' })
        .evaluate((el) => (el as unknown as { selectionStart: number }).selectionStart);
      expect(caret).toBe(apache.indexOf('RewriteMap'));

      // Nothing is in force yet: the port is not listening.
      await expect(fetch(`http://127.0.0.1:${port}/api/hello`)).rejects.toThrow();

      await page.getByRole('button', { name: 'Apply imported configuration' }).click();
      await expect
        .poll(() => page.getByText('The imported configuration is in force.').count())
        .toBe(1);
      await expect
        .poll(() => page.getByText('Applied, not saved to switchyard.yaml').count())
        .toBe(1);

      const response = await fetch(`http://127.0.0.1:${port}/api/hello?from=import`);
      expect(response.status).toBe(200);
      const echo = (await response.json()) as { backend: string; url: string };
      expect(echo).toMatchObject({ backend: 'api', url: '/hello?from=import' });
    });

    it('exports the configuration in force as nginx configuration', async () => {
      const servers = page.getByRole('radiogroup', { name: 'Server' });
      // From the keyboard: the first choice, then the arrow to the next one.
      await servers.getByRole('radio', { name: 'Apache httpd' }).focus();
      await page.keyboard.press('ArrowRight');
      await expect.poll(() => servers.getByRole('radio', { name: 'nginx' }).isChecked()).toBe(true);
      await page.getByRole('button', { name: 'Show', exact: true }).click();

      const nginx = page.getByRole('region', { name: 'nginx configuration' });
      await expect.poll(() => nginx.textContent()).toContain('proxy_pass');
      expect(await nginx.textContent()).toContain(`listen 127.0.0.1:${port}`);
      expect(await nginx.textContent()).toContain(`${api.url}/`);
      await page.getByRole('button', { name: 'Save as nginx-switchyard.conf' }).waitFor();

      await page.getByRole('tabpanel').evaluate((el) => el.closest('.routes-view')?.scrollTo(0, 0));
      await screenshotBothSchemes(page, 'import-export');
    });
  },
);
