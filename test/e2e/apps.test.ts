/**
 * The Apps view in real Chromium against the headless `switchyard` command, as a user
 * goes through it: an app from the routing file's `apps:` (not started with Switchyard)
 * shows stopped; Start runs it with a port and a PID; its link opens
 * https://notes.localhost:PORT in a browser that trusts the local CA the real way (the
 * CA exported from the Certificates view into an NSS database, no
 * --ignore-certificate-errors) and the app answers; its output streams into the log
 * panel with the colours rendered, and the search filters it; Stop stops it and the
 * same URL answers 503 with the sentence saying so.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import {
  ensureBuilt,
  ROOT,
  screenshotBothSchemes,
  startHeadless,
  type HeadlessApp,
} from './headless-app.js';

const missing = chromiumMissing();
const FIXTURE = join(ROOT, 'test/fixtures/apps/port-server.js');
/** As a user writes it: run by the shell, `node` found on PATH. */
const COMMAND = `node ${FIXTURE}`;

/** The CA certificate as a user gets it: Certificates → Export CA (PEM), a download. */
async function exportCaPem(app: HeadlessApp): Promise<string> {
  const plain = await launchChromium();
  try {
    const page = await plain.newPage();
    await page.goto(app.viewUrl('certificates'));
    const button = page.getByRole('button', { name: 'Export CA (PEM)' });
    // A click waits for the button to be enabled (once the CA's status has loaded).
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      button.click({ timeout: 10_000 }),
    ]);
    expect(download.suggestedFilename()).toBe('switchyard-ca.pem');
    return await readFile(await download.path(), 'utf8');
  } finally {
    await plain.close();
  }
}

describe.skipIf(missing !== undefined)(
  `Apps view in Chromium${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let app: HeadlessApp;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let securePort: number;
    /** https://notes.localhost:PORT, as the app's link says. */
    let notesUrl: string;

    const row = (): ReturnType<Page['getByTestId']> => page.getByTestId('app-row-notes');
    const state = (): Promise<string | null> => page.getByTestId('app-state-notes').textContent();
    const logLines = (): ReturnType<Page['getByTestId']> =>
      page.getByTestId('app-log').getByTestId('app-log-line');
    const logText = async (): Promise<string[]> => await logLines().allTextContents();

    beforeAll(async () => {
      await ensureBuilt();
      app = await startHeadless({
        listeners: [
          { name: 'secure', port: 0, tls: true },
          { name: 'web', port: 0 },
        ],
        routes: [],
        apps: [
          {
            name: 'notes',
            command: COMMAND,
            autostart: false,
            env: { APP_LABEL: 'notes' },
          },
        ],
      });
      securePort = Number(new URL(app.listeners.get('secure')!).port);
      const caPem = await exportCaPem(app);
      expect(caPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
      browser = await launchChromium({ trustCa: caPem });
      context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      page = await context.newPage();
      await page.goto(app.viewUrl('apps'));
      await page.getByTestId('apps-view').waitFor();
      await row().waitFor({ timeout: 10_000 });
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await app?.stop();
    });

    it('shows the app from the routing file stopped, with its URLs, HTTPS first', async () => {
      await expect.poll(state).toMatch(/Stopped/);
      expect(await row().textContent()).toContain('Not running.');
      expect(await row().textContent()).toContain('routing file');
      expect(await row().locator('code.command').textContent()).toBe(COMMAND);
      const urls = await page.getByTestId('app-url-notes').allTextContents();
      expect(urls).toEqual([
        `https://notes.localhost:${securePort}`,
        `http://notes.localhost:${new URL(app.listeners.get('web')!).port}`,
      ]);
      notesUrl = urls[0]!;
      await expect.poll(() => page.getByTestId('app-start-notes').isEnabled()).toBe(true);
      expect(await page.getByTestId('app-stop-notes').isDisabled()).toBe(true);
    });

    it('Start runs the command: the app is up with a PID and the port it was given', async () => {
      await page.getByTestId('app-start-notes').click();
      await expect.poll(state, { timeout: 20_000 }).toMatch(/Up/);
      const instance = row().locator('table tbody tr');
      await expect.poll(() => instance.count()).toBe(1);
      const cells = instance.getByRole('cell');
      const port = Number(await cells.nth(2).textContent());
      const pid = Number(await cells.nth(3).textContent());
      expect(port).toBeGreaterThan(0);
      expect(port).not.toBe(securePort);
      expect(pid).toBeGreaterThan(0);
      expect(await cells.nth(1).textContent()).toContain('Up');
      expect(await cells.nth(5).textContent()).toContain(`Serving on port ${port}`);
      expect(await page.getByTestId('app-start-notes').isDisabled()).toBe(true);
      expect(await page.getByTestId('app-stop-notes').isEnabled()).toBe(true);
    });

    it("the app's link opens https://notes.localhost with no certificate error", async () => {
      // Listened for before the click: the popup's navigation starts with it.
      const responded = context.waitForEvent('response', {
        predicate: (r) => r.url() === `${notesUrl}/`,
        timeout: 15_000,
      });
      const [popup] = await Promise.all([
        context.waitForEvent('page'),
        page.getByTestId('app-url-notes').first().click(),
      ]);
      const response = await responded;
      expect(response.status()).toBe(200);
      const security = await response.securityDetails();
      expect(security?.issuer).toMatch(/Switchyard Local CA/);
      expect(security?.subjectName).toBe('notes.localhost');
      expect(popup.url()).toBe(`${notesUrl}/`);
      await popup.waitForLoadState();
      const body = JSON.parse(await popup.locator('body').innerText()) as {
        name: string;
        host: string;
        path: string;
        pid: number;
        env: Record<string, string>;
      };
      expect(body.name).toBe('notes');
      // preserveHost: the app sees the name it is served at.
      expect(body.host).toBe(`notes.localhost:${securePort}`);
      expect(body.path).toBe('/');
      expect(body.env['PORT']).toMatch(/^\d+$/);
      // The PID shown is the app's own: a simple command replaces the shell (exec).
      const shown = Number(
        await row().locator('table tbody tr').getByRole('cell').nth(3).textContent(),
      );
      expect(shown).toBe(body.pid);
      await popup.close();
    });

    it("the log panel shows the app's output, colours rendered, and the search filters it", async () => {
      const log = page.getByTestId('app-log');
      // The first app's output opens by itself; the Output button says it is open.
      await log.waitFor();
      expect(await page.getByTestId('app-log-open-notes').getAttribute('aria-pressed')).toBe(
        'true',
      );
      await expect
        .poll(logText, { timeout: 10_000 })
        .toEqual(
          expect.arrayContaining([
            expect.stringContaining('notes listening on'),
            expect.stringContaining('notes: a line on stderr'),
            expect.stringContaining('notes GET /'),
          ]),
        );
      const all = await logText();
      // Escape sequences are read, never shown.
      for (const text of all) {
        expect(text).not.toContain('\u001b');
        expect(text).not.toMatch(/\[(?:\d+;)*\d*m/);
      }
      expect(await log.locator('[data-stream="err"]').allTextContents()).toEqual([
        expect.stringContaining('notes: a line on stderr'),
      ]);

      // `ESC[32mnotes ESC[0m GET /`: the name is a green segment, the rest plain.
      const request = logLines().filter({ hasText: 'notes GET /' }).first();
      const green = request.locator('.text > span').filter({ hasText: /^notes$/ });
      expect(await green.getAttribute('style')).toMatch(/color:\s*var\(--ansi-2/);
      const plain = request.locator('.text > span').filter({ hasText: 'GET /' });
      // Runs in the page: its getComputedStyle, which Node's types do not know.
      const colorOf = (el: unknown): string =>
        (
          globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }
        ).getComputedStyle(el).color;
      const [greenColor, plainColor] = await Promise.all([
        green.evaluate(colorOf),
        plain.evaluate(colorOf),
      ]);
      expect(greenColor).not.toBe(plainColor);
      const [r, g, b] = greenColor.match(/\d+/g)!.map(Number) as [number, number, number];
      expect(g).toBeGreaterThan(r);
      expect(g).toBeGreaterThan(b);

      const search = page.getByTestId('app-log-search');
      await search.fill('GET /');
      await expect.poll(() => logLines().count()).toBeLessThan(all.length);
      const requests = await logText();
      // The page's request, and whatever else the browser asked for (its favicon).
      expect(requests).toEqual(expect.arrayContaining([expect.stringMatching(/notes GET \/$/)]));
      for (const text of requests) expect(text).toContain('notes GET /');
      expect(await log.locator('mark').allTextContents()).toEqual(requests.map(() => 'GET /'));
      // The browser may still be asking for more (its favicon): count against the log now.
      expect(await log.textContent()).toMatch(new RegExp(`${requests.length} of \\d+ lines`));

      await search.fill('ON STDERR');
      await expect.poll(logText).toEqual([expect.stringContaining('notes: a line on stderr')]);

      await search.fill('nothing like this');
      await expect.poll(() => logLines().count()).toBe(0);
      expect(await log.textContent()).toContain('No line contains “nothing like this”.');

      await search.fill('');
      await expect.poll(() => logLines().count()).toBeGreaterThanOrEqual(all.length);
      await screenshotBothSchemes(page, 'apps');
    });

    it('Stop stops it, and its URL answers 503 saying the app is stopped', async () => {
      await page.getByTestId('app-stop-notes').click();
      await expect.poll(state, { timeout: 15_000 }).toMatch(/Stopped/);
      await expect.poll(() => page.getByTestId('app-start-notes').isEnabled()).toBe(true);
      // Switchyard's own note on the stop, in the log, after the app's own last words: it
      // got SIGTERM and the time to close.
      await expect
        .poll(
          () => page.getByTestId('app-log').locator('[data-stream="system"]').allTextContents(),
          {
            timeout: 10_000,
          },
        )
        .toEqual(expect.arrayContaining([expect.stringMatching(/Switchyard:\s*stopped \(/)]));
      expect(await logText()).toEqual(
        expect.arrayContaining([expect.stringContaining('notes got SIGTERM')]),
      );

      const visit = await context.newPage();
      const response = await visit.goto(notesUrl);
      expect(response?.status()).toBe(503);
      expect((await response?.securityDetails())?.subjectName).toBe('notes.localhost');
      expect(await visit.locator('body').innerText()).toMatch(
        /notes\.localhost: the app 'notes' is stopped\b.*start it in Switchyard's Apps view/,
      );
      await visit.close();
    });
  },
);
