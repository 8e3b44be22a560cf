/**
 * The hosts-file sync: writes the block where it may, and where it may not, stages the new
 * text and names the one command that copies it over; a second call after the copy needs
 * no rights because nothing changes.
 */
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { syncHosts } from '../../../../src/engine/apps/hosts-sync.js';

async function hostsFile(text: string): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-hosts-'));
  const file = join(dir, 'hosts');
  await writeFile(file, text);
  return { dir, file };
}

it('writes the apps into a hosts file it may write, and takes them out again', async () => {
  const { dir, file } = await hostsFile('127.0.0.1 localhost\n');
  const added = await syncHosts(['shop.localhost', 'api.localhost'], {
    hostsFile: file,
    dataDir: dir,
  });
  expect(added).toEqual({
    ok: true,
    message: `${file} sends api.localhost, shop.localhost to 127.0.0.1 and ::1`,
    commands: [],
  });
  const text = await readFile(file, 'utf8');
  expect(text.startsWith('127.0.0.1 localhost\n')).toBe(true);
  expect(text).toContain('127.0.0.1 shop.localhost');
  expect(text).toContain('::1 api.localhost');
  const removed = await syncHosts([], { hostsFile: file, dataDir: dir });
  expect(removed.ok).toBe(true);
  expect(await readFile(file, 'utf8')).toBe('127.0.0.1 localhost\n');
});

it('stages the text and names the copy command where the file needs administrator rights', async () => {
  const { dir, file } = await hostsFile('127.0.0.1 localhost\n');
  const denied = async (): Promise<void> => {
    throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
  };
  const first = await syncHosts(['shop.localhost'], {
    hostsFile: file,
    dataDir: dir,
    write: denied,
    platform: 'linux',
  });
  const staged = join(dir, 'hosts.switchyard');
  expect(first).toEqual({
    ok: false,
    message: `${file} needs administrator rights; the new version is in ${staged}`,
    commands: [`sudo cp ${staged} ${file}`],
  });
  expect(await readFile(file, 'utf8')).toBe('127.0.0.1 localhost\n');
  // What the elevated command does; then the same call succeeds without writing.
  await copyFile(staged, file);
  const second = await syncHosts(['shop.localhost'], {
    hostsFile: file,
    dataDir: dir,
    write: denied,
  });
  expect(second).toEqual({
    ok: true,
    message: `${file} sends shop.localhost to 127.0.0.1 and ::1`,
    commands: [],
  });
});

it('refuses a name that is not a DNS name before anything is written', async () => {
  const { dir, file } = await hostsFile('127.0.0.1 localhost\n');
  await expect(
    syncHosts(['evil.localhost\n1.2.3.4 bank.com'], { hostsFile: file, dataDir: dir }),
  ).rejects.toThrow();
  expect(await readFile(file, 'utf8')).toBe('127.0.0.1 localhost\n');
});
