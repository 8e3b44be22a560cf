/**
 * The tray (menu bar) icon: a tooltip with the listeners and whether traffic is being
 * captured, and a menu to open the window, pause or resume capture, and quit. It reads
 * the status through the same API the window uses, so both always agree.
 */
import { Menu, Tray, nativeImage, type MenuItemConstructorOptions } from 'electron';
import type { EngineStatus, ProxyApi } from '../shared/api.js';

export interface TrayActions {
  openWindow(): void;
  quit(): void;
}

export function trayTooltip(status: EngineStatus | undefined): string {
  if (!status) return 'Switchyard';
  const listeners =
    status.listeners.length === 0
      ? 'no listeners'
      : status.listeners.map((l) => `${l.name} ${l.url}`).join(', ');
  const capture = status.capture.paused
    ? 'capture paused'
    : `capturing (${status.capture.entries} exchanges)`;
  return `Switchyard: ${listeners}; ${capture}`;
}

export function trayMenuTemplate(
  status: EngineStatus | undefined,
  actions: TrayActions & { setCapturePaused(paused: boolean): void },
): MenuItemConstructorOptions[] {
  const paused = status?.capture.paused ?? false;
  return [
    { id: 'open', label: 'Open Switchyard', click: () => actions.openWindow() },
    { type: 'separator' },
    {
      id: 'capture',
      label: paused ? 'Resume Capture' : 'Pause Capture',
      enabled: status !== undefined,
      click: () => actions.setCapturePaused(!paused),
    },
    { type: 'separator' },
    { id: 'quit', label: 'Quit Switchyard', click: () => actions.quit() },
  ];
}

export class AppTray {
  readonly #tray: Tray;
  readonly #api: ProxyApi;
  readonly #actions: TrayActions;

  constructor(iconPath: string, api: ProxyApi, actions: TrayActions) {
    let icon = nativeImage.createFromPath(iconPath);
    // The menu bar wants a small image; other trays scale what they get.
    if (process.platform === 'darwin' && !icon.isEmpty())
      icon = icon.resize({ width: 16, height: 16 });
    this.#tray = new Tray(icon);
    this.#api = api;
    this.#actions = actions;
    this.#show(undefined);
    void this.refresh();
  }

  /** Reads the status again and rebuilds tooltip and menu. */
  async refresh(): Promise<void> {
    let status: EngineStatus | undefined;
    try {
      status = await this.#api.getStatus();
    } catch {
      status = undefined;
    }
    if (!this.#tray.isDestroyed()) this.#show(status);
  }

  destroy(): void {
    if (!this.#tray.isDestroyed()) this.#tray.destroy();
  }

  #show(status: EngineStatus | undefined): void {
    this.#tray.setToolTip(trayTooltip(status));
    this.#tray.setContextMenu(
      Menu.buildFromTemplate(
        trayMenuTemplate(status, {
          ...this.#actions,
          setCapturePaused: (paused) => {
            this.#api
              .setCapturePaused(paused)
              .catch((error: unknown) => console.error('switchyard: capture toggle failed:', error))
              .finally(() => void this.refresh());
          },
        }),
      ),
    );
  }
}
