/**
 * The desktop app's main process: lifecycle only. One instance, one window, the engine
 * started from the routing file (or the first-run demo), the IPC bridge, the tray and the
 * menu. The rules live in small modules beside this one: security.ts (window and
 * session), ipc.ts (the bridge), host-api.ts and elevation.ts (CA trust with a password
 * prompt), routing-file.ts, tray.ts, menu.ts; the demo is the engine's (src/engine/demo.ts).
 */
import { dirname } from 'node:path';
import { app, BrowserWindow, dialog, session, shell } from 'electron';
import { startDemo, type Demo } from '../engine/demo.js';
import { EngineApi } from '../engine/engine-api.js';
import { Engine } from '../engine/engine.js';
import { defaultDataDir } from '../server/data-dir.js';
import { emptyConfig } from '../shared/config.js';
import { openCliAccess } from './cli-access.js';
import { sudoPrompt } from './elevation.js';
import { hostApi } from './host-api.js';
import { registerIpc } from './ipc.js';
import { installAppMenu } from './menu.js';
import { appPaths } from './paths.js';
import {
  openRoutingFile,
  readStartConfig,
  revealRoutingFile,
  routingFilePath,
} from './routing-file.js';
import {
  appUrlCheck,
  applySessionPolicy,
  lockDown,
  senderCheck,
  windowOptions,
  type RendererSource,
} from './security.js';
import { AppTray } from './tray.js';

/** How long open exchanges may finish when the app quits before sockets are cut. */
const QUIT_GRACE_MS = 3_000;

const paths = appPaths(import.meta.dirname);
// electron-vite sets this in `electron-vite dev`; a packaged or previewed app loads files.
const devServerUrl = process.env['ELECTRON_RENDERER_URL'];
const renderer: RendererSource = devServerUrl ? { devServerUrl } : { file: paths.renderer };
const isAppUrl = appUrlCheck(renderer);

interface Running {
  engine: Engine;
  engineApi: EngineApi;
  demo?: Demo;
  tray?: AppTray;
  disposeIpc?: () => void;
  closeCliAccess?: () => Promise<void>;
}

let running: Running | undefined;
let mainWindow: BrowserWindow | undefined;

// Every renderer is sandboxed, including any a later feature might create.
app.enableSandbox();
// One data folder (routing file, local CA) for the app and the headless command, which a
// user trusts once. Electron would derive it from the package name, lower case on Linux.
// Set before the single-instance lock, which lives in it.
app.setPath('userData', defaultDataDir());

if (!app.requestSingleInstanceLock()) {
  // Another Switchyard already owns the listeners; it focuses its window (below).
  app.quit();
} else {
  app.on('second-instance', () => showWindow());
  app.on('web-contents-created', (_event, contents) =>
    lockDown(contents, (url) => shell.openExternal(url)),
  );
  app.on('before-quit', closeBeforeQuit);
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => showWindow());
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      dialog.showErrorBox('Switchyard could not start', messageOf(error));
      app.exit(1);
    });
}

async function start(): Promise<void> {
  applySessionPolicy(session.defaultSession);

  const dataDir = app.getPath('userData');
  const routingFile = routingFilePath(dataDir);
  const engine = new Engine({ dataDir, configDir: dirname(routingFile) });
  const engineApi = new EngineApi(engine, {
    host: 'electron',
    version: app.getVersion(),
    configPath: routingFile,
  });
  const current: Running = { engine, engineApi };
  running = current;
  current.demo = await startEngine(engine, routingFile);

  const tray = new AppTray(paths.trayIcon, engineApi, {
    openWindow: () => showWindow(),
    quit: () => app.quit(),
  });
  current.tray = tray;
  engineApi.events.on('config', () => void tray.refresh());

  current.disposeIpc = registerIpc({
    api: hostApi(engineApi, {
      elevate: sudoPrompt(),
      statusChanged: () => void tray.refresh(),
      demo: current.demo !== undefined,
    }),
    events: engineApi.events,
    isTrustedSender: senderCheck(() => mainWindow, isAppUrl),
  });
  // `switchyard run` in a terminal registers its apps with this app.
  openCliAccess(engineApi, {
    dataDir,
    version: app.getVersion(),
    configPath: routingFile,
    rendererIndex: paths.renderer,
  }).then(
    (close) => {
      current.closeCliAccess = close;
    },
    (error: unknown) => console.error('Switchyard: switchyard run cannot reach this app:', error),
  );
  installAppMenu({
    openRoutingFile: () => void openRoutingFile(routingFile, { shell, dialog }).catch(report),
    revealRoutingFile: () => void revealRoutingFile(routingFile, { shell }).catch(report),
  });
  showWindow();
}

/** Applies the routing file; the demo when there is none. Returns the demo if it runs. */
async function startEngine(engine: Engine, routingFile: string): Promise<Demo | undefined> {
  const start = await readStartConfig(routingFile);
  if (start.kind === 'invalid') {
    dialog.showErrorBox(
      'Switchyard ignored its routing file',
      `${routingFile} has problems, so no listeners were started:\n\n${start.message}`,
    );
    await engine.apply(emptyConfig());
    return undefined;
  }
  const demo = start.kind === 'missing' ? await startDemo() : undefined;
  try {
    await engine.apply(start.kind === 'file' ? start.config : demo!.config);
  } catch (error) {
    // Keep the window up so the user sees the app even when, say, a port is taken.
    dialog.showErrorBox('Switchyard could not start its listeners', messageOf(error));
  }
  return demo;
}

function showWindow(): void {
  // Still starting (no IPC handlers yet): start() opens the window when it is done.
  if (!running?.disposeIpc) return;
  if (mainWindow && !mainWindow.isDestroyed()) {
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.show();
    mainWindow.focus();
    return;
  }
  const window = new BrowserWindow(windowOptions(paths.preload));
  mainWindow = window;
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = undefined;
  });
  // The routes editor refuses to unload while its draft is not applied or saved; Electron
  // would then silently keep the window open, so ask the user instead.
  window.webContents.on('will-prevent-unload', (event) => {
    const choice = dialog.showMessageBoxSync(window, {
      type: 'question',
      buttons: ['Leave', 'Stay'],
      defaultId: 1,
      cancelId: 1,
      message: 'Leave Switchyard with unsaved route changes?',
      detail: 'Changes that were not applied or saved will be lost.',
    });
    if (choice === 0) event.preventDefault();
  });
  if ('devServerUrl' in renderer) void window.loadURL(renderer.devServerUrl);
  else void window.loadFile(renderer.file);
}

let closed = false;
let closing = false;

/**
 * Electron does not wait for promises in `before-quit`, so the first quit is held back
 * until the engine has drained its listeners and the demo backends have stopped, then
 * repeated.
 */
function closeBeforeQuit(event: Electron.Event): void {
  if (!running || closed) return;
  event.preventDefault();
  if (closing) return;
  closing = true;
  const { engine, engineApi, demo, tray, disposeIpc, closeCliAccess } = running;
  disposeIpc?.();
  tray?.destroy();
  Promise.resolve(closeCliAccess?.())
    .then(() => {
      engineApi.close();
      return engine.close({ graceMs: QUIT_GRACE_MS });
    })
    .then(() => demo?.close())
    .catch((error: unknown) => console.error('Switchyard: closing the engine failed:', error))
    .finally(() => {
      closed = true;
      app.quit();
    });
}

function report(error: unknown): void {
  dialog.showErrorBox('Switchyard', messageOf(error));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
