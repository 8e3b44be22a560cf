/**
 * Where the local CA can be trusted, one `TrustStore` per place: the macOS login keychain,
 * the Windows current-user Root store, and on Linux the system anchors plus each NSS
 * database (Chrome/Chromium, every Firefox profile). Each store reports its own status
 * and can show the exact commands it runs, so a user without the needed rights can run
 * them by hand (`sudo ...`).
 *
 * Elevation prompts in the desktop app are a later issue: today a store that needs root
 * refuses with `ElevationRequiredError`, which carries the commands to run.
 */
import { X509Certificate } from 'node:crypto';
import { homedir } from 'node:os';
import { formatCommand, runCommand } from './run-command.js';

/** The CA to trust: its file (some tools take a path) and its PEM (to identify it). */
export interface CaFile {
  path: string;
  pem: string;
}

export interface TrustStatus {
  trusted: boolean;
  /** One line for a person: where, or why not, and what to do. */
  detail: string;
}

export interface TrustStore {
  /** Names the place: "NSS database ~/.pki/nssdb (Chrome/Chromium)". */
  readonly name: string;
  /** `system` stores need root (Linux anchors); `user` stores run as the user. */
  readonly scope: 'user' | 'system';
  status(ca: CaFile): Promise<TrustStatus>;
  /** The commands `install` runs, in order (without `sudo`). */
  installCommands(ca: CaFile): string[][];
  /** The commands `remove` runs, in order (without `sudo`). */
  removeCommands(ca: CaFile): string[][];
  install(ca: CaFile): Promise<void>;
  remove(ca: CaFile): Promise<void>;
}

/** Where the stores live; tests point these at temporary folders. */
export interface TrustStoreOptions {
  /** The user's home folder (default: os.homedir()). */
  home?: string;
  /** The file-system root for system stores (default: '/'). */
  root?: string;
  /** Whether this process may change system stores (default: running as root). */
  isRoot?: boolean;
}

/** The nickname the CA gets in NSS databases and the label users search for. */
export const TRUST_NICKNAME = 'Switchyard Local CA';

export class ElevationRequiredError extends Error {
  readonly code = 'ERR_ELEVATION_REQUIRED';
  constructor(
    readonly store: string,
    /** Ready to paste, each prefixed with `sudo`. */
    readonly commands: string[],
  ) {
    super(`${store} needs administrator rights; run:\n${commands.map((c) => `  ${c}`).join('\n')}`);
    this.name = 'ElevationRequiredError';
  }
}

export class TrustCommandError extends Error {
  readonly code = 'ERR_TRUST_COMMAND';
  constructor(
    readonly store: string,
    readonly command: string,
    output: string,
  ) {
    super(`${store}: \`${command}\` failed${output ? `: ${output.trim()}` : ''}`);
    this.name = 'TrustCommandError';
  }
}

export function resolveOptions(options: TrustStoreOptions): Required<TrustStoreOptions> {
  return {
    home: options.home ?? homedir(),
    root: options.root ?? '/',
    isRoot: options.isRoot ?? process.getuid?.() === 0,
  };
}

/** The certificate's DER in base64, without line breaks: how stores are searched for it. */
export function derBase64(pem: string): string {
  return pem
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
    .replace(/\s+/g, '')
    .trim();
}

export function certificateIds(pem: string): { sha1: string; serial: string } {
  const cert = new X509Certificate(pem);
  return { sha1: cert.fingerprint.replaceAll(':', ''), serial: cert.serialNumber };
}

/** Run commands in order; stop at the first failure with its output. */
export async function runAll(store: string, commands: string[][]): Promise<void> {
  for (const argv of commands) {
    const result = await runCommand(argv);
    if (result.code !== 0) {
      const output = result.missing
        ? `${argv[0]} is not installed`
        : result.stderr || result.stdout;
      throw new TrustCommandError(store, formatCommand(argv), output);
    }
  }
}

/**
 * A one-line hint for Node.js, which reads neither the OS store nor NSS: it adds the CA
 * from NODE_EXTRA_CA_CERTS when the process starts.
 */
export function nodeTrustHint(caPath: string, platform = process.platform): string {
  // PowerShell on Windows: cmd's `set X="..."` would keep the quotes in the value.
  if (platform === 'win32') return `$env:NODE_EXTRA_CA_CERTS = '${caPath.replaceAll("'", "''")}'`;
  return `export NODE_EXTRA_CA_CERTS=${formatCommand([caPath], platform)}`;
}
