/**
 * The NSS trust store against real NSS databases (certutil from libnss3-tools), in
 * temporary folders: the way Chrome/Chromium on Linux and Firefox keep their roots.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '../../src/engine/tls/authority.js';
import { NssDatabaseStore } from '../../src/engine/tls/trust-nss.js';
import type { CaFile } from '../../src/engine/tls/trust-store.js';
import { trustStoresFor } from '../../src/engine/tls/trust-stores.js';

const run = promisify(execFile);
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'switchyard-nss-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function newCa(name: string): Promise<CaFile> {
  const ca = await CertificateAuthority.open(join(tmp, name));
  return { path: ca.paths.cert, pem: ca.certPem };
}

/** certutil's own listing: nickname and trust flags per line. */
async function listing(db: string): Promise<string> {
  return (await run('certutil', ['-d', `sql:${db}`, '-L'])).stdout;
}

describe('NssDatabaseStore', () => {
  it('installs, reports trusted, replaces an earlier CA, removes, reports not trusted', async () => {
    const db = join(tmp, 'nssdb');
    await run('mkdir', ['-p', db]);
    await run('certutil', ['-N', '-d', `sql:${db}`, '--empty-password']);
    const store = new NssDatabaseStore(db, { label: 'test' });
    const ca = await newCa('one');

    expect(await store.status(ca)).toEqual({
      trusted: false,
      detail: 'not trusted: the CA is not in it',
    });
    await store.install(ca);
    expect(await store.status(ca)).toEqual({ trusted: true, detail: 'trusted (C,,)' });
    expect(await listing(db)).toMatch(/^Switchyard Local CA\s+C,,\s*$/m);
    await store.install(ca); // again: still one
    expect((await listing(db)).match(/Switchyard Local CA/g)).toHaveLength(1);

    // A reissued CA: the database shows the old one as "another certificate", and
    // installing the new one replaces it.
    const next = await newCa('two');
    expect((await store.status(next)).detail).toMatch(/another certificate named/);
    await store.install(next);
    expect(await store.status(next)).toMatchObject({ trusted: true });
    expect(await store.status(ca)).toMatchObject({ trusted: false });
    expect((await listing(db)).match(/Switchyard Local CA/g)).toHaveLength(1);

    await store.remove();
    expect(await store.status(next)).toEqual({
      trusted: false,
      detail: 'not trusted: the CA is not in it',
    });
    expect(await listing(db)).not.toMatch(/Switchyard/);
  });

  it('creates ~/.pki/nssdb for Chromium when it does not exist yet', async () => {
    const home = join(tmp, 'home');
    const ca = await newCa('three');
    const stores = await trustStoresFor('linux', { home, isRoot: false });
    const chrome = stores.find((s) => s.name.includes('Chrome'));
    if (!chrome) throw new Error('no Chrome store');
    expect((await chrome.status(ca)).detail).toMatch(/does not exist yet/);
    expect(chrome.installCommands(ca).map((c) => c.slice(0, 2))).toEqual([
      ['mkdir', '-p'],
      ['certutil', '-d'],
      ['certutil', '-d'],
    ]);
    await chrome.install(ca);
    expect(await chrome.status(ca)).toEqual({ trusted: true, detail: 'trusted (C,,)' });
    expect((await stat(join(home, '.pki/nssdb'))).mode & 0o777).toBe(0o700);
    // The system store in the same list was not touched: it needs root, refuses instead.
    const system = stores.find((s) => s.scope === 'system');
    await expect(system?.install(ca)).rejects.toThrow(/needs administrator rights/);
  });
});
