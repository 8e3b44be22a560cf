/**
 * The opt-in hosts-file sync behind the API's syncHostsFile: the marked block of
 * hosts-file.ts written to the hosts file. Where this process may not write it (the usual
 * case), the new text goes to `<data dir>/hosts.switchyard` and the answer carries the one
 * command that copies it over, for the desktop app to run behind the system's password
 * prompt (src/main/elevation.ts) or for the user to run. Nothing is written when the file
 * already says the same, so asking again after the copy succeeds without rights.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApiResult } from '../../shared/api.js';
import { hostsBlockOf, withHostsBlock } from './hosts-file.js';

export interface HostsSyncOptions {
  hostsFile: string;
  dataDir: string;
  platform?: NodeJS.Platform;
  /** How the file is written (tests stand in for a file only root may write). */
  write?: (file: string, text: string) => Promise<void>;
}

export async function syncHosts(
  hosts: readonly string[],
  options: HostsSyncOptions,
): Promise<ApiResult<'syncHostsFile'>> {
  const file = options.hostsFile;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { ok: false, message: `cannot read ${file}: ${(error as Error).message}`, commands: [] };
  }
  const next = withHostsBlock(text, hosts);
  const listed = hostsBlockOf(next);
  const done =
    listed.length === 0
      ? `${file} has no Switchyard lines`
      : `${file} sends ${listed.join(', ')} to 127.0.0.1 and ::1`;
  if (next === text) return { ok: true, message: done, commands: [] };
  try {
    await (options.write ?? writeFile)(file, next);
    return { ok: true, message: done, commands: [] };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM')
      return {
        ok: false,
        message: `cannot write ${file}: ${(error as Error).message}`,
        commands: [],
      };
  }
  const staged = join(options.dataDir, 'hosts.switchyard');
  await writeFile(staged, next);
  const platform = options.platform ?? process.platform;
  const command =
    platform === 'win32' ? `copy /Y "${staged}" "${file}"` : `sudo cp ${staged} ${file}`;
  return {
    ok: false,
    message: `${file} needs administrator rights; the new version is in ${staged}`,
    commands: [command],
  };
}
