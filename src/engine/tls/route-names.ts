/**
 * The hostnames a routing file serves over TLS: a TLS listener's `hostnames` and the
 * `match.host` of every route that can run on a TLS listener. These are the extra names the
 * CA must permit (SPEC §3); the engine compares them with `CertificateAuthority.missingNames`.
 *
 * A single-label host (`catchall`) cannot be among them — a CA permitted for it could issue
 * for a whole top-level domain — so it is set apart for a warning instead of stopping the
 * configuration: its route still serves plain HTTP and clients that skip SNI.
 */
import type { RoutingConfig } from '../../shared/config.js';
import { isIP } from 'node:net';

export interface TlsNames {
  names: string[];
  /** Route hosts on TLS listeners that no certificate can carry. */
  singleLabel: string[];
}

function singleLabel(host: string): boolean {
  return isIP(host) === 0 && !host.replace(/^\*\./, '').includes('.');
}

export function tlsNamesOf(config: RoutingConfig): TlsNames {
  const tlsListeners = config.listeners.filter((l) => l.tls);
  const tls = new Set(tlsListeners.map((l) => l.name));
  const names = new Set<string>();
  const skipped = new Set<string>();
  for (const l of tlsListeners) for (const h of l.hostnames ?? []) names.add(h.toLowerCase());
  if (tls.size === 0) return { names: [], singleLabel: [] };
  for (const route of config.routes) {
    const { host, listeners } = route.match;
    if (host === undefined) continue;
    if (listeners !== undefined && !listeners.some((l) => tls.has(l))) continue;
    (singleLabel(host) ? skipped : names).add(host.toLowerCase());
  }
  return { names: [...names], singleLabel: [...skipped] };
}

export function tlsRouteNames(config: RoutingConfig): string[] {
  return tlsNamesOf(config).names;
}
