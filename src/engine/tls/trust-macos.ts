/**
 * macOS: the login keychain. `add-trusted-cert -d` records the trust as an admin trust
 * setting; macOS asks for the user's password itself (a system dialog), so no sudo.
 * Not run on this project's CI (Linux); the commands follow `man security`.
 */
import { join } from 'node:path';
import { runCommand } from './run-command.js';
import {
  certificateIds,
  resolveOptions,
  runAll,
  type CaFile,
  type TrustStatus,
  type TrustStore,
  type TrustStoreOptions,
} from './trust-store.js';

export class MacKeychainStore implements TrustStore {
  readonly name = 'macOS login keychain';
  readonly scope = 'user' as const;
  readonly keychain: string;

  constructor(options: TrustStoreOptions = {}) {
    this.keychain = join(resolveOptions(options).home, 'Library', 'Keychains', 'login.keychain-db');
  }

  async status(ca: CaFile): Promise<TrustStatus> {
    // verify-cert evaluates the CA against the trust settings: -l accepts a CA as the
    // certificate under test, -L uses local certificates only (no network fetches).
    const r = await runCommand(['security', 'verify-cert', '-c', ca.path, '-l', '-L']);
    if (r.missing) return { trusted: false, detail: 'the `security` tool is not available' };
    if (r.code === 0) return { trusted: true, detail: `trusted (${this.keychain})` };
    const why = (r.stderr || r.stdout).trim().split('\n')[0] ?? '';
    return { trusted: false, detail: `not trusted${why ? ` (${why})` : ''}` };
  }

  installCommands(ca: CaFile): string[][] {
    return [
      ['security', 'add-trusted-cert', '-d', '-r', 'trustRoot', '-k', this.keychain, ca.path],
    ];
  }

  removeCommands(ca: CaFile): string[][] {
    return [
      ['security', 'remove-trusted-cert', '-d', ca.path],
      ['security', 'delete-certificate', '-Z', certificateIds(ca.pem).sha1, this.keychain],
    ];
  }

  install(ca: CaFile): Promise<void> {
    return runAll(this.name, this.installCommands(ca));
  }

  remove(ca: CaFile): Promise<void> {
    return runAll(this.name, this.removeCommands(ca));
  }
}
