/**
 * The hostnames a routing file serves over TLS: the `match.host` of every route that can
 * run on a TLS listener. These are the extra names the CA must permit (SPEC §3); the
 * engine compares them with `CertificateAuthority.missingNames`.
 */
import type { RoutingConfig } from '../../shared/config.js';

export function tlsRouteNames(config: RoutingConfig): string[] {
  const tls = new Set(config.listeners.filter((l) => l.tls).map((l) => l.name));
  if (tls.size === 0) return [];
  const names = new Set<string>();
  for (const route of config.routes) {
    const { host, listeners } = route.match;
    if (host === undefined) continue;
    if (listeners === undefined || listeners.some((l) => tls.has(l))) names.add(host.toLowerCase());
  }
  return [...names];
}
