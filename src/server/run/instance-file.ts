/**
 * How `switchyard run`, `alias` and `apps` find the running Switchyard: `serve` writes
 * `<data dir>/instance.json` (mode 0600, in the private data folder that also holds the
 * CA's key) with its API address and this run's access token, and removes it when it
 * stops. The CLI then talks to it through the same token-protected WebSocket API as the
 * browser UI; there is no other socket.
 *
 * A file left by a Switchyard that was killed names a dead pid, or an API that does not
 * answer: it counts as absent.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../../engine/tls/files.js';
import type { UiServer } from '../http.js';

export const instanceSchema = z.object({
  pid: z.int(),
  version: z.string(),
  /** ws://127.0.0.1:PORT/api */
  apiUrl: z.string(),
  token: z.string(),
  /** The UI's URL with the token, to print. */
  uiUrl: z.string(),
  configPath: z.string().optional(),
  startedAt: z.number(),
});
export type Instance = z.infer<typeof instanceSchema>;

export function instancePath(dataDir: string): string {
  return join(dataDir, 'instance.json');
}

export async function writeInstance(dataDir: string, instance: Instance): Promise<void> {
  await ensurePrivateDir(dataDir);
  await writeFile(instancePath(dataDir), `${JSON.stringify(instance, null, 2)}\n`, {
    mode: PRIVATE_FILE_MODE,
  });
}

/** Tell the CLI where this process's API is (the headless command and the desktop app alike). */
export function announceInstance(
  dataDir: string,
  ui: UiServer,
  options: { version: string; configPath?: string },
): Promise<void> {
  return writeInstance(dataDir, {
    pid: process.pid,
    version: options.version,
    apiUrl: ui.apiUrl,
    token: ui.token,
    uiUrl: ui.url,
    ...(options.configPath === undefined ? {} : { configPath: options.configPath }),
    startedAt: Date.now(),
  });
}

/** Remove the file if it is still this process's. */
export async function removeInstance(dataDir: string, pid = process.pid): Promise<void> {
  const current = await readInstance(dataDir);
  if (current?.pid === pid) await rm(instancePath(dataDir), { force: true });
}

export async function readInstance(dataDir: string): Promise<Instance | undefined> {
  try {
    const parsed = instanceSchema.safeParse(
      JSON.parse(await readFile(instancePath(dataDir), 'utf8')),
    );
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running instance, if its process is alive (whether its API answers is the caller's to find out). */
export async function liveInstance(dataDir: string): Promise<Instance | undefined> {
  const instance = await readInstance(dataDir);
  return instance && pidAlive(instance.pid) ? instance : undefined;
}
