/**
 * The desktop app's routing file: `switchyard.yaml` in the app's data folder (Electron's
 * userData, the same folder the headless command uses by default). Reading it at start,
 * and the menu's Open / Reveal commands.
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Dialog, Shell } from 'electron';
import { formatProblems, loadRoutingFile } from '../engine/config-file.js';
import type { RoutingConfig } from '../shared/config.js';
import { STARTER_CONFIG } from '../server/starter-config.js';

export const ROUTING_FILE_NAME = 'switchyard.yaml';

export function routingFilePath(dataDir: string): string {
  return join(dataDir, ROUTING_FILE_NAME);
}

export type StartConfig =
  | { kind: 'file'; config: RoutingConfig }
  /** First run: no file yet, so the app starts the demo. */
  | { kind: 'missing' }
  /** The file exists but is not valid: nothing starts, and the user is told why. */
  | { kind: 'invalid'; message: string };

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (error) {
    // Anything but "not there" (permissions, a folder) is for loadRoutingFile to report.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

export async function readStartConfig(path: string): Promise<StartConfig> {
  if (!(await exists(path))) return { kind: 'missing' };
  const result = await loadRoutingFile(path);
  if (result.ok) return { kind: 'file', config: result.config };
  return { kind: 'invalid', message: formatProblems(result.problems) };
}

type Host = {
  shell: Pick<Shell, 'openPath' | 'showItemInFolder'>;
  dialog: Pick<Dialog, 'showMessageBox' | 'showErrorBox'>;
};

/** Opens the file in the user's editor; offers a commented starter file when there is none. */
export async function openRoutingFile(path: string, { shell, dialog }: Host): Promise<void> {
  if (!(await exists(path))) {
    const { response } = await dialog.showMessageBox({
      type: 'question',
      buttons: ['Create Starter File', 'Cancel'],
      defaultId: 0,
      cancelId: 1,
      message: 'There is no routing file yet',
      detail: `Switchyard is running its demo. Create a commented starter file at ${path}? Switchyard reads it the next time it starts.`,
    });
    if (response !== 0) return;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, STARTER_CONFIG, { flag: 'wx' }).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    });
  }
  const failure = await shell.openPath(path);
  if (failure) dialog.showErrorBox('Could not open the routing file', `${path}: ${failure}`);
}

export async function revealRoutingFile(
  path: string,
  { shell }: Pick<Host, 'shell'>,
): Promise<void> {
  if (await exists(path)) shell.showItemInFolder(path);
  else {
    await mkdir(dirname(path), { recursive: true });
    await shell.openPath(dirname(path));
  }
}
