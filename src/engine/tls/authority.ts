/**
 * The local certificate authority: a root CA created on first use in `<dataDir>/ca/`, and
 * the leaf certificates it issues per hostname, cached in memory and on disk.
 *
 * The CA's Name Constraints are its safety catch: it can only vouch for `localhost`,
 * `*.localhost`, `*.test`, loopback addresses and the names it was created with, so a
 * stolen key cannot impersonate real sites to a client that trusts it. Widening them
 * means a new CA (`reissue`), which users must trust again: a CA is never changed
 * silently behind a trust decision.
 *
 * Files (key files 0600, folders 0700):
 *   <dataDir>/ca/ca.pem, ca-key.pem                 the root
 *   <dataDir>/ca/leaves/<host>.pem, <host>-key.pem  issued leaves
 */
import { X509Certificate as NodeCertificate, createPrivateKey } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSecureContext, type SecureContext } from 'node:tls';
import {
  MAX_LEAF_VALIDITY_DAYS,
  BACKDATE_MS,
  addDays,
  createCaCertificate,
  createLeafCertificate,
  type PemPair,
} from './certificates.js';
import {
  PRIVATE_FILE_MODE,
  PUBLIC_FILE_MODE,
  ensurePrivateDir,
  readIfExists,
  tighten,
  writeFileSafely,
} from './files.js';
import { LeafStore, type IssuedLeaf, type Leaf, type StoredLeaf } from './leaf-store.js';
import {
  OutsideConstraintsError,
  constraintsFor,
  describePermitted,
  normalizeHostname,
  permits,
} from './names.js';
import { importPrivateKey, readPermitted, x509, type CryptoKey } from './x509.js';

export type { IssuedLeaf, Leaf };

export interface AuthorityOptions {
  /** Extra names the CA permits when it is created (hostnames, IPs, `*.domain`). */
  names?: string[];
  /** The clock; tests move it to reach renewal. */
  now?: () => Date;
  /** Leaf lifetime in days, at most 397 (what Apple and Chromium accept). */
  leafValidityDays?: number;
  /** Leaves this close to expiry (days) are issued again. Default 30. */
  renewBeforeDays?: number;
  /** Secure contexts and leaves kept in memory; least recently used go first. */
  maxCached?: number;
  /** Leaves written to disk; beyond this, new ones live in memory only. */
  maxStoredLeaves?: number;
}

export class CaFilesError extends Error {
  readonly code = 'ERR_CA_FILES';
  constructor(
    message: string,
    /** Incomplete or mismatched files: maybe another process is writing them right now. */
    readonly transient = false,
  ) {
    super(message);
    this.name = 'CaFilesError';
  }
}

export interface CaPaths {
  dir: string;
  cert: string;
  key: string;
  leaves: string;
}

export function caPaths(dataDir: string): CaPaths {
  const dir = join(dataDir, 'ca');
  return {
    dir,
    cert: join(dir, 'ca.pem'),
    key: join(dir, 'ca-key.pem'),
    leaves: join(dir, 'leaves'),
  };
}

const REISSUE_HINT =
  'run `switchyard ca reissue` to replace it with a new CA (the new CA must be trusted again)';

/**
 * How long `open` waits for another process that is writing the CA at the same moment.
 * The files are published one after the other, each atomically, milliseconds apart.
 */
const CREATION_WAIT_MS = 2_000;

interface CachedContext {
  context: SecureContext;
  notAfter: Date;
}

/** A Map used as an LRU: re-inserting on use keeps the most recent entries last. */
function touch<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as K);
}

export class CertificateAuthority {
  /** The certificate a client without SNI gets; it also carries 127.0.0.1 and ::1. */
  readonly defaultHostname = 'localhost';
  readonly paths: CaPaths;
  readonly certPem: string;
  /** SHA-256 of the CA certificate, colon-separated upper-case hex. */
  readonly fingerprint: string;
  readonly serialNumber: string;
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Permitted subtrees: `localhost`, `.localhost` (subdomains), `127.0.0.0/8`, ... */
  readonly permitted: readonly string[];

  readonly #cert: x509.X509Certificate;
  readonly #signingKey: CryptoKey;
  readonly #now: () => Date;
  readonly #leafValidityDays: number;
  readonly #renewBeforeMs: number;
  readonly #maxCached: number;
  /** Current or in-flight leaf per hostname: concurrent requests share one issuance. */
  readonly #leaves = new Map<string, Promise<StoredLeaf>>();
  readonly #contexts = new Map<string, Promise<CachedContext>>();
  readonly #store: LeafStore;

  private constructor(
    paths: CaPaths,
    pems: PemPair,
    cert: x509.X509Certificate,
    signingKey: CryptoKey,
    options: AuthorityOptions,
  ) {
    this.paths = paths;
    this.certPem = pems.certPem;
    this.#cert = cert;
    this.#signingKey = signingKey;
    const parsed = new NodeCertificate(pems.certPem);
    this.fingerprint = parsed.fingerprint256;
    this.serialNumber = parsed.serialNumber;
    this.subject = cert.subject;
    this.notBefore = cert.notBefore;
    this.notAfter = cert.notAfter;
    this.permitted = readPermitted(cert) ?? [];
    this.#now = options.now ?? (() => new Date());
    this.#leafValidityDays = Math.min(
      options.leafValidityDays ?? MAX_LEAF_VALIDITY_DAYS,
      MAX_LEAF_VALIDITY_DAYS,
    );
    // Renewing more than halfway through a leaf's life would issue on every handshake.
    this.#renewBeforeMs =
      Math.min(options.renewBeforeDays ?? 30, this.#leafValidityDays / 2) * 24 * 60 * 60 * 1000;
    this.#maxCached = options.maxCached ?? 256;
    this.#store = new LeafStore(paths.leaves, pems.certPem, options.maxStoredLeaves ?? 1000);
  }

  /** Whether a CA exists in `dataDir` (without creating one). */
  static async exists(dataDir: string): Promise<boolean> {
    return (await readIfExists(caPaths(dataDir).cert)) !== undefined;
  }

  /**
   * The CA in `<dataDir>/ca/`, created on first use with the default constraints plus
   * `options.names`. An existing CA is never widened here, even when `names` asks for
   * more: compare with `missingNames` and decide on `reissue`, which needs a new trust.
   */
  static async open(
    dataDir: string,
    options: AuthorityOptions = {},
  ): Promise<CertificateAuthority> {
    const paths = caPaths(dataDir);
    await ensurePrivateDir(paths.dir);
    await tighten(paths.key, PRIVATE_FILE_MODE);
    const existing = await CertificateAuthority.#read(paths);
    if (existing.certPem === undefined && existing.keyPem === undefined) {
      try {
        return await CertificateAuthority.#create(paths, options, { replace: false });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        // Another process (the app and the command at once) created it first: use theirs.
      }
    }
    return CertificateAuthority.#load(paths, options);
  }

  /**
   * Replace the CA with a new one permitting the defaults plus `names`. The old key is
   * deleted, so the old CA can issue nothing more, but it stays trusted wherever it was
   * installed until removed (`switchyard ca untrust` before reissuing). The new CA must
   * be trusted again. Leaves of the old CA are deleted.
   */
  static async reissue(
    dataDir: string,
    options: AuthorityOptions = {},
  ): Promise<CertificateAuthority> {
    const paths = caPaths(dataDir);
    await ensurePrivateDir(paths.dir);
    const ca = await CertificateAuthority.#create(paths, options, { replace: true });
    await rm(paths.leaves, { recursive: true, force: true });
    return ca;
  }

  static async #read(paths: CaPaths): Promise<Partial<PemPair>> {
    const [certPem, keyPem] = await Promise.all([
      readIfExists(paths.cert),
      readIfExists(paths.key),
    ]);
    return { certPem, keyPem };
  }

  static async #create(
    paths: CaPaths,
    options: AuthorityOptions,
    { replace }: { replace: boolean },
  ): Promise<CertificateAuthority> {
    const now = (options.now ?? (() => new Date()))();
    const pems = await createCaCertificate({ permitted: constraintsFor(options.names), now });
    // Key first: a reader that finds the certificate can count on the key being there.
    const durable = { durable: true, exclusive: !replace };
    await writeFileSafely(paths.key, pems.keyPem, { mode: PRIVATE_FILE_MODE, ...durable });
    await writeFileSafely(paths.cert, pems.certPem, { mode: PUBLIC_FILE_MODE, ...durable });
    return CertificateAuthority.#fromPems(paths, pems, options);
  }

  static async #load(paths: CaPaths, options: AuthorityOptions): Promise<CertificateAuthority> {
    const deadline = Date.now() + CREATION_WAIT_MS;
    for (;;) {
      const pems = await CertificateAuthority.#read(paths);
      try {
        return await CertificateAuthority.#fromPems(paths, pems, options);
      } catch (error) {
        // A half-written pair may be another process creating the CA right now.
        if (!(error instanceof CaFilesError && error.transient) || Date.now() > deadline) {
          throw error;
        }
      }
      await sleep(100);
    }
  }

  static async #fromPems(
    paths: CaPaths,
    pems: Partial<PemPair>,
    options: AuthorityOptions,
  ): Promise<CertificateAuthority> {
    const { certPem, keyPem } = pems;
    if (certPem === undefined || keyPem === undefined) {
      const missing = certPem === undefined ? paths.cert : paths.key;
      throw new CaFilesError(
        `the local CA in ${paths.dir} is incomplete: ${missing} is missing; ${REISSUE_HINT}`,
        true,
      );
    }
    let cert: x509.X509Certificate;
    let signingKey: CryptoKey;
    try {
      cert = new x509.X509Certificate(certPem);
      signingKey = await importPrivateKey(keyPem);
      if (!new NodeCertificate(certPem).checkPrivateKey(createPrivateKey(keyPem))) {
        throw new Error(`${paths.key} does not belong to ${paths.cert}`);
      }
    } catch (error) {
      throw new CaFilesError(
        `the local CA in ${paths.dir} cannot be read (${(error as Error).message}); ${REISSUE_HINT}`,
        true,
      );
    }
    const ca = new CertificateAuthority(paths, { certPem, keyPem }, cert, signingKey, options);
    if (ca.permitted.length === 0) {
      throw new CaFilesError(
        `${paths.cert} has no name constraints, so it could vouch for any site; Switchyard ` +
          `only uses a constrained CA: ${REISSUE_HINT}`,
      );
    }
    if (ca.notAfter.getTime() <= ca.#now().getTime()) {
      throw new CaFilesError(
        `the local CA expired on ${ca.notAfter.toISOString()}; ${REISSUE_HINT}`,
      );
    }
    await ca.#store.scan();
    return ca;
  }

  /** Whether a hostname (or IP literal, or `*.domain`) is inside the Name Constraints. */
  covers(hostname: string): boolean {
    try {
      const name = hostname.trim().startsWith('*.')
        ? `*.${normalizeHostname(hostname.trim().slice(2))}`
        : normalizeHostname(hostname);
      return permits(this.permitted, name);
    } catch {
      return false;
    }
  }

  /** The names this CA does not cover: a reason to `reissue` (and trust again). */
  missingNames(names: readonly string[]): string[] {
    return [...new Set(names)].filter((n) => !this.covers(n));
  }

  /** The certificate and key for one exact hostname, issued on first use, then cached. */
  async leaf(hostname: string): Promise<Leaf> {
    const { certPem, keyPem, notAfter } = await this.#leaf(this.#checked(hostname));
    return { certPem, keyPem, notAfter };
  }

  /**
   * A TLS context for one hostname, for an `SNICallback`. Concurrent calls for the same
   * host share one issuance. Rejects with `OutsideConstraintsError` for names the CA may
   * not vouch for, and `InvalidHostnameError` for names that cannot be in a certificate.
   */
  async secureContext(hostname: string): Promise<SecureContext> {
    const host = this.#checked(hostname);
    const cached = this.#contexts.get(host);
    if (cached) {
      const entry = await cached;
      if (this.#fresh(entry.notAfter)) {
        touch(this.#contexts, host, cached, this.#maxCached);
        return entry.context;
      }
      if (this.#contexts.get(host) === cached) this.#contexts.delete(host);
    }
    const pending = this.#contexts.get(host) ?? this.#makeContext(host);
    touch(this.#contexts, host, pending, this.#maxCached);
    return (await pending).context;
  }

  /** Leaves on disk signed by this CA, by hostname. */
  issued(): IssuedLeaf[] {
    return this.#store.list();
  }

  #makeContext(host: string): Promise<CachedContext> {
    const pending = this.#leaf(host).then((leaf) => ({
      context: createSecureContext({ cert: leaf.certPem, key: leaf.keyPem }),
      notAfter: leaf.notAfter,
    }));
    pending.catch(() => {
      if (this.#contexts.get(host) === pending) this.#contexts.delete(host);
    });
    return pending;
  }

  #checked(hostname: string): string {
    const host = normalizeHostname(hostname);
    if (!permits(this.permitted, host)) throw new OutsideConstraintsError(host, this.permitted);
    return host;
  }

  #fresh(notAfter: Date): boolean {
    const left = notAfter.getTime() - this.#now().getTime();
    // A leaf cut short by the CA's own end cannot be bettered by a new one: keep it until
    // it expires rather than issue again on every handshake.
    if (notAfter.getTime() >= this.notAfter.getTime()) return left > 0;
    return left > this.#renewBeforeMs;
  }

  async #leaf(host: string): Promise<StoredLeaf> {
    const current = this.#leaves.get(host);
    if (current) {
      const leaf = await current;
      if (this.#fresh(leaf.notAfter)) {
        touch(this.#leaves, host, current, this.#maxCached);
        return leaf;
      }
      // Near expiry: the first caller to notice issues the replacement; others share it.
      if (this.#leaves.get(host) !== current) return this.#leaf(host);
      return this.#share(host, this.#issue(host));
    }
    return this.#share(host, this.#loadOrIssue(host));
  }

  #share(host: string, pending: Promise<StoredLeaf>): Promise<StoredLeaf> {
    touch(this.#leaves, host, pending, this.#maxCached);
    pending.catch(() => {
      if (this.#leaves.get(host) === pending) this.#leaves.delete(host);
    });
    return pending;
  }

  async #loadOrIssue(host: string): Promise<StoredLeaf> {
    const stored = await this.#store.read(host);
    return stored && this.#fresh(stored.notAfter) ? stored : this.#issue(host);
  }

  async #issue(host: string): Promise<StoredLeaf> {
    const now = this.#now();
    const notBefore = new Date(now.getTime() - BACKDATE_MS);
    // Never past the CA's own end: clients reject a leaf that outlives its issuer.
    const end = addDays(notBefore, this.#leafValidityDays);
    const notAfter = end < this.notAfter ? end : this.notAfter;
    const pems = await createLeafCertificate({
      issuer: { cert: this.#cert, signingKey: this.#signingKey },
      hostname: host,
      notBefore,
      notAfter,
    });
    const cert = new NodeCertificate(pems.certPem);
    const leaf: StoredLeaf = {
      ...pems,
      notAfter: new Date(cert.validTo),
      fingerprint: cert.fingerprint256,
    };
    await this.#store.write(host, leaf);
    return leaf;
  }

  /** For messages: the permitted names as a user reads them (`*.localhost`). */
  describePermitted(): string {
    return describePermitted(this.permitted);
  }
}
