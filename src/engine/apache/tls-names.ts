/**
 * The names a TLS virtual host answers to (ServerName, ServerAlias) → its listener's
 * `hostnames`, so the local CA is created for them and issues their leaves even when the
 * routes match any host (a virtual host alone on its socket has no `match.host`).
 *
 * A single-label name (`ServerName catchall`) cannot be in a CA's constraints; Switchyard
 * serves it as `catchall.localhost` instead, and says so at the line.
 */
import { isIP } from 'node:net';
import type { ListenerDraft } from './addresses.js';
import type { Findings } from './findings.js';
import type { Scope } from './model.js';

const HOST =
  /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/** `catchall` → `catchall.localhost`; other names as they are. */
export function certificateName(name: string): string {
  const bare = name.replace(/^\*\./, '');
  return isIP(bare) === 0 && !bare.includes('.') ? `${name}.localhost` : name;
}

export function tlsHostnames(l: ListenerDraft, main: Scope, findings: Findings): string[] {
  if (!l.tls) return [];
  const names = new Set<string>();
  for (const scope of l.scopes) {
    const own = [scope.serverName ?? main.serverName, ...scope.aliases];
    for (const name of own) {
      if (name === undefined || isIP(name) !== 0) continue;
      if (!HOST.test(name)) {
        findings.warn(
          scope.source.line,
          `'${name}' is not a hostname a certificate can name; the local CA issues none for it`,
        );
        continue;
      }
      const cert = certificateName(name.toLowerCase());
      if (cert !== name.toLowerCase()) {
        findings.warn(
          scope.source.line,
          `'${name}' has no dot, and the local CA cannot issue for a single-label name (it could vouch for a whole top-level domain); HTTPS is served as https://${cert} instead`,
        );
      }
      names.add(cert);
    }
  }
  return [...names];
}
