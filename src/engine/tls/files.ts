/**
 * Files of the local CA. Private keys are written 0600 inside 0700 folders; every write
 * goes through a temporary file and a rename, so a reader never sees half a key. On
 * Windows the modes are not enforced (the data folder sits in the user's own profile,
 * whose ACL already keeps other users out).
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
export const PUBLIC_FILE_MODE = 0o644;

/** Create the folder (and parents) if needed, and tighten it to 0700 even if it existed. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if ((await stat(dir)).mode & 0o077) await chmod(dir, PRIVATE_DIR_MODE);
}

/** Tighten an existing file to `mode` if it is looser; no-op when the file is missing. */
export async function tighten(path: string, mode: number): Promise<void> {
  try {
    if ((await stat(path)).mode & 0o777 & ~mode) await chmod(path, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export interface WriteOptions {
  mode: number;
  /** Fail with EEXIST instead of replacing an existing file. */
  exclusive?: boolean;
  /** fsync before the rename: for the CA, written once; leaves skip it (a torn leaf is
   * detected on load and issued again, cheaper than a sync on every first handshake). */
  durable?: boolean;
}

async function writeNew(path: string, data: string, options: WriteOptions): Promise<void> {
  const handle = await open(path, 'wx', options.mode);
  try {
    await handle.writeFile(data);
    if (options.durable) await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(path, options.mode); // the umask may have removed bits; never adds any
}

/**
 * Write through a temporary file, then publish it: `rename` replaces an existing file;
 * `exclusive` publishes with `link`, the atomic "create only if absent" that two processes
 * creating the CA at the same moment need (the loser reads the winner's files).
 */
export async function writeFileSafely(
  path: string,
  data: string,
  options: WriteOptions,
): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeNew(tmp, data, options);
  try {
    if (!options.exclusive) return await rename(tmp, path);
    try {
      await link(tmp, path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw error;
      // File systems without hard links (FAT, some network shares): plain exclusive create.
      await writeNew(path, data, options);
    }
  } finally {
    await rm(tmp, { force: true });
  }
}
