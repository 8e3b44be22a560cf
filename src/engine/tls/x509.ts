/**
 * The one module that loads @peculiar/x509. It needs `reflect-metadata` evaluated before
 * it (its ASN.1 schema uses decorator metadata), and a WebCrypto provider: Node's own,
 * so there is no native module to rebuild for Electron.
 *
 * @peculiar/x509 has no Name Constraints extension class, so this file builds and reads
 * one from @peculiar/asn1-x509's schema types.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import {
  GeneralName as AsnGeneralName,
  GeneralSubtree,
  GeneralSubtrees,
  NameConstraints,
  id_ce_nameConstraints,
} from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

/** Node's WebCrypto types: the project compiles without the DOM library. */
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

export { x509 };

/** ECDSA P-256 with SHA-256: the one algorithm every TLS client accepts for a small key. */
export const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const EC_SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

export function generateKeyPair(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify']);
}

export async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  // A trailing newline, as PEM files conventionally end (and `cat a.pem b.pem` needs).
  return `${x509.PemConverter.encode(der, 'PRIVATE KEY')}\n`;
}

export async function importPrivateKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return webcrypto.subtle.importKey('pkcs8', der, EC_KEY, false, ['sign']);
}

/**
 * A random positive serial number of 16 bytes (RFC 5280 allows up to 20), hex. The top
 * bit is cleared so the DER INTEGER stays positive without a padding byte.
 */
export function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

/** AsnData subclass used only to DER-encode and decode the Name Constraints value. */
class NameConstraintsValue extends x509.AsnData<NameConstraints> {
  get constraints(): NameConstraints {
    return this.asn;
  }
  protected onInit(): void {}
}

/**
 * Permitted subtrees as written in `permitted`: a DNS name (`localhost`), a DNS subtree
 * with a leading dot (`.localhost`), or an IP range in CIDR form (`127.0.0.0/8`).
 */
export function nameConstraintsExtension(permitted: readonly string[]): x509.Extension {
  const subtrees = permitted.map(
    (p) =>
      new GeneralSubtree({
        base: new AsnGeneralName(p.includes('/') ? { iPAddress: p } : { dNSName: p }),
      }),
  );
  const value = new NameConstraintsValue(
    new NameConstraints({ permittedSubtrees: new GeneralSubtrees(subtrees) }),
  );
  // Critical: a client that cannot enforce the constraints must refuse the CA rather
  // than trust it without limits.
  return new x509.Extension(id_ce_nameConstraints, true, value.rawData);
}

/** The permitted subtrees of a certificate, in the form `nameConstraintsExtension` takes. */
export function readPermitted(cert: x509.X509Certificate): string[] | undefined {
  const ext = cert.getExtension(id_ce_nameConstraints);
  if (!ext) return undefined;
  const value = new NameConstraintsValue(ext.value, NameConstraints);
  const out: string[] = [];
  for (const subtree of value.constraints.permittedSubtrees ?? []) {
    if (subtree.base.dNSName !== undefined) out.push(subtree.base.dNSName);
    else if (subtree.base.iPAddress !== undefined) out.push(subtree.base.iPAddress);
  }
  return out;
}
