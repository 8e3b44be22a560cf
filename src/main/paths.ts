/**
 * Where the built app finds its parts. out/main/index.js is the entry; the preload, the
 * renderer and resources/ sit beside it in the package (electron-builder.yml `files`).
 */
import { join, sep } from 'node:path';

export interface AppPaths {
  preload: string;
  renderer: string;
  trayIcon: string;
}

/**
 * Files Electron hands to the operating system (the tray icon) must be real files, so
 * resources/ is unpacked from the asar archive (asarUnpack) and read from there.
 */
export function unpacked(path: string): string {
  return path.replace(`${sep}app.asar${sep}`, `${sep}app.asar.unpacked${sep}`);
}

/** `mainDir` is the folder of out/main/index.js. */
export function appPaths(mainDir: string): AppPaths {
  return {
    preload: join(mainDir, '../preload/index.cjs'),
    renderer: join(mainDir, '../renderer/index.html'),
    trayIcon: unpacked(join(mainDir, '../../resources/icon.png')),
  };
}
