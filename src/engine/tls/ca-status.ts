/**
 * The local CA as the API reports it (getCaStatus) and trust changes (trustCa, untrustCa):
 * the CA, each trust store's verdict and the commands a user may run themselves.
 */
import type { ApiResult } from '../../shared/api.js';
import type { Engine } from '../engine.js';
import { CertificateAuthority, caPaths } from './authority.js';
import { caFile, changeTrust } from './trust.js';
import { nodeTrustHint, type TrustStore } from './trust-store.js';

export async function caStatus(
  engine: Engine,
  trustStores: readonly TrustStore[],
): Promise<ApiResult<'getCaStatus'>> {
  const dataDir = engine.dataDir;
  const path = caPaths(dataDir).cert;
  if (!(await CertificateAuthority.exists(dataDir))) {
    return {
      exists: false,
      path,
      permitted: [],
      stores: [],
      issued: [],
      missingNames: [],
      nodeHint: nodeTrustHint(path),
    };
  }
  const ca = await engine.certificateAuthority();
  const file = caFile(ca);
  const stores = await Promise.all(
    trustStores.map(async (store) => ({
      name: store.name,
      scope: store.scope,
      ...(await store.status(file)),
      installCommands: store.installCommands(file),
    })),
  );
  return {
    exists: true,
    path,
    fingerprint: ca.fingerprint,
    subject: ca.subject,
    notBefore: ca.notBefore.getTime(),
    notAfter: ca.notAfter.getTime(),
    permitted: [...ca.permitted],
    stores,
    issued: ca.issued().map((l) => ({ ...l, notAfter: l.notAfter.getTime() })),
    missingNames: engine.config ? ca.missingNames(engine.tlsNames()) : [],
    nodeHint: nodeTrustHint(path),
  };
}

export async function changeCaTrust(
  ca: CertificateAuthority,
  stores: readonly TrustStore[],
  remove: boolean,
): Promise<ApiResult<'trustCa'>> {
  const { outcomes, elevated } = await changeTrust(ca, [...stores], remove);
  const ok = outcomes.every((o) => o.done);
  const message = outcomes
    .map((o) => `${o.store}: ${o.detail}${o.after === undefined ? '' : ` (${o.after})`}`)
    .join('\n');
  return { ok, message, commands: elevated };
}
