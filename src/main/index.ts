import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, session, shell, type WebContents } from 'electron';
import { Engine } from '../engine/engine.js';
import { formatProblems, loadRoutingFile } from '../engine/config-file.js';
import { emptyConfig, type RoutingConfig } from '../shared/config.js';

/** How long open exchanges may finish when the app quits before sockets are cut. */
const QUIT_GRACE_MS = 3_000;

// electron-vite sets this in `electron-vite dev`; a packaged or previewed app loads files.
const devServerUrl = process.env['ELECTRON_RENDERER_URL'];
const rendererFile = join(import.meta.dirname, '../renderer/index.html');
const preloadFile = join(import.meta.dirname, '../preload/index.cjs');

let engine: Engine | undefined;
let mainWindow: BrowserWindow | undefined;

// Every renderer is sandboxed, including any a later feature might create.
app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  // Another Switchyard already owns the listeners; it focuses its window (below).
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('web-contents-created', (_event, contents) => lockDown(contents));
  app.on('before-quit', closeEngineBeforeQuit);
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => fail('Switchyard could not start', error));
}

async function start(): Promise<void> {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) =>
    callback(false),
  );

  const dataDir = app.getPath('userData');
  engine = new Engine({ dataDir });
  const config = await readRoutingFile(join(dataDir, 'switchyard.yaml'));
  try {
    await engine.apply(config);
  } catch (error) {
    // Keep the window up so the user sees the app even when, say, a port is taken.
    dialog.showErrorBox('Switchyard could not start its listeners', messageOf(error));
  }
  createWindow();
}

/** The routing file's config; an empty one (no listeners) when it is missing or invalid. */
async function readRoutingFile(path: string): Promise<RoutingConfig> {
  try {
    await access(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyConfig();
    // Anything else (permissions, a directory) is for loadRoutingFile to report.
  }
  const result = await loadRoutingFile(path);
  if (result.ok) return result.config;
  dialog.showErrorBox(
    'Switchyard ignored its routing file',
    `${path} has problems, so no listeners were started:\n\n${formatProblems(result.problems)}`,
  );
  return emptyConfig();
}

function createWindow(): void {
  const window = new BrowserWindow({
    width: 1200,
    height: 800,
    minWidth: 720,
    minHeight: 480,
    title: 'Switchyard',
    show: false,
    webPreferences: {
      preload: preloadFile,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  mainWindow = window;
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = undefined;
  });

  if (devServerUrl) void window.loadURL(devServerUrl);
  else void window.loadFile(rendererFile);
}

/** Navigation and pop-up rules for every web contents the app creates. */
function lockDown(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (isWebUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
}

function isAppUrl(url: string): boolean {
  const target = parseUrl(url);
  if (!target) return false;
  if (devServerUrl) return target.origin === parseUrl(devServerUrl)?.origin;
  target.hash = '';
  return target.href === pathToFileURL(rendererFile).href;
}

function isWebUrl(url: string): boolean {
  const protocol = parseUrl(url)?.protocol;
  return protocol === 'http:' || protocol === 'https:';
}

function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

let engineClosed = false;
let engineClosing = false;

/**
 * Electron does not wait for promises in `before-quit`, so the first quit is held back
 * until the engine has drained its listeners, then repeated.
 */
function closeEngineBeforeQuit(event: Electron.Event): void {
  if (!engine || engineClosed) return;
  event.preventDefault();
  if (engineClosing) return;
  engineClosing = true;
  engine
    .close({ graceMs: QUIT_GRACE_MS })
    .catch((error: unknown) => console.error('Switchyard: closing the engine failed:', error))
    .finally(() => {
      engineClosed = true;
      app.quit();
    });
}

function fail(title: string, error: unknown): void {
  dialog.showErrorBox(title, messageOf(error));
  app.exit(1);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
