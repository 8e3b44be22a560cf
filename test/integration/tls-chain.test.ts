/**
 * The local CA's certificates as OpenSSL sees them: leaves chain to the CA for every
 * constrained name, and the Name Constraints hold even against a leaf signed with the
 * CA's own key (what a thief of the key could make).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '../../src/engine/tls/authority.js';
import { createLeafCertificate } from '../../src/engine/tls/certificates.js';
import { importPrivateKey, x509 } from '../../src/engine/tls/x509.js';

const run = promisify(execFile);
let dir: string;
let ca: CertificateAuthority;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-chain-'));
  ca = await CertificateAuthority.open(join(dir, 'data'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function verify(pem: string, ...checks: string[]): Promise<{ ok: boolean; output: string }> {
  const file = join(dir, `leaf-${Math.random().toString(36).slice(2)}.pem`);
  await writeFile(file, pem);
  const args = ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', ca.paths.cert];
  try {
    const r = await run('openssl', [...args, ...checks, file]);
    return { ok: true, output: r.stdout + r.stderr };
  } catch (error) {
    const e = error as { stdout: string; stderr: string };
    return { ok: false, output: e.stdout + e.stderr };
  }
}

/** What someone holding ca-key.pem could sign, bypassing `leaf()` and its checks. */
async function forge(hostname: string): Promise<string> {
  const cert = new x509.X509Certificate(ca.certPem);
  const signingKey = await importPrivateKey(await readFile(ca.paths.key, 'utf8'));
  const now = new Date();
  const pems = await createLeafCertificate({
    issuer: { cert, signingKey },
    hostname,
    notBefore: now,
    notAfter: new Date(now.getTime() + 30 * 86_400_000),
  });
  return pems.certPem;
}

describe('openssl verify', () => {
  it.each(['localhost', 'app.localhost', 'x.test'])(
    'accepts the leaf for %s, for its hostname',
    async (host) => {
      const r = await verify((await ca.leaf(host)).certPem, '-verify_hostname', host);
      expect(r.output).toMatch(/: OK/);
      expect(r.ok).toBe(true);
    },
  );

  it.each(['127.0.0.1', '::1'])('accepts the leaf for %s, for its address', async (ip) => {
    const r = await verify((await ca.leaf(ip)).certPem, '-verify_ip', ip);
    expect(r.output).toMatch(/: OK/);
  });

  it('accepts the default leaf (clients without SNI) for both loopback addresses', async () => {
    const pem = (await ca.leaf(ca.defaultHostname)).certPem;
    expect((await verify(pem, '-verify_ip', '127.0.0.1')).ok).toBe(true);
    expect((await verify(pem, '-verify_ip', '::1')).ok).toBe(true);
  });

  it('rejects a leaf for another name (the hostname check still applies)', async () => {
    const r = await verify(
      (await ca.leaf('app.localhost')).certPem,
      '-verify_hostname',
      'b.localhost',
    );
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/hostname mismatch/i);
  });

  it.each(['example.com', 'localhost.example.com', '10.0.0.1'])(
    'rejects a leaf for %s forged with the CA key: outside the name constraints',
    async (host) => {
      await expect(ca.leaf(host)).rejects.toThrow(/outside this CA's name constraints/);
      const r = await verify(await forge(host));
      expect(r.ok).toBe(false);
      expect(r.output).toMatch(/permitted subtree violation/);
    },
  );
});
