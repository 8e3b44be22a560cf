/**
 * NSS databases: where Chrome/Chromium (on Linux) and Firefox keep the roots they trust,
 * independently of the system store. Managed with NSS's `certutil` (Debian/Ubuntu:
 * libnss3-tools, Fedora: nss-tools, Arch: nss), always as the user who owns them.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { runCommand } from './run-command.js';
import {
  TRUST_NICKNAME,
  derBase64,
  runAll,
  type CaFile,
  type TrustStatus,
  type TrustStore,
} from './trust-store.js';

const CERTUTIL_MISSING =
  'certutil not found: install libnss3-tools (Debian/Ubuntu), nss-tools (Fedora) or nss (Arch)';

/** "C,," : a trusted CA for TLS servers, nothing else (not e-mail, not code signing). */
const TRUST_FLAGS = 'C,,';

export interface NssDatabaseOptions {
  /** Which browser reads it, for the store's name. */
  label: string;
  /** For display: shown as ~/... when the database is under it. */
  home?: string;
  /**
   * Create the database when it is missing. Right for ~/.pki/nssdb, which Chromium reads
   * from its first start on; a Firefox profile without one was never used.
   */
  create?: boolean;
}

export class NssDatabaseStore implements TrustStore {
  readonly name: string;
  readonly scope = 'user' as const;
  readonly #db: string;
  readonly #create: boolean;

  constructor(
    readonly dir: string,
    options: NssDatabaseOptions,
  ) {
    this.#db = `sql:${dir}`;
    this.#create = options.create === true;
    const rel = options.home === undefined ? '' : relative(options.home, dir);
    const shown = rel !== '' && !rel.startsWith('..') ? `~/${rel}` : dir;
    this.name = `NSS database ${shown} (${options.label})`;
  }

  exists(): boolean {
    return existsSync(join(this.dir, 'cert9.db'));
  }

  async status(ca: CaFile): Promise<TrustStatus> {
    if (!this.exists()) {
      return {
        trusted: false,
        detail: this.#create
          ? 'not trusted: the database does not exist yet (trust creates it)'
          : 'not trusted: no cert9.db in this folder',
      };
    }
    const found = await runCommand(['certutil', '-d', this.#db, '-L', '-n', TRUST_NICKNAME, '-a']);
    if (found.missing) return { trusted: false, detail: CERTUTIL_MISSING };
    if (found.code !== 0) return { trusted: false, detail: 'not trusted: the CA is not in it' };
    if (!derBase64(found.stdout).includes(derBase64(ca.pem))) {
      return {
        trusted: false,
        detail: `not trusted: it holds another certificate named '${TRUST_NICKNAME}' (an earlier CA?); trust replaces it`,
      };
    }
    const flags = await this.#trustFlags();
    return flags?.split(',')[0]?.includes('C')
      ? { trusted: true, detail: `trusted (${flags})` }
      : { trusted: false, detail: `present but not trusted for TLS (flags '${flags ?? '?'}')` };
  }

  /** The trust flags column of `certutil -L` for our nickname, e.g. "C,,". */
  async #trustFlags(): Promise<string | undefined> {
    const list = await runCommand(['certutil', '-d', this.#db, '-L']);
    for (const line of list.stdout.split('\n')) {
      if (!line.startsWith(`${TRUST_NICKNAME} `)) continue;
      return line.trim().split(/\s+/).pop();
    }
    return undefined;
  }

  installCommands(ca: CaFile): string[][] {
    const create = this.#create && !this.exists();
    return [
      ...(create
        ? [
            ['mkdir', '-p', '-m', '0700', this.dir],
            ['certutil', '-d', this.#db, '-N', '--empty-password'],
          ]
        : []),
      ['certutil', '-d', this.#db, '-A', '-t', TRUST_FLAGS, '-n', TRUST_NICKNAME, '-i', ca.path],
    ];
  }

  removeCommands(): string[][] {
    return [['certutil', '-d', this.#db, '-D', '-n', TRUST_NICKNAME]];
  }

  async install(ca: CaFile): Promise<void> {
    if (!this.#create && !this.exists()) {
      throw new Error(`${this.name}: no NSS database in ${this.dir}`);
    }
    // An earlier CA under the same nickname (its key is gone after a reissue) goes first,
    // so the database holds one Switchyard root, the current one.
    if (this.exists()) await this.#deleteAll();
    await runAll(this.name, this.installCommands(ca));
  }

  async remove(): Promise<void> {
    if (!this.exists()) return;
    await this.#deleteAll();
  }

  async #deleteAll(): Promise<void> {
    // One `-D` removes one certificate; there may be several under one nickname.
    for (let i = 0; i < 20; i++) {
      const found = await runCommand(['certutil', '-d', this.#db, '-L', '-n', TRUST_NICKNAME]);
      if (found.missing) throw new Error(`${this.name}: ${CERTUTIL_MISSING}`);
      if (found.code !== 0) return;
      await runAll(this.name, this.removeCommands());
    }
  }
}
