/**
 * The trust stores' commands and status checks that need no real OS store. The NSS store
 * runs against a real database in test/integration/tls-nss.test.ts; the system stores are
 * never changed by tests.
 */
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '../../../../src/engine/tls/authority.js';
import { formatCommand } from '../../../../src/engine/tls/run-command.js';
import { LinuxSystemStore, detectLayout } from '../../../../src/engine/tls/trust-linux.js';
import { MacKeychainStore } from '../../../../src/engine/tls/trust-macos.js';
import {
  ElevationRequiredError,
  nodeTrustHint,
  type CaFile,
} from '../../../../src/engine/tls/trust-store.js';
import { trustStoresFor } from '../../../../src/engine/tls/trust-stores.js';
import { WindowsRootStore } from '../../../../src/engine/tls/trust-windows.js';

let tmp: string;
let ca: CaFile;
let serial: string;
let sha1: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'switchyard-trust-'));
  const authority = await CertificateAuthority.open(join(tmp, 'data'));
  ca = { path: authority.paths.cert, pem: authority.certPem };
  const cert = new X509Certificate(ca.pem);
  serial = cert.serialNumber;
  sha1 = cert.fingerprint.replaceAll(':', '');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A file-system root laid out like one distribution family. */
async function fakeRoot(name: string, folders: string[]): Promise<string> {
  const root = join(tmp, name);
  for (const f of folders) await mkdir(join(root, f), { recursive: true });
  return root;
}

describe('macOS login keychain', () => {
  it('adds and removes the CA with `security`, as the user', () => {
    const store = new MacKeychainStore({ home: '/Users/ada' });
    expect(store.scope).toBe('user');
    expect(store.installCommands(ca)).toEqual([
      [
        'security',
        'add-trusted-cert',
        '-d',
        '-r',
        'trustRoot',
        '-k',
        '/Users/ada/Library/Keychains/login.keychain-db',
        ca.path,
      ],
    ]);
    expect(store.removeCommands(ca)).toEqual([
      ['security', 'remove-trusted-cert', '-d', ca.path],
      [
        'security',
        'delete-certificate',
        '-Z',
        sha1,
        '/Users/ada/Library/Keychains/login.keychain-db',
      ],
    ]);
  });
});

describe('Windows current-user Root store', () => {
  it('adds with certutil -user and removes by serial number', () => {
    const store = new WindowsRootStore();
    expect(store.installCommands(ca)).toEqual([
      ['certutil', '-user', '-addstore', 'Root', ca.path],
    ]);
    expect(store.removeCommands(ca)).toEqual([['certutil', '-user', '-delstore', 'Root', serial]]);
  });
});

describe('Linux system anchors', () => {
  it('knows the Debian, Fedora and Arch layouts by their folders', async () => {
    const debian = await fakeRoot('debian', ['usr/local/share/ca-certificates', 'etc/ssl/certs']);
    const fedora = await fakeRoot('fedora', ['etc/pki/ca-trust/source/anchors']);
    const arch = await fakeRoot('arch', ['etc/ca-certificates/trust-source/anchors']);
    const other = await fakeRoot('other', ['etc']);

    const anchor = join(debian, 'usr/local/share/ca-certificates/switchyard.crt');
    expect(new LinuxSystemStore({ root: debian }).installCommands(ca)).toEqual([
      ['install', '-m', '0644', ca.path, anchor],
      ['update-ca-certificates'],
    ]);
    expect(new LinuxSystemStore({ root: debian }).removeCommands(ca)).toEqual([
      ['rm', '-f', anchor],
      ['update-ca-certificates', '--fresh'],
    ]);
    const fedoraAnchor = join(fedora, 'etc/pki/ca-trust/source/anchors/switchyard.pem');
    expect(new LinuxSystemStore({ root: fedora }).installCommands(ca)).toEqual([
      ['install', '-m', '0644', ca.path, fedoraAnchor],
      ['update-ca-trust', 'extract'],
    ]);
    expect(new LinuxSystemStore({ root: arch }).installCommands(ca)).toEqual([
      ['trust', 'anchor', '--store', ca.path],
    ]);
    expect(new LinuxSystemStore({ root: arch }).removeCommands(ca)).toEqual([
      ['trust', 'anchor', '--remove', ca.path],
    ]);
    expect(detectLayout(other)).toBeUndefined();
    const unknown = new LinuxSystemStore({ root: other, isRoot: true });
    expect((await unknown.status(ca)).detail).toMatch(/unknown distribution.*by hand/);
    await expect(unknown.install(ca)).rejects.toThrow(/add .*ca\.pem to its CA anchors by hand/);
  });

  it('without root, refuses with the exact sudo commands instead of running anything', async () => {
    const root = await fakeRoot('debian-sudo', ['usr/local/share/ca-certificates']);
    const store = new LinuxSystemStore({ root, isRoot: false });
    const anchor = join(root, 'usr/local/share/ca-certificates/switchyard.crt');
    const error = await store.install(ca).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ElevationRequiredError);
    expect((error as ElevationRequiredError).commands).toEqual([
      `sudo install -m 0644 ${ca.path} ${anchor}`,
      'sudo update-ca-certificates',
    ]);
    await expect(store.remove(ca)).rejects.toThrow(/needs administrator rights.*\n.*sudo rm -f/);
  });

  it('reads the status from the anchor file and the rebuilt bundle', async () => {
    const root = await fakeRoot('debian-status', [
      'usr/local/share/ca-certificates',
      'etc/ssl/certs',
    ]);
    const store = new LinuxSystemStore({ root, isRoot: false });
    expect(await store.status(ca)).toEqual({
      trusted: false,
      detail: `not trusted (not in ${join(root, 'etc/ssl/certs/ca-certificates.crt')})`,
    });
    await writeFile(join(root, 'usr/local/share/ca-certificates/switchyard.crt'), ca.pem);
    expect((await store.status(ca)).detail).toMatch(
      /is in place but .* was not rebuilt; run: sudo update-ca-certificates$/,
    );
    // A bundle as update-ca-certificates writes it: other roots around ours.
    const other = await readFile('/etc/ssl/certs/ca-certificates.crt', 'utf8').catch(() => '');
    await writeFile(join(root, 'etc/ssl/certs/ca-certificates.crt'), `${other}\n${ca.pem}\n`);
    expect(await store.status(ca)).toMatchObject({ trusted: true });
  });
});

describe('trustStoresFor', () => {
  it('finds the system store, Chrome’s NSS database and every Firefox profile on Linux', async () => {
    const home = join(tmp, 'home');
    for (const profile of [
      '.mozilla/firefox/abc.default-release',
      'snap/firefox/common/.mozilla/firefox/snap.default',
    ]) {
      await mkdir(join(home, profile), { recursive: true });
      await writeFile(join(home, profile, 'cert9.db'), '');
    }
    await mkdir(join(home, '.mozilla/firefox/never-started'), { recursive: true });
    const stores = await trustStoresFor('linux', { home });
    expect(stores.map((s) => [s.name, s.scope])).toEqual([
      ['Linux system trust store (curl, OpenSSL, Python, Go)', 'system'],
      ['NSS database ~/.pki/nssdb (Chrome/Chromium)', 'user'],
      ['NSS database ~/.mozilla/firefox/abc.default-release (Firefox)', 'user'],
      ['NSS database ~/snap/firefox/common/.mozilla/firefox/snap.default (Firefox snap)', 'user'],
    ]);
    expect((await trustStoresFor('darwin', { home })).map((s) => s.name)).toEqual([
      'macOS login keychain',
    ]);
    expect((await trustStoresFor('win32')).map((s) => s.name)).toEqual([
      'Windows current-user Root store',
    ]);
    expect(await trustStoresFor('aix')).toEqual([]);
  });
});

describe('hints', () => {
  it('tells Node users about NODE_EXTRA_CA_CERTS, quoted for their shell', () => {
    expect(nodeTrustHint('/home/ada/.config/Switchyard/ca/ca.pem', 'linux')).toBe(
      'export NODE_EXTRA_CA_CERTS=/home/ada/.config/Switchyard/ca/ca.pem',
    );
    expect(
      nodeTrustHint('/Users/ada/Library/Application Support/Switchyard/ca/ca.pem', 'darwin'),
    ).toBe(
      "export NODE_EXTRA_CA_CERTS='/Users/ada/Library/Application Support/Switchyard/ca/ca.pem'",
    );
    expect(nodeTrustHint('C:\\Users\\Ada Lovelace\\ca.pem', 'win32')).toBe(
      "$env:NODE_EXTRA_CA_CERTS = 'C:\\Users\\Ada Lovelace\\ca.pem'",
    );
    expect(formatCommand(['certutil', '-n', "Ada's CA"], 'linux')).toBe(
      `certutil -n 'Ada'\\''s CA'`,
    );
  });
});
