import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../../support/fake-electron.js'));

import { HEADER_CSP, RENDERER_CSP, parseCsp, withCsp } from '../../../src/main/csp.js';
import {
  appUrlCheck,
  applySessionPolicy,
  externalUrl,
  lockDown,
  windowOptions,
} from '../../../src/main/security.js';
import { FakeSession, FakeWebContents, fakeEvent } from '../../support/fake-electron.js';

const RENDERER = join(import.meta.dirname, '../../../src/renderer/index.html');

describe('window options', () => {
  it('has exactly the secure webPreferences', () => {
    expect(windowOptions('/app/out/preload/index.cjs').webPreferences).toStrictEqual({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    });
  });
});

describe('Content Security Policy', () => {
  it('is the same in the meta tag of index.html and in main, directive for directive', async () => {
    const html = await readFile(RENDERER, 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBeDefined();
    expect(parseCsp(meta!)).toEqual(parseCsp(RENDERER_CSP));
  });

  it('the header only narrows the meta tag: no WebSocket origins, no framing', () => {
    const header = parseCsp(HEADER_CSP);
    const meta = parseCsp(RENDERER_CSP);
    for (const [name, sources] of meta) {
      const narrowed = header.get(name)?.split(' ') ?? [];
      expect(narrowed.length, name).toBeGreaterThan(0);
      for (const source of narrowed) expect(sources.split(' '), name).toContain(source);
    }
    expect(header.get('connect-src')).toBe("'self'");
    expect([...header.keys()].filter((k) => !meta.has(k))).toEqual(['frame-ancestors']);
    expect(header.get('frame-ancestors')).toBe("'none'");
  });

  it('is strict: scripts from the app only, no eval, no plugins, no base or form targets', () => {
    const csp = parseCsp(HEADER_CSP);
    expect(csp.get('default-src')).toBe("'self'");
    expect(csp.get('script-src')).toBe("'self'");
    for (const [name, sources] of csp) {
      const list = sources.split(' ');
      for (const wide of ['*', 'http:', 'https:', 'data:', "'unsafe-eval'"]) {
        if (name === 'img-src' && wide === 'data:') continue;
        expect(list, `${name} allows ${wide}`).not.toContain(wide);
      }
    }
    expect(csp.get('script-src')).not.toMatch(/unsafe-inline/);
    expect(csp.get('object-src')).toBe("'none'");
    expect(csp.get('base-uri')).toBe("'none'");
    expect(csp.get('form-action')).toBe("'none'");
  });

  it('replaces any policy a response brought, whatever its header case', () => {
    const headers = withCsp({
      'content-security-policy': ['default-src *'],
      'Content-Type': ['text/html'],
    });
    expect(headers).toEqual({
      'Content-Type': ['text/html'],
      'Content-Security-Policy': [HEADER_CSP],
    });
  });
});

describe('session policy', () => {
  const session = new FakeSession();
  applySessionPolicy(session as never);

  it.each([
    'media',
    'geolocation',
    'notifications',
    'clipboard-read',
    'openExternal',
    'fullscreen',
  ])('denies the %s permission request', (permission) => {
    const callback = vi.fn();
    session.permissionRequestHandler!({}, permission, callback);
    expect(callback).toHaveBeenCalledExactlyOnceWith(false);
  });

  it('answers every permission check and device request with no', () => {
    expect(session.permissionCheckHandler!({}, 'media', 'file://', {})).toBe(false);
    expect(session.devicePermissionHandler!({ deviceType: 'hid' })).toBe(false);
  });

  it('sets the CSP header on every response, our files included', () => {
    for (const url of [pathToFileURL(RENDERER).href, 'http://localhost:5173/']) {
      const callback = vi.fn();
      session.headersListener!({ url, responseHeaders: {} }, callback);
      expect(callback).toHaveBeenCalledWith({
        responseHeaders: { 'Content-Security-Policy': [HEADER_CSP] },
      });
    }
  });
});

describe('app URL', () => {
  it('in a built app: only the renderer file itself, with any fragment', () => {
    const isApp = appUrlCheck({ file: RENDERER });
    const url = pathToFileURL(RENDERER).href;
    expect(isApp(url)).toBe(true);
    expect(isApp(`${url}#/traffic`)).toBe(true);
    expect(isApp(url.replace('index.html', 'other.html'))).toBe(false);
    expect(isApp('file:///etc/passwd')).toBe(false);
    expect(isApp(`https://example.com/${url}`)).toBe(false);
    expect(isApp('not a url')).toBe(false);
  });

  it('under `electron-vite dev`: the dev server origin only', () => {
    const isApp = appUrlCheck({ devServerUrl: 'http://localhost:5173' });
    expect(isApp('http://localhost:5173/')).toBe(true);
    expect(isApp('http://localhost:5173/src/main.ts')).toBe(true);
    expect(isApp('http://localhost:5174/')).toBe(false);
    expect(isApp('http://127.0.0.1:5173/')).toBe(false);
    expect(isApp('https://localhost:5173/')).toBe(false);
  });
});

describe('external URLs', () => {
  it.each([
    ['https://switchyard.dev/docs', 'https://switchyard.dev/docs'],
    ['http://127.0.0.1:8080/', 'http://127.0.0.1:8080/'],
    ['HTTPS://Example.COM', 'https://example.com/'],
    ['file:///etc/passwd', undefined],
    ['javascript:alert(1)', undefined],
    ['smb://server/share', undefined],
    ['ms-settings:privacy', undefined],
    ['vscode://file/x', undefined],
    ['data:text/html,<script>1</script>', undefined],
    ['//example.com', undefined],
    ['', undefined],
  ])('%s → %s', (url, expected) => {
    expect(externalUrl(url)).toBe(expected);
  });
});

describe('navigation and new windows', () => {
  function locked() {
    const contents = new FakeWebContents();
    const openExternal = vi.fn(async (_url: string) => {});
    lockDown(contents as never, openExternal);
    return { contents, openExternal };
  }

  it('blocks every navigation, and opens http(s) links in the browser instead', () => {
    const { contents, openExternal } = locked();
    expect(contents.tryNavigate('https://example.com/')).toBe(false);
    expect(openExternal).toHaveBeenCalledExactlyOnceWith('https://example.com/');
    expect(contents.tryNavigate('file:///etc/passwd')).toBe(false);
    expect(contents.tryNavigate('javascript:alert(1)')).toBe(false);
    expect(openExternal).toHaveBeenCalledTimes(1);
  });

  it('blocks navigation of subframes without opening anything', () => {
    const { contents, openExternal } = locked();
    const frame = contents.addFrame('about:blank');
    expect(contents.tryNavigate('https://example.com/', frame)).toBe(false);
    expect(openExternal).not.toHaveBeenCalled();
  });

  it('blocks redirects and <webview>', () => {
    const { contents } = locked();
    for (const name of ['will-redirect', 'will-attach-webview']) {
      const event = fakeEvent({ url: 'https://example.com/' });
      contents.emit(name, event, {}, {});
      expect(event.defaultPrevented).toBe(true);
    }
  });

  it('denies every new window; http(s) ones open in the browser', () => {
    const { contents, openExternal } = locked();
    expect(contents.windowOpenHandler!({ url: 'https://example.com/x' })).toEqual({
      action: 'deny',
    });
    expect(contents.windowOpenHandler!({ url: 'file:///C:/Windows/System32/calc.exe' })).toEqual({
      action: 'deny',
    });
    expect(contents.windowOpenHandler!({ url: 'about:blank' })).toEqual({ action: 'deny' });
    expect(openExternal.mock.calls).toEqual([['https://example.com/x']]);
  });

  it('does not let a failing openExternal escape', async () => {
    const contents = new FakeWebContents();
    lockDown(contents as never, () => Promise.reject(new Error('no browser')));
    expect(contents.windowOpenHandler!({ url: 'https://example.com/' })).toEqual({
      action: 'deny',
    });
    await new Promise((r) => setTimeout(r, 0));
  });
});
