/**
 * `Protocols` (mod_http2) → a listener's `http2`. httpd speaks HTTP/1.1 only unless
 * Protocols names `h2` (over TLS, by ALPN) or `h2c` (clear text); Switchyard's listeners
 * speak HTTP/2 by default, so the import writes `http2: false` where httpd would not.
 * Protocols is set per virtual host; a Switchyard listener is one socket, so it follows
 * the socket's first (default) virtual host, and says so when the others differ.
 */
import type { ListenerDraft } from './addresses.js';
import type { Findings } from './findings.js';
import type { Scope } from './model.js';

function speaksH2(scope: Scope, main: Scope, tls: boolean): boolean {
  const protocols = scope.protocols ?? main.protocols ?? ['http/1.1'];
  return protocols.includes(tls ? 'h2' : 'h2c');
}

export function listenerHttp2(l: ListenerDraft, main: Scope, findings: Findings): boolean {
  const [first, ...others] = l.scopes;
  if (!first) return false;
  const h2 = speaksH2(first, main, l.tls);
  const differing = others.find((s) => speaksH2(s, main, l.tls) !== h2);
  if (differing) {
    findings.warn(
      (differing.protocolsSource ?? differing.source).line,
      `Protocols: this virtual host ${h2 ? 'does not offer' : 'offers'} HTTP/2 where the first one on its address ${h2 ? 'does' : 'does not'}; a Switchyard listener decides for the whole socket, so it follows the first (http2: ${String(h2)})`,
    );
  }
  return h2;
}
