/**
 * Installing or removing the CA in every trust store of this machine, store by store:
 * what changed, what was already so, and which commands need administrator rights. The
 * command line prints this; the app shows it (and can run the commands elevated).
 */
import type { CertificateAuthority } from './authority.js';
import { ElevationRequiredError, type CaFile, type TrustStore } from './trust-store.js';

export interface StoreOutcome {
  store: string;
  /** The store is as asked (trusted, or not) after the call. */
  done: boolean;
  /** What happened: `trusted`, `already trusted`, `needs sudo`, or the failure. */
  detail: string;
  /** The store's own status line afterwards, when it was changed. */
  after?: string;
}

export interface TrustChange {
  outcomes: StoreOutcome[];
  /** Commands still to run with administrator rights (each prefixed with sudo). */
  elevated: string[];
}

export function caFile(ca: CertificateAuthority): CaFile {
  return { path: ca.paths.cert, pem: ca.certPem };
}

export async function changeTrust(
  ca: CertificateAuthority,
  stores: readonly TrustStore[],
  remove: boolean,
): Promise<TrustChange> {
  const file = caFile(ca);
  const outcomes: StoreOutcome[] = [];
  const elevated: string[] = [];
  for (const store of stores) {
    const before = await store.status(file);
    if (before.trusted !== remove) {
      outcomes.push({
        store: store.name,
        done: true,
        detail: remove ? 'not trusted' : 'already trusted',
      });
      continue;
    }
    try {
      await (remove ? store.remove(file) : store.install(file));
      const after = await store.status(file);
      const done = after.trusted !== remove;
      outcomes.push({
        store: store.name,
        done,
        detail: done ? (remove ? 'removed' : 'trusted') : 'unchanged',
        after: after.detail,
      });
    } catch (error) {
      if (error instanceof ElevationRequiredError) {
        outcomes.push({ store: store.name, done: false, detail: 'needs sudo' });
        elevated.push(...error.commands);
      } else {
        outcomes.push({
          store: store.name,
          done: false,
          detail: `failed: ${(error as Error).message}`,
        });
      }
    }
  }
  return { outcomes, elevated };
}
