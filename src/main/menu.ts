/** The application menu: the routing file's commands, then Electron's standard menus. */
import { Menu, type MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  openRoutingFile(): void;
  revealRoutingFile(): void;
}

export function appMenuTemplate(
  actions: MenuActions,
  platform: NodeJS.Platform = process.platform,
): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const reveal = mac
    ? 'Reveal Routing File in Finder'
    : platform === 'win32'
      ? 'Show Routing File in Explorer'
      : 'Show Routing File in Folder';
  const file: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      {
        id: 'open-routing-file',
        label: 'Open Routing File',
        accelerator: 'CmdOrCtrl+Shift+O',
        click: () => actions.openRoutingFile(),
      },
      { id: 'reveal-routing-file', label: reveal, click: () => actions.revealRoutingFile() },
      { type: 'separator' },
      mac ? { role: 'close' } : { role: 'quit' },
    ],
  };
  return [
    ...(mac ? [{ role: 'appMenu' } satisfies MenuItemConstructorOptions] : []),
    file,
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
}

export function installAppMenu(actions: MenuActions): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(appMenuTemplate(actions)));
}
