/**
 * A stand-in for the `electron` module, for unit tests of src/main and src/preload where
 * the Electron binary cannot run. Use it with
 *
 *   vi.mock('electron', () => import('../../support/fake-electron.js'));
 *
 * It models only what main and the preload use, and records what they did: window
 * options, handlers, permission callbacks, menus, tray, URLs opened. IPC between a fake
 * renderer (`rendererIpc`) and `ipcMain` goes through structuredClone, as Electron's IPC
 * does, with `sender` and `senderFrame` set as Electron sets them. Everything else is real
 * in those tests: the engine, sockets, files.
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { vi } from 'vitest';

// ---------------------------------------------------------------------------- frames

let nextProcessId = 100;
let nextRoutingId = 1;

export class FakeWebFrameMain {
  readonly processId: number;
  readonly routingId = nextRoutingId++;
  url: string;
  readonly parent: FakeWebFrameMain | null;

  constructor(url: string, parent: FakeWebFrameMain | null, processId = nextProcessId++) {
    this.url = url;
    this.parent = parent;
    this.processId = processId;
  }

  get top(): FakeWebFrameMain {
    return this.parent ? this.parent.top : this;
  }
}

/** The `event` argument Electron passes to navigation and similar listeners. */
export class FakeEvent<T extends object = object> {
  defaultPrevented = false;
  constructor(fields?: T) {
    Object.assign(this, fields);
  }
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

export function fakeEvent<T extends object>(fields: T): FakeEvent & T {
  return new FakeEvent(fields) as FakeEvent & T;
}

// ------------------------------------------------------------------------ webContents

type WindowOpenHandler = (details: { url: string }) => { action: 'allow' | 'deny' };

export interface SentMessage {
  channel: string;
  args: unknown[];
  at: number;
}

let nextContentsId = 1;

export class FakeWebContents extends EventEmitter {
  readonly id = nextContentsId++;
  mainFrame = new FakeWebFrameMain('about:blank', null);
  readonly frames: FakeWebFrameMain[] = [];
  /** Everything main sent to this page, in order. */
  readonly sent: SentMessage[] = [];
  windowOpenHandler: WindowOpenHandler | undefined;
  /** The renderer side: listeners the page's preload registered (`rendererIpc().on`). */
  readonly renderer = new EventEmitter();
  #destroyed = false;

  send(channel: string, ...args: unknown[]): void {
    if (this.#destroyed) throw new Error('Object has been destroyed');
    const cloned = structuredClone(args);
    this.sent.push({ channel, args: cloned, at: Date.now() });
    this.renderer.emit(channel, { sender: undefined }, ...cloned);
  }

  isDestroyed(): boolean {
    return this.#destroyed;
  }

  setWindowOpenHandler(handler: WindowOpenHandler): void {
    this.windowOpenHandler = handler;
  }

  /** A child frame (an iframe) of the main frame. */
  addFrame(url: string): FakeWebFrameMain {
    const frame = new FakeWebFrameMain(url, this.mainFrame, this.mainFrame.processId);
    this.frames.push(frame);
    return frame;
  }

  /** Loads a new document: a new main frame, and `did-navigate` as Electron emits it. */
  commit(url: string): void {
    this.mainFrame = new FakeWebFrameMain(url, null);
    this.emit('did-navigate', fakeEvent({}), url, -1, '');
  }

  /** What a page-initiated navigation does: returns whether main let it happen. */
  tryNavigate(url: string, frame: FakeWebFrameMain = this.mainFrame): boolean {
    const isMainFrame = frame.parent === null;
    const details = fakeEvent({ url, isMainFrame, isSameDocument: false, frame });
    this.emit('will-frame-navigate', details);
    if (isMainFrame) this.emit('will-navigate', details, url, false, true);
    return !details.defaultPrevented;
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.emit('destroyed');
  }
}

// --------------------------------------------------------------------- BrowserWindow

export class BrowserWindow extends EventEmitter {
  static readonly windows: BrowserWindow[] = [];
  static getAllWindows(): BrowserWindow[] {
    return BrowserWindow.windows.filter((w) => !w.isDestroyed());
  }

  readonly options: Record<string, unknown>;
  readonly webContents = new FakeWebContents();
  loaded: { file?: string; url?: string } | undefined;
  visible = false;
  minimized = false;
  focused = 0;
  #destroyed = false;

  constructor(options: Record<string, unknown> = {}) {
    super();
    this.options = options;
    BrowserWindow.windows.push(this);
    app.emit('web-contents-created', fakeEvent({}), this.webContents);
  }

  loadFile(file: string): Promise<void> {
    this.loaded = { file };
    this.webContents.commit(pathToFileURL(file).href);
    return Promise.resolve();
  }

  loadURL(url: string): Promise<void> {
    this.loaded = { url };
    this.webContents.commit(url);
    return Promise.resolve();
  }

  isDestroyed(): boolean {
    return this.#destroyed;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  restore(): void {
    this.minimized = false;
  }
  show(): void {
    this.visible = true;
  }
  focus(): void {
    this.focused++;
  }
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.webContents.destroy();
    this.emit('closed');
  }
}

// ---------------------------------------------------------------------------- ipcMain

type InvokeHandler = (event: unknown, ...args: unknown[]) => unknown;

class FakeIpcMain extends EventEmitter {
  readonly handlers = new Map<string, InvokeHandler>();

  handle(channel: string, handler: InvokeHandler): void {
    // Electron refuses a second handler for a channel.
    if (this.handlers.has(channel)) {
      throw new Error(`Attempted to register a second handler for '${channel}'`);
    }
    this.handlers.set(channel, handler);
  }

  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
}

export const ipcMain = new FakeIpcMain();

/** The IPC event main sees for a message from `frame` of `contents`. */
export function ipcEvent(
  contents: FakeWebContents,
  frame: FakeWebFrameMain | null = contents.mainFrame,
): { sender: FakeWebContents; senderFrame: FakeWebFrameMain | null; processId: number } {
  return { sender: contents, senderFrame: frame, processId: frame?.processId ?? -1 };
}

export interface RendererIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  send(channel: string, ...args: unknown[]): void;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): RendererIpc;
}

/**
 * An `ipcRenderer` for a page in `contents` (by default its main frame at call time):
 * calls reach `ipcMain` with structured-cloned arguments, replies come back cloned, and
 * a missing handler rejects as Electron does.
 */
export function rendererIpc(
  contents: FakeWebContents,
  frame: () => FakeWebFrameMain | null = () => contents.mainFrame,
): RendererIpc {
  const ipc: RendererIpc = {
    async invoke(channel, ...args) {
      const handler = ipcMain.handlers.get(channel);
      const cloned = structuredClone(args);
      if (!handler) throw new Error(`No handler registered for '${channel}'`);
      return structuredClone(await handler(ipcEvent(contents, frame()), ...cloned));
    },
    send(channel, ...args) {
      ipcMain.emit(channel, ipcEvent(contents, frame()), ...structuredClone(args));
    },
    on(channel, listener) {
      contents.renderer.on(channel, listener);
      return ipc;
    },
  };
  return ipc;
}

/** The preload's `ipcRenderer`: a page with no window until a test connects one. */
const preloadContents = new FakeWebContents();
export const ipcRenderer = rendererIpc(preloadContents);
export { preloadContents };

// ---------------------------------------------------------------------- contextBridge

export const contextBridge = {
  exposed: new Map<string, unknown>(),
  exposeInMainWorld(key: string, api: unknown): void {
    if (contextBridge.exposed.has(key)) throw new Error(`Cannot bind an API on top of '${key}'`);
    contextBridge.exposed.set(key, api);
  },
};

// -------------------------------------------------------------------------------- app

class FakeApp extends EventEmitter {
  /** Paths the code under test set with app.setPath. */
  readonly paths: Record<string, string> = {};
  /** Paths a test pins (a temporary folder): they win over what the code sets. */
  readonly pinned: Record<string, string> = {};
  singleInstance = true;
  readonly enableSandbox = vi.fn();
  readonly quit = vi.fn();
  readonly exit = vi.fn();
  readonly requestSingleInstanceLock = vi.fn(() => this.singleInstance);
  #ready: Promise<void> = Promise.resolve();

  whenReady(): Promise<void> {
    return this.#ready;
  }
  /** Hold `whenReady` until the returned function is called. */
  holdReady(): () => void {
    let release = (): void => {};
    this.#ready = new Promise((resolve) => {
      release = resolve;
    });
    return release;
  }
  getPath(name: string): string {
    const path = this.pinned[name] ?? this.paths[name];
    if (!path) throw new Error(`fake app.getPath('${name}') has no path; pin one in app.pinned`);
    return path;
  }
  setPath(name: string, path: string): void {
    this.paths[name] = path;
  }
  getVersion(): string {
    return '0.0.0-test';
  }
}

export const app = new FakeApp();

// ---------------------------------------------------------------------------- session

type PermissionRequestHandler = (
  contents: unknown,
  permission: string,
  callback: (granted: boolean) => void,
  details?: unknown,
) => void;
type HeadersListener = (
  details: { url: string; responseHeaders?: Record<string, string[]> },
  callback: (response: { responseHeaders?: Record<string, string | string[]> }) => void,
) => void;

class FakeSession {
  permissionRequestHandler: PermissionRequestHandler | undefined;
  permissionCheckHandler: ((...args: unknown[]) => boolean) | undefined;
  devicePermissionHandler: ((...args: unknown[]) => boolean) | undefined;
  headersListener: HeadersListener | undefined;
  readonly webRequest = {
    onHeadersReceived: (listener: HeadersListener): void => {
      this.headersListener = listener;
    },
  };
  setPermissionRequestHandler(handler: PermissionRequestHandler): void {
    this.permissionRequestHandler = handler;
  }
  setPermissionCheckHandler(handler: (...args: unknown[]) => boolean): void {
    this.permissionCheckHandler = handler;
  }
  setDevicePermissionHandler(handler: (...args: unknown[]) => boolean): void {
    this.devicePermissionHandler = handler;
  }
}

export const session = { defaultSession: new FakeSession() };
export { FakeSession };

// ------------------------------------------------------- shell, dialog, menus, tray

export const shell = {
  openExternal: vi.fn(async (_url: string) => {}),
  openPath: vi.fn(async (_path: string) => ''),
  showItemInFolder: vi.fn((_path: string) => {}),
};

export const dialog = {
  showErrorBox: vi.fn((_title: string, _content: string) => {}),
  showMessageBox: vi.fn(async (_options: unknown) => ({ response: 1, checkboxChecked: false })),
  showMessageBoxSync: vi.fn((_window: unknown, _options: unknown) => 1),
};

export interface FakeMenu {
  template: Record<string, unknown>[];
}

export const Menu = {
  applicationMenu: undefined as FakeMenu | undefined,
  buildFromTemplate: vi.fn((template: Record<string, unknown>[]): FakeMenu => ({ template })),
  setApplicationMenu: vi.fn((menu: FakeMenu | null) => {
    Menu.applicationMenu = menu ?? undefined;
  }),
};

export class FakeNativeImage {
  constructor(readonly path: string) {}
  isEmpty(): boolean {
    return !existsSync(this.path);
  }
  resize(): FakeNativeImage {
    return this;
  }
}

export const nativeImage = {
  createFromPath: (path: string) => new FakeNativeImage(path),
};

export class Tray extends EventEmitter {
  static readonly instances: Tray[] = [];
  tooltip = '';
  menu: FakeMenu | undefined;
  #destroyed = false;
  constructor(readonly image: FakeNativeImage) {
    super();
    Tray.instances.push(this);
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setContextMenu(menu: FakeMenu): void {
    this.menu = menu;
  }
  isDestroyed(): boolean {
    return this.#destroyed;
  }
  destroy(): void {
    this.#destroyed = true;
  }
}

// ------------------------------------------------------------------------ test helpers

/** Finds a menu item by id, through submenus. */
export function findMenuItem(
  items: readonly Record<string, unknown>[],
  id: string,
): Record<string, unknown> | undefined {
  for (const item of items) {
    if (item['id'] === id) return item;
    const sub = item['submenu'];
    if (Array.isArray(sub)) {
      const found = findMenuItem(sub as Record<string, unknown>[], id);
      if (found) return found;
    }
  }
  return undefined;
}

/** Polls until `check` holds (or throws after `timeoutMs`). */
export async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export default {
  app,
  BrowserWindow,
  contextBridge,
  dialog,
  ipcMain,
  ipcRenderer,
  Menu,
  nativeImage,
  session,
  shell,
  Tray,
};
