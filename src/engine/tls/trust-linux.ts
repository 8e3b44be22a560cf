/**
 * Linux system trust: the distribution's CA anchors, read by curl, OpenSSL, Python, Go and
 * most command-line tools (browsers use NSS instead: trust-nss.ts). Changing it needs
 * root, so without root the store refuses with the exact commands to run with sudo.
 *
 *   Debian/Ubuntu  /usr/local/share/ca-certificates/switchyard.crt + update-ca-certificates
 *   Fedora/RHEL    /etc/pki/ca-trust/source/anchors/switchyard.pem + update-ca-trust
 *   Arch           trust anchor --store (p11-kit)
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readIfExists } from './files.js';
import { formatCommand } from './run-command.js';
import {
  ElevationRequiredError,
  derBase64,
  resolveOptions,
  runAll,
  type CaFile,
  type TrustStatus,
  type TrustStore,
  type TrustStoreOptions,
} from './trust-store.js';

export interface SystemLayout {
  family: 'debian' | 'fedora' | 'arch';
  /** The bundle the update tool writes, where an installed CA shows up. */
  bundle: string;
  /** Our anchor file, for the families that take a file. */
  anchor?: string;
  install(caPath: string): string[][];
  remove(caPath: string): string[][];
}

/** The distribution family, from the folders its CA tooling uses. */
export function detectLayout(root = '/'): SystemLayout | undefined {
  const at = (...parts: string[]): string => join(root, ...parts);
  if (existsSync(at('usr/local/share/ca-certificates'))) {
    const anchor = at('usr/local/share/ca-certificates/switchyard.crt');
    return {
      family: 'debian',
      bundle: at('etc/ssl/certs/ca-certificates.crt'),
      anchor,
      install: (ca) => [['install', '-m', '0644', ca, anchor], ['update-ca-certificates']],
      remove: () => [
        ['rm', '-f', anchor],
        ['update-ca-certificates', '--fresh'],
      ],
    };
  }
  if (existsSync(at('etc/pki/ca-trust/source/anchors'))) {
    const anchor = at('etc/pki/ca-trust/source/anchors/switchyard.pem');
    return {
      family: 'fedora',
      bundle: at('etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem'),
      anchor,
      install: (ca) => [
        ['install', '-m', '0644', ca, anchor],
        ['update-ca-trust', 'extract'],
      ],
      remove: () => [
        ['rm', '-f', anchor],
        ['update-ca-trust', 'extract'],
      ],
    };
  }
  if (existsSync(at('etc/ca-certificates/trust-source'))) {
    return {
      family: 'arch',
      bundle: at('etc/ca-certificates/extracted/tls-ca-bundle.pem'),
      install: (ca) => [['trust', 'anchor', '--store', ca]],
      remove: (ca) => [['trust', 'anchor', '--remove', ca]],
    };
  }
  return undefined;
}

export class LinuxSystemStore implements TrustStore {
  readonly name = 'Linux system trust store (curl, OpenSSL, Python, Go)';
  readonly scope = 'system' as const;
  readonly layout: SystemLayout | undefined;
  readonly #isRoot: boolean;

  constructor(options: TrustStoreOptions = {}) {
    const resolved = resolveOptions(options);
    this.layout = detectLayout(resolved.root);
    this.#isRoot = resolved.isRoot;
  }

  async status(ca: CaFile): Promise<TrustStatus> {
    const layout = this.layout;
    if (!layout) {
      return {
        trusted: false,
        detail: `not trusted: unknown distribution (no Debian, Fedora or Arch CA folders); add ${ca.path} to its trust anchors by hand`,
      };
    }
    const bundle = (await readIfExists(layout.bundle)) ?? '';
    if (derBase64(bundle).includes(derBase64(ca.pem))) {
      return { trusted: true, detail: `trusted (in ${layout.bundle})` };
    }
    const anchor = layout.anchor === undefined ? undefined : await readIfExists(layout.anchor);
    if (anchor !== undefined && derBase64(anchor) === derBase64(ca.pem)) {
      const update = layout.install(ca.path).at(-1) ?? [];
      return {
        trusted: false,
        detail: `not trusted yet: ${layout.anchor} is in place but ${layout.bundle} was not rebuilt; run: sudo ${formatCommand(update)}`,
      };
    }
    return { trusted: false, detail: `not trusted (not in ${layout.bundle})` };
  }

  installCommands(ca: CaFile): string[][] {
    return this.layout?.install(ca.path) ?? [];
  }

  removeCommands(ca: CaFile): string[][] {
    return this.layout?.remove(ca.path) ?? [];
  }

  install(ca: CaFile): Promise<void> {
    return this.#run(this.installCommands(ca), ca);
  }

  remove(ca: CaFile): Promise<void> {
    return this.#run(this.removeCommands(ca), ca);
  }

  async #run(commands: string[][], ca: CaFile): Promise<void> {
    if (commands.length === 0) {
      throw new Error(
        `${this.name}: unknown distribution; add ${ca.path} to its CA anchors by hand`,
      );
    }
    if (!this.#isRoot) {
      throw new ElevationRequiredError(
        this.name,
        commands.map((c) => `sudo ${formatCommand(c)}`),
      );
    }
    await runAll(this.name, commands);
  }
}
