/**
 * The two certificates Switchyard makes: its root CA and the per-hostname leaves it signs.
 * Plain functions of their inputs (keys, names, dates); files and caching live in
 * authority.ts.
 */
import { hostname as machineName } from 'node:os';
import { isIP } from 'node:net';
import {
  EC_SIGNING,
  generateKeyPair,
  nameConstraintsExtension,
  privateKeyPem,
  randomSerial,
  x509,
  type CryptoKey,
} from './x509.js';

export interface PemPair {
  certPem: string;
  keyPem: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Certificates start a day in the past: a browser on the host and a CA in a VM or WSL
 * often disagree about the time by minutes to hours, and "not yet valid" is a confusing
 * failure. Counted inside the validity, so a 397-day leaf ends 396 days from now.
 */
export const BACKDATE_MS = DAY_MS;

/** Ten years: long enough that nobody has to trust a new CA on a working machine. */
export const CA_VALIDITY_DAYS = 3652;

/** Apple and Chromium refuse TLS leaves valid for more than 398 days; stay below. */
export const MAX_LEAF_VALIDITY_DAYS = 397;

export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY_MS);
}

export function caCommonName(host = machineName()): string {
  return `Switchyard Local CA (${host})`;
}

export async function createCaCertificate(options: {
  permitted: readonly string[];
  now: Date;
  validityDays?: number;
}): Promise<PemPair> {
  const keys = await generateKeyPair();
  const notBefore = new Date(options.now.getTime() - BACKDATE_MS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [caCommonName()] }, { O: ['Switchyard'] }],
    notBefore,
    notAfter: addDays(notBefore, options.validityDays ?? CA_VALIDITY_DAYS),
    keys,
    signingAlgorithm: EC_SIGNING,
    extensions: [
      // pathLen 0: this CA signs leaves only, never another CA that would escape review.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      nameConstraintsExtension(options.permitted),
    ],
  });
  return { certPem: `${cert.toString('pem')}\n`, keyPem: await privateKeyPem(keys.privateKey) };
}

export interface Issuer {
  cert: x509.X509Certificate;
  signingKey: CryptoKey;
}

/**
 * A TLS server certificate for one exact name (DNS name or IP literal), always also valid
 * for 127.0.0.1 and ::1 so `https://127.0.0.1:port` works with whatever certificate a
 * client without SNI receives.
 */
export async function createLeafCertificate(options: {
  issuer: Issuer;
  hostname: string;
  notBefore: Date;
  notAfter: Date;
}): Promise<PemPair> {
  const { issuer, hostname } = options;
  const keys = await generateKeyPair();
  const ip = isIP(hostname) !== 0;
  const names: x509.JsonGeneralNames = [{ type: ip ? 'ip' : 'dns', value: hostname }];
  for (const loopback of ['127.0.0.1', '::1']) {
    if (loopback !== hostname) names.push({ type: 'ip', value: loopback });
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    // The subject carries the DNS name for certificate viewers (clients match the SAN
    // only). None for an IP leaf, whose CN OpenSSL would check against the DNS
    // constraints, nor past X.509's 64-character limit for a CN.
    subject:
      ip || hostname.length > 64
        ? [{ O: ['Switchyard'] }]
        : [{ CN: [hostname] }, { O: ['Switchyard'] }],
    issuer: issuer.cert.subjectName,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    publicKey: keys.publicKey,
    signingKey: issuer.signingKey,
    signingAlgorithm: EC_SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.cert.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: `${cert.toString('pem')}\n`, keyPem: await privateKeyPem(keys.privateKey) };
}
