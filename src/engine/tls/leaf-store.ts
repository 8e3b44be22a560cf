/**
 * The disk cache of issued leaves: `<dataDir>/ca/leaves/<host>.pem` and `<host>-key.pem`
 * (key 0600, folder 0700). Only leaves the current CA signed, for that host, with the
 * matching key are ever handed out; anything else found there (a leaf of a replaced CA, a
 * torn write, a renamed file) is treated as absent and issued anew.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import {
  PRIVATE_FILE_MODE,
  PUBLIC_FILE_MODE,
  ensurePrivateDir,
  readIfExists,
  tighten,
  writeFileSafely,
} from './files.js';

export interface Leaf {
  certPem: string;
  keyPem: string;
  notAfter: Date;
}

export interface IssuedLeaf {
  hostname: string;
  notAfter: Date;
  /** SHA-256 of the certificate, colon-separated upper-case hex. */
  fingerprint: string;
}

export interface StoredLeaf extends Leaf {
  fingerprint: string;
}

/** The file name (without extension) of a host's leaf: safe on every platform. */
export function leafFileStem(hostname: string): string {
  // IPv6 literals contain ':', which Windows forbids in file names; '_' never occurs in a
  // normalised DNS name, so the mapping cannot collide with one.
  return isIP(hostname) === 6 ? `ipv6_${hostname.replaceAll(':', '_')}` : hostname;
}

function hostFromStem(stem: string): string {
  return stem.startsWith('ipv6_') ? stem.slice(5).replaceAll('_', ':') : stem;
}

export class LeafStore {
  readonly #dir: string;
  readonly #issuer: X509Certificate;
  readonly #max: number;
  readonly #index = new Map<string, IssuedLeaf>();

  /**
   * `max` caps the leaves written: each name costs a file pair, and a client cycling
   * through random *.localhost names must not be able to fill the disk.
   */
  constructor(dir: string, issuerPem: string, max: number) {
    this.#dir = dir;
    this.#issuer = new X509Certificate(issuerPem);
    this.#max = max;
  }

  #files(host: string): { cert: string; key: string } {
    const stem = join(this.#dir, leafFileStem(host));
    return { cert: `${stem}.pem`, key: `${stem}-key.pem` };
  }

  /** Index what is on disk (for `list`) and tighten key modes; at start-up. */
  async scan(): Promise<void> {
    let entries: string[];
    try {
      entries = await readdir(this.#dir);
    } catch {
      return;
    }
    await ensurePrivateDir(this.#dir);
    const certs = entries.filter((f) => f.endsWith('.pem') && !f.endsWith('-key.pem'));
    await Promise.all(
      certs.map(async (file) => {
        const stem = file.slice(0, -'.pem'.length);
        await tighten(join(this.#dir, `${stem}-key.pem`), PRIVATE_FILE_MODE);
        const certPem = await readIfExists(join(this.#dir, file));
        const host = hostFromStem(stem);
        const leaf = certPem === undefined ? undefined : this.#valid(host, certPem);
        if (leaf) this.#remember(host, leaf);
      }),
    );
  }

  /** The stored leaf for `host`, if it is valid (its freshness is the caller's call). */
  async read(host: string): Promise<StoredLeaf | undefined> {
    const files = this.#files(host);
    const [certPem, keyPem] = await Promise.all([
      readIfExists(files.cert),
      readIfExists(files.key),
    ]);
    if (certPem === undefined || keyPem === undefined) return undefined;
    return this.#valid(host, certPem, keyPem);
  }

  /** Store a leaf, unless the cap is reached for a new name. */
  async write(host: string, leaf: StoredLeaf): Promise<void> {
    if (!this.#index.has(host) && this.#index.size >= this.#max) return;
    const files = this.#files(host);
    await ensurePrivateDir(this.#dir);
    // Key first, then certificate: a reader pairing a new key with an old certificate
    // sees the mismatch and issues again.
    await writeFileSafely(files.key, leaf.keyPem, { mode: PRIVATE_FILE_MODE });
    await writeFileSafely(files.cert, leaf.certPem, { mode: PUBLIC_FILE_MODE });
    this.#remember(host, leaf);
  }

  /** Leaves on disk signed by this CA, by hostname. */
  list(): IssuedLeaf[] {
    return [...this.#index.values()].sort((a, b) => a.hostname.localeCompare(b.hostname));
  }

  #remember(host: string, leaf: { notAfter: Date; fingerprint: string }): void {
    this.#index.set(host, {
      hostname: host,
      notAfter: leaf.notAfter,
      fingerprint: leaf.fingerprint,
    });
  }

  #valid(host: string, certPem: string, keyPem?: string): StoredLeaf | undefined {
    try {
      const cert = new X509Certificate(certPem);
      if (!cert.checkIssued(this.#issuer) || !cert.verify(this.#issuer.publicKey)) return;
      const named = isIP(host) ? cert.checkIP(host) : cert.checkHost(host);
      if (named === undefined) return;
      if (keyPem !== undefined && !cert.checkPrivateKey(createPrivateKey(keyPem))) return;
      return {
        certPem,
        keyPem: keyPem ?? '',
        notAfter: new Date(cert.validTo),
        fingerprint: cert.fingerprint256,
      };
    } catch {
      return undefined;
    }
  }
}
