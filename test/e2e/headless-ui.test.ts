/**
 * The headless UI's defences in a real browser (SPEC §7): a page opened from the printed
 * URL reaches the API with the token from its fragment; the server's CSP stops inline
 * script; and a page from any other origin cannot open the API even when it knows the
 * token, because Chromium sends its Origin with the upgrade.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineApi } from '../../src/engine/engine-api.js';
import { startUiServer, type UiServer } from '../../src/server/http.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';

const missing = chromiumMissing();

/** Connects like the renderer does: token from the fragment, API on the page's own host. */
const PROBE = `
const token = new URLSearchParams(location.hash.slice(1)).get('token');
const ws = new WebSocket('ws://' + location.host + '/api?token=' + token);
ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: 'getStatus', params: [] }));
ws.onmessage = (e) => { document.title = 'host:' + JSON.parse(e.data).result.host; };
ws.onclose = () => { if (!document.title.startsWith('host:')) document.title = 'closed'; };
`;

describe.skipIf(missing !== undefined)(
  `headless UI in Chromium${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let proxy: RunningProxy;
    let api: EngineApi;
    let ui: UiServer;
    let foreign: http.Server;
    let foreignPort: number;
    let browser: Browser;

    beforeAll(async () => {
      proxy = await startProxy({ listeners: [{ name: 'web', port: 0 }], routes: [] });
      api = new EngineApi(proxy.engine, { host: 'headless', version: 'e2e' });
      const root = join(await mkdtemp(join(tmpdir(), 'switchyard-e2e-ui-')), 'renderer');
      await mkdir(join(root, 'assets'), { recursive: true });
      await writeFile(
        join(root, 'index.html'),
        '<!doctype html><title>loading</title>' +
          '<script>window.inlineRan = true;</script>' +
          '<script src="/assets/probe.js"></script>',
      );
      await writeFile(join(root, 'assets', 'probe.js'), PROBE);
      ui = await startUiServer({ api, root, port: 0 });
      // Another site on this machine that has learnt the token somehow.
      foreign = http.createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(
          `<!doctype html><title>loading</title><script>
          const ws = new WebSocket('ws://127.0.0.1:${ui.port}/api?token=${ui.token}');
          ws.onopen = () => { document.title = 'opened'; };
          ws.onclose = () => { if (document.title !== 'opened') document.title = 'refused'; };
          </script>`,
        );
      });
      await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
      foreignPort = (foreign.address() as AddressInfo).port;
      browser = await launchChromium();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await new Promise((resolve) => foreign?.close(resolve));
      await ui?.close();
      api?.close();
      await proxy?.close();
    });

    it('opens the API from the printed URL, by IP and by localhost, and blocks inline script', async () => {
      for (const url of [ui.url, ui.url.replace('127.0.0.1', 'localhost')]) {
        const page = await browser.newPage();
        try {
          const response = await page.goto(url);
          expect(response?.status()).toBe(200);
          expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
          // Polled from here, not with waitForFunction: its polling evaluates a string in the
          // page, which the page's own CSP (no 'unsafe-eval') rightly refuses.
          await expect.poll(() => page.title(), { timeout: 10_000 }).not.toBe('loading');
          expect(await page.title()).toBe('host:headless');
          expect(await page.evaluate("'inlineRan' in window")).toBe(false);
        } finally {
          await page.close();
        }
      }
    });

    it('refuses a page from another origin even when it has the token', async () => {
      const page = await browser.newPage();
      try {
        await page.goto(`http://127.0.0.1:${foreignPort}/`);
        await expect.poll(() => page.title(), { timeout: 10_000 }).not.toBe('loading');
        expect(await page.title()).toBe('refused');
        expect(ui.bridge.clients).toBe(0);
      } finally {
        await page.close();
      }
    });
  },
);
