/**
 * Every security rule of the desktop window in one place (SPEC §7; Electron's security
 * checklist): the exact webPreferences, the CSP header, no navigation, no new windows,
 * no permissions, external links only for http(s), and which IPC senders are ours.
 */
import { pathToFileURL } from 'node:url';
import type {
  BrowserWindow,
  BrowserWindowConstructorOptions,
  Session,
  WebContents,
  WebFrameMain,
} from 'electron';
import { withCsp } from './csp.js';

/** Where the renderer is loaded from: the built file, or electron-vite's dev server. */
export type RendererSource = { file: string } | { devServerUrl: string };

export function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** The only page the window may show and the only sender IPC accepts. */
export function appUrlCheck(source: RendererSource): (url: string) => boolean {
  if ('devServerUrl' in source) {
    const origin = parseUrl(source.devServerUrl)?.origin;
    return (url) => origin !== undefined && origin !== 'null' && parseUrl(url)?.origin === origin;
  }
  const expected = pathToFileURL(source.file).href;
  return (url) => {
    const target = parseUrl(url);
    if (!target || target.protocol !== 'file:') return false;
    // The renderer may route with the hash; the document is the same file.
    target.hash = '';
    return target.href === expected;
  };
}

/** http(s) only: no file:, javascript:, smb:, custom schemes that launch programs. */
export function externalUrl(url: string): string | undefined {
  const target = parseUrl(url);
  return target && (target.protocol === 'http:' || target.protocol === 'https:')
    ? target.href
    : undefined;
}

export function windowOptions(preload: string): BrowserWindowConstructorOptions {
  return {
    width: 1200,
    height: 800,
    minWidth: 720,
    minHeight: 480,
    title: 'Switchyard',
    show: false,
    webPreferences: {
      preload,
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
    },
  };
}

type OpenExternal = (url: string) => Promise<void>;

/**
 * No navigation of any frame away from the loaded page (the renderer routes in-page), no
 * redirects, no <webview>, and no new windows: an http(s) link opens in the user's browser
 * instead, anything else is dropped.
 */
export function lockDown(contents: WebContents, openExternal: OpenExternal): void {
  const openOutside = (url: string): void => {
    const target = externalUrl(url);
    if (target) openExternal(target).catch(() => {});
  };
  contents.on('will-frame-navigate', (event) => {
    event.preventDefault();
    if (event.isMainFrame) openOutside(event.url);
  });
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openOutside(url);
    return { action: 'deny' };
  });
}

/** Deny every permission (camera, notifications, clipboard-read, HID, serial, …). */
export function applySessionPolicy(session: Session, csp?: string): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) =>
    callback({ responseHeaders: withCsp(details.responseHeaders, csp) }),
  );
}

interface SenderEvent {
  sender: WebContents;
  senderFrame: WebFrameMain | null;
}

/**
 * Whether an IPC message comes from our page: the main frame of our window, showing the
 * app's own URL. Frames are compared by process and routing id (WebFrameMain objects are
 * not promised to be the same JS object each time).
 */
export function senderCheck(
  getWindow: () => BrowserWindow | undefined,
  isAppUrl: (url: string) => boolean,
): (event: SenderEvent) => boolean {
  return (event) => {
    const window = getWindow();
    if (!window || window.isDestroyed()) return false;
    const contents = window.webContents;
    if (event.sender !== contents) return false;
    const frame = event.senderFrame;
    const main = contents.mainFrame;
    if (!frame || frame.parent !== null) return false;
    if (frame.processId !== main.processId || frame.routingId !== main.routingId) return false;
    return isAppUrl(frame.url);
  };
}
