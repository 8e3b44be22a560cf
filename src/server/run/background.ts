/**
 * Reaching a running Switchyard from the CLI, starting one in the background when there
 * is none (`switchyard run`). Two `run`s at once must not start two proxies: the starter
 * holds `<data dir>/starting.lock` (created exclusively, naming its pid) until the new
 * instance has written instance.json; a second `run` waits for that file instead. A lock
 * whose pid is dead is stale and taken over.
 */
import { spawn } from 'node:child_process';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import { ApiConnection } from './api-connection.js';
import { liveInstance, pidAlive, type Instance } from './instance-file.js';

export interface Connected {
  connection: ApiConnection;
  instance: Instance;
  /** This call started it (in the background). */
  started: boolean;
}

const START_TIMEOUT_MS = 20_000;

async function connect(dataDir: string): Promise<Connected | undefined> {
  const instance = await liveInstance(dataDir);
  if (!instance) return undefined;
  try {
    return {
      connection: await ApiConnection.open(instance.apiUrl, instance.token),
      instance,
      started: false,
    };
  } catch {
    return undefined;
  }
}

/** The running Switchyard of this data folder, if any answers. */
export function findRunning(dataDir: string): Promise<Connected | undefined> {
  return connect(dataDir);
}

async function takeLock(path: string): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(await readFile(path, 'utf8').catch(() => ''));
      if (Number.isInteger(owner) && owner > 0 && pidAlive(owner)) return false;
      await rm(path, { force: true });
    }
  }
  return false;
}

async function lastLines(file: string, count: number): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/**
 * Connect to the running Switchyard, or start `switchyard --config FILE` detached (its
 * output goes to `<data dir>/switchyard.log`) and connect to it once it serves.
 */
export async function connectOrStart(
  dataDir: string,
  routingFile: () => Promise<string>,
): Promise<Connected> {
  const running = await connect(dataDir);
  if (running) return running;
  await mkdir(dataDir, { recursive: true });
  const lock = join(dataDir, 'starting.lock');
  const deadline = Date.now() + START_TIMEOUT_MS;
  if (!(await takeLock(lock))) {
    // Another `run` is starting it: wait for the instance it starts.
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      const other = await connect(dataDir);
      if (other) return other;
    }
    throw new Error(
      `another switchyard is starting (see ${lock}) but did not come up within ${START_TIMEOUT_MS / 1000} s`,
    );
  }
  try {
    const again = await connect(dataDir);
    if (again) return again;
    const config = await routingFile();
    const root = packageRoot();
    if (!root) throw new Error('cannot find bin/switchyard.js to start Switchyard');
    const logFile = join(dataDir, 'switchyard.log');
    const log = await open(logFile, 'a');
    const child = spawn(
      process.execPath,
      [join(root, 'bin', 'switchyard.js'), '--config', config, '--data-dir', dataDir],
      { detached: true, stdio: ['ignore', log.fd, log.fd], windowsHide: true },
    );
    await log.close();
    let exit: number | null | undefined;
    child.once('exit', (code) => {
      exit = code;
    });
    child.unref();
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      if (exit !== undefined) {
        throw new Error(
          `switchyard --config ${config} exited with code ${exit} before it served:\n${await lastLines(logFile, 15)}`,
        );
      }
      const started = await connect(dataDir);
      if (started && started.instance.pid === child.pid)
        return { connection: started.connection, instance: started.instance, started: true };
      started?.connection.close().catch(() => undefined);
    }
    child.kill();
    throw new Error(
      `switchyard did not come up within ${START_TIMEOUT_MS / 1000} s; see ${logFile}`,
    );
  } finally {
    await rm(lock, { force: true });
  }
}
