/**
 * The trust stores of a platform, found on this machine: what `switchyard ca status`
 * reports on and `ca trust` installs into.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LinuxSystemStore } from './trust-linux.js';
import { MacKeychainStore } from './trust-macos.js';
import { NssDatabaseStore } from './trust-nss.js';
import { resolveOptions, type TrustStore, type TrustStoreOptions } from './trust-store.js';
import { WindowsRootStore } from './trust-windows.js';

/** Firefox keeps one NSS database per profile; the snap and Flatpak builds elsewhere. */
const FIREFOX_ROOTS = [
  ['.mozilla/firefox', 'Firefox'],
  ['snap/firefox/common/.mozilla/firefox', 'Firefox snap'],
  ['.var/app/org.mozilla.firefox/.mozilla/firefox', 'Firefox Flatpak'],
] as const;

async function firefoxProfiles(home: string): Promise<NssDatabaseStore[]> {
  const stores: NssDatabaseStore[] = [];
  for (const [folder, label] of FIREFOX_ROOTS) {
    let entries: string[];
    try {
      entries = (await readdir(join(home, folder), { withFileTypes: true }))
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort();
    } catch {
      continue;
    }
    for (const profile of entries) {
      const store = new NssDatabaseStore(join(home, folder, profile), { label, home });
      if (store.exists()) stores.push(store);
    }
  }
  return stores;
}

export async function trustStoresFor(
  platform: NodeJS.Platform = process.platform,
  options: TrustStoreOptions = {},
): Promise<TrustStore[]> {
  const { home } = resolveOptions(options);
  if (platform === 'darwin') return [new MacKeychainStore(options)];
  if (platform === 'win32') return [new WindowsRootStore()];
  if (platform !== 'linux') return [];
  const stores: TrustStore[] = [
    new LinuxSystemStore(options),
    new NssDatabaseStore(join(home, '.pki/nssdb'), {
      label: 'Chrome/Chromium',
      home,
      create: true,
    }),
  ];
  const chromiumSnap = new NssDatabaseStore(join(home, 'snap/chromium/current/.pki/nssdb'), {
    label: 'Chromium snap',
    home,
  });
  if (chromiumSnap.exists()) stores.push(chromiumSnap);
  stores.push(...(await firefoxProfiles(home)));
  return stores;
}
