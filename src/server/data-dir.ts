/**
 * The data folder (local CA, saved state). The same folder the desktop app uses as its
 * Electron `userData`, so the headless command and the app share one CA that a user
 * trusts once.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform = process.platform,
): string {
  const home = homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Switchyard');
  if (platform === 'win32')
    return join(env['APPDATA'] ?? join(home, 'AppData', 'Roaming'), 'Switchyard');
  return join(env['XDG_CONFIG_HOME'] ?? join(home, '.config'), 'Switchyard');
}
