import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { hostname as machineName, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CaFilesError,
  CertificateAuthority,
  caPaths,
} from '../../../../src/engine/tls/authority.js';
import { DEFAULT_PERMITTED, OutsideConstraintsError } from '../../../../src/engine/tls/names.js';
import { generateKeyPair, privateKeyPem, x509 } from '../../../../src/engine/tls/x509.js';

const DAY = 24 * 60 * 60 * 1000;
let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'switchyard-ca-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

/** A clock the test moves by hand. */
function clock(start = new Date('2026-03-01T12:00:00Z')): { now: () => Date; set(d: Date): void } {
  let current = start;
  return { now: () => current, set: (d) => (current = d) };
}

describe('CertificateAuthority: the root', () => {
  it('is created on first use: ECDSA P-256, ten years, constrained, key 0600 in 0700', async () => {
    const ca = await CertificateAuthority.open(dataDir);
    const paths = caPaths(dataDir);
    expect(ca.paths).toEqual(paths);
    expect(await mode(paths.dir)).toBe(0o700);
    expect(await mode(paths.key)).toBe(0o600);
    expect(await readFile(paths.cert, 'utf8')).toBe(ca.certPem);

    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(cert.subject).toContain(`CN=Switchyard Local CA (${machineName()})`);
    expect(ca.fingerprint).toBe(cert.fingerprint256);
    expect(ca.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const years = (ca.notAfter.getTime() - ca.notBefore.getTime()) / (365.25 * DAY);
    expect(years).toBeCloseTo(10, 1);
    expect(ca.permitted).toEqual(DEFAULT_PERMITTED);

    const parsed = new x509.X509Certificate(ca.certPem);
    const basic = parsed.getExtension(x509.BasicConstraintsExtension);
    expect(basic).toMatchObject({ ca: true, pathLength: 0, critical: true });
    const usage = parsed.getExtension(x509.KeyUsagesExtension);
    expect(usage?.critical).toBe(true);
    expect(usage?.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    expect(parsed.getExtension('2.5.29.30')?.critical).toBe(true);
  });

  it('is the same CA when opened again; names never widen an existing CA', async () => {
    const first = await CertificateAuthority.open(dataDir);
    const again = await CertificateAuthority.open(dataDir, { names: ['app.example.com'] });
    expect(again.fingerprint).toBe(first.fingerprint);
    expect(again.covers('app.example.com')).toBe(false);
    expect(again.missingNames(['app.localhost', 'app.example.com', '*.shop.test'])).toEqual([
      'app.example.com',
    ]);
  });

  it('tightens a folder and key that were left open to others', async () => {
    await mkdir(join(dataDir, 'ca'), { mode: 0o755 });
    await chmod(join(dataDir, 'ca'), 0o755);
    const ca = await CertificateAuthority.open(dataDir);
    expect(await mode(ca.paths.dir)).toBe(0o700);
    await chmod(ca.paths.key, 0o644);
    await chmod(ca.paths.dir, 0o755);
    await CertificateAuthority.open(dataDir);
    expect(await mode(ca.paths.key)).toBe(0o600);
    expect(await mode(ca.paths.dir)).toBe(0o700);
  });

  it('is created once when two opens race on an empty folder', async () => {
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => CertificateAuthority.open(dataDir)));
    expect(b?.fingerprint).toBe(a?.fingerprint);
    expect(c?.fingerprint).toBe(a?.fingerprint);
    expect(await readdir(join(dataDir, 'ca'))).toEqual(['ca-key.pem', 'ca.pem']);
  });

  it('covers the constrained names and nothing else', async () => {
    const ca = await CertificateAuthority.open(dataDir, { names: ['app.example.com'] });
    expect(ca.covers('app.example.com')).toBe(true);
    for (const yes of ['localhost', 'app.localhost', 'x.test', '127.0.0.1', '[::1]', 'X.TEST.']) {
      expect(ca.covers(yes), yes).toBe(true);
    }
    for (const no of ['example.com', 'other.example.com', '10.0.0.1', '*.com', 'not a host']) {
      expect(ca.covers(no), no).toBe(false);
    }
  });

  it('explains broken CA files and how to replace them', async () => {
    const ca = await CertificateAuthority.open(dataDir);
    await rm(ca.paths.key);
    await expect(CertificateAuthority.open(dataDir)).rejects.toThrow(
      /ca-key\.pem is missing; run `switchyard ca reissue`.*trusted again/,
    );
    await writeFile(ca.paths.key, (await CertificateAuthority.reissue(join(dataDir, 'x'))).certPem);
    await expect(CertificateAuthority.open(dataDir)).rejects.toBeInstanceOf(CaFilesError);
  });

  it('refuses a CA without name constraints', async () => {
    const keys = await generateKeyPair();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      name: 'CN=Unconstrained',
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
    });

    const { cert: certPath, key: keyPath, dir } = caPaths(dataDir);
    await mkdir(dir, { recursive: true });
    await writeFile(certPath, cert.toString('pem'));
    await writeFile(keyPath, await privateKeyPem(keys.privateKey));
    await expect(CertificateAuthority.open(dataDir)).rejects.toThrow(/no name constraints/);
  });
});

describe('CertificateAuthority: leaves', () => {
  it('issues one exact-name leaf with loopback IPs, serverAuth, at most 397 days', async () => {
    const ca = await CertificateAuthority.open(dataDir);
    const leaf = await ca.leaf('App.Localhost');
    const cert = new X509Certificate(leaf.certPem);
    expect(cert.subjectAltName).toBe(
      'DNS:app.localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(cert.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / DAY;
    expect(days).toBeLessThanOrEqual(397);
    expect(leaf.notAfter.getTime()).toBe(Date.parse(cert.validTo));

    const ip = new X509Certificate((await ca.leaf('::1')).certPem);
    expect(ip.subjectAltName).toBe('IP Address:0:0:0:0:0:0:0:1, IP Address:127.0.0.1');
  });

  it('refuses names outside the constraints, and wildcards, with what to do', async () => {
    const ca = await CertificateAuthority.open(dataDir);
    await expect(ca.leaf('example.com')).rejects.toThrow(
      "'example.com' is outside this CA's name constraints (localhost, *.localhost, test, *.test, 127.0.0.0/8, ::1); add it to a TLS route and re-issue the CA",
    );
    await expect(ca.leaf('example.com')).rejects.toBeInstanceOf(OutsideConstraintsError);
    await expect(ca.secureContext('10.1.2.3')).rejects.toBeInstanceOf(OutsideConstraintsError);
    await expect(ca.leaf('*.localhost')).rejects.toThrow(/wildcard/);
    await expect(ca.leaf('../../etc/x.localhost')).rejects.toThrow(/not a valid hostname/);
  });

  it('keeps leaves on disk (key 0600) and reuses them after a restart', async () => {
    const ca = await CertificateAuthority.open(dataDir);
    const first = await ca.leaf('app.localhost');
    await ca.leaf('::1');
    const files = (await readdir(ca.paths.leaves)).sort();
    expect(files).toEqual([
      'app.localhost-key.pem',
      'app.localhost.pem',
      'ipv6___1-key.pem',
      'ipv6___1.pem',
    ]);
    expect(await mode(ca.paths.leaves)).toBe(0o700);
    expect(await mode(join(ca.paths.leaves, 'app.localhost-key.pem'))).toBe(0o600);

    const restarted = await CertificateAuthority.open(dataDir);
    expect(restarted.issued().map((l) => l.hostname)).toEqual(['::1', 'app.localhost']);
    const again = await restarted.leaf('app.localhost');
    expect(again.certPem).toBe(first.certPem);
    expect(again.keyPem).toBe(first.keyPem);
    const issued = restarted.issued().find((l) => l.hostname === 'app.localhost');
    expect(issued?.fingerprint).toBe(new X509Certificate(first.certPem).fingerprint256);
  });

  it('issues again when a stored leaf is damaged or not its own', async () => {
    const ca = await CertificateAuthority.open(dataDir);
    const first = await ca.leaf('app.localhost');
    const other = await (await CertificateAuthority.open(join(dataDir, 'other'))).leaf('x.test');
    // Another CA's leaf, then a torn key, under this host's file names.
    await writeFile(join(ca.paths.leaves, 'app.localhost.pem'), other.certPem);
    const second = await (await CertificateAuthority.open(dataDir)).leaf('app.localhost');
    expect(second.certPem).not.toBe(first.certPem);
    expect(new X509Certificate(second.certPem).checkIssued(new X509Certificate(ca.certPem))).toBe(
      true,
    );
    await writeFile(join(ca.paths.leaves, 'app.localhost-key.pem'), second.keyPem.slice(0, 50));
    const third = await (await CertificateAuthority.open(dataDir)).leaf('app.localhost');
    expect(third.certPem).not.toBe(second.certPem);
  });

  it('renews a leaf within 30 days of its end, in memory and on disk', async () => {
    const time = clock();
    const ca = await CertificateAuthority.open(dataDir, { now: time.now, leafValidityDays: 90 });
    const first = await ca.leaf('app.localhost');
    const context = await ca.secureContext('app.localhost');
    expect(first.notAfter.getTime()).toBe(time.now().getTime() - DAY + 90 * DAY);

    time.set(new Date(first.notAfter.getTime() - 31 * DAY));
    expect((await ca.leaf('app.localhost')).certPem).toBe(first.certPem);
    expect(await ca.secureContext('app.localhost')).toBe(context);

    time.set(new Date(first.notAfter.getTime() - 29 * DAY));
    const renewed = await ca.leaf('app.localhost');
    expect(renewed.certPem).not.toBe(first.certPem);
    expect(renewed.notAfter.getTime()).toBeGreaterThan(first.notAfter.getTime());
    expect(await ca.secureContext('app.localhost')).not.toBe(context);
    expect(await readFile(join(ca.paths.leaves, 'app.localhost.pem'), 'utf8')).toBe(
      renewed.certPem,
    );
    // A restart at that time does not bring the old one back either.
    const later = await CertificateAuthority.open(dataDir, { now: time.now });
    expect((await later.leaf('app.localhost')).certPem).toBe(renewed.certPem);
  });

  it('never lets a leaf outlive the CA', async () => {
    const ca = await CertificateAuthority.open(dataDir);
    const nearEnd = new Date(ca.notAfter.getTime() - 100 * DAY);
    const late = await CertificateAuthority.open(dataDir, { now: () => nearEnd });
    const leaf = await late.leaf('x.test');
    expect(leaf.notAfter.getTime()).toBe(ca.notAfter.getTime());
    // Within 30 days of the CA's end a new leaf could not last longer: no churn.
    const last = await CertificateAuthority.open(dataDir, {
      now: () => new Date(ca.notAfter.getTime() - 10 * DAY),
    });
    expect((await last.leaf('x.test')).certPem).toBe(leaf.certPem);
    expect((await last.leaf('x.test')).certPem).toBe(leaf.certPem);
  });

  it('leaves the CN out past the 64 characters X.509 allows for it', async () => {
    const ca = await CertificateAuthority.open(dataDir);
    const host = `${'a'.repeat(60)}.${'b'.repeat(20)}.localhost`;
    const cert = new X509Certificate((await ca.leaf(host)).certPem);
    expect(cert.subject).toBe('O=Switchyard');
    expect(cert.checkHost(host)).toBe(host);
  });

  it('shares one issuance between concurrent handshakes and caches the context', async () => {
    const ca = await CertificateAuthority.open(dataDir);
    const contexts = await Promise.all(
      Array.from({ length: 20 }, () => ca.secureContext('busy.localhost')),
    );
    expect(new Set(contexts).size).toBe(1);
    expect(await ca.secureContext('BUSY.localhost.')).toBe(contexts[0]);
    expect(ca.issued()).toHaveLength(1);
    expect(ca.defaultHostname).toBe('localhost');
  });

  it('stops writing new leaves to disk past the cap (random SNI names cannot fill it)', async () => {
    const ca = await CertificateAuthority.open(dataDir, { maxStoredLeaves: 2 });
    for (const host of ['a.localhost', 'b.localhost', 'c.localhost']) await ca.leaf(host);
    expect(ca.issued().map((l) => l.hostname)).toEqual(['a.localhost', 'b.localhost']);
    expect((await readdir(ca.paths.leaves)).filter((f) => f.startsWith('c.'))).toEqual([]);
  });
});

describe('CertificateAuthority.reissue', () => {
  it('replaces the CA with one permitting the extra names, and drops the old leaves', async () => {
    const old = await CertificateAuthority.open(dataDir);
    await old.leaf('app.localhost');
    const ca = await CertificateAuthority.reissue(dataDir, {
      names: ['app.example.com', '*.shop.example', '192.168.1.5'],
    });
    expect(ca.fingerprint).not.toBe(old.fingerprint);
    expect(ca.permitted).toEqual([
      ...DEFAULT_PERMITTED,
      '.shop.example',
      '192.168.1.5/32',
      'app.example.com',
      'shop.example',
    ]);
    expect(ca.missingNames(['app.example.com', 'a.shop.example', '192.168.1.5'])).toEqual([]);
    expect(ca.issued()).toEqual([]);
    expect(await mode(ca.paths.key)).toBe(0o600);

    const reopened = await CertificateAuthority.open(dataDir);
    expect(reopened.fingerprint).toBe(ca.fingerprint);
    const leaf = new X509Certificate((await reopened.leaf('app.localhost')).certPem);
    expect(leaf.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    expect(leaf.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    await expect(reopened.leaf('a.shop.example')).resolves.toBeDefined();
  });
});
