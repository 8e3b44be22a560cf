/**
 * Listen and `<VirtualHost addr:port>` → the routing file's listeners, and for each
 * listener the virtual hosts Apache would choose from for a connection to it: the ones
 * naming its exact address if any, else the wildcard ones, in file order (the first is
 * the default for Host headers no ServerName matches).
 *
 * Safety over fidelity on one point: a wildcard address (`*:80`, `Listen 80`) binds
 * 127.0.0.1 here, because Switchyard binds loopback unless a routing file says otherwise.
 */
import { isIP } from '../../shared/ip.js';
import type { Findings } from './findings.js';
import type { ApacheModel, Scope, Source } from './model.js';
import { isWildcard } from './values.js';

export interface ListenerDraft {
  name: string;
  /** Address to bind. */
  address: string;
  port: number;
  tls: boolean;
  /** The address as Apache had it (`*` for every address), to match IP-based vhosts. */
  declared: string;
  sources: Source[];
  /** Virtual hosts serving it, first is the default; [main] when none. */
  scopes: Scope[];
}

function portMatches(port: number | '*' | undefined, listener: ListenerDraft): boolean {
  return port === undefined || port === '*' || port === listener.port;
}

function bindAddress(declared: string): string {
  if (declared === '::' || declared === '[::]') return '::1';
  if (isWildcard(declared) || !isIP(declared)) return '127.0.0.1';
  return declared;
}

export function planListeners(model: ApacheModel, findings: Findings): ListenerDraft[] {
  const listeners: ListenerDraft[] = [];
  const find = (declared: string, port: number) =>
    listeners.find((l) => l.port === port && (l.declared === declared || l.declared === '*'));
  const add = (declared: string, port: number, https: boolean, source: Source) => {
    const existing = listeners.find((l) => l.port === port && l.declared === declared);
    if (existing) {
      existing.sources.push(source);
      existing.tls ||= https;
      return;
    }
    listeners.push({
      name: '',
      address: bindAddress(declared),
      port,
      tls: https,
      declared,
      sources: [source],
      scopes: [],
    });
  };

  for (const l of model.listens) add(l.address ?? '*', l.port, l.https, l.source);

  for (const v of model.vhosts) {
    for (const a of v.addresses) {
      if (typeof a.port !== 'number') continue;
      const declared = isIP(a.host) ? a.host : '*';
      if (find(declared, a.port)) continue;
      add(declared, a.port, false, v.source);
      findings.warn(
        v.source.line,
        `no Listen for port ${a.port} in this file (Debian keeps Listen lines in ports.conf); Switchyard listens on port ${a.port} because <VirtualHost ${a.host}:${a.port}> asks for it`,
      );
    }
  }
  if (listeners.length === 0 && model.vhosts.length > 0) {
    const first = model.vhosts[0] as Scope;
    add('*', 80, false, first.source);
    findings.warn(
      first.source.line,
      'no Listen and no port in <VirtualHost>: listening on port 80',
    );
  }

  for (const l of listeners) {
    const source = l.sources[0] as Source;
    if (l.address !== l.declared.replace(/^\[|\]$/g, '')) {
      findings.warn(
        source.line,
        `${l.declared === '*' ? 'every address' : l.declared} port ${l.port}: Switchyard binds ${l.address} instead, because it listens on this machine only unless told otherwise. To serve the network, import this file (switchyard import apache) and set the listener's address to ${l.address.includes(':') ? '::' : '0.0.0.0'}`,
      );
    }
    if (l.port > 0 && l.port < 1024) {
      findings.warn(
        source.line,
        `port ${l.port} is below 1024: on Linux (and older macOS) only an administrator may listen on it. If Switchyard cannot listen, import this file and change the port`,
      );
    }
    const exact = model.vhosts.filter((v) =>
      v.addresses.some((a) => a.host === l.declared && portMatches(a.port, l)),
    );
    const wild = model.vhosts.filter((v) =>
      v.addresses.some((a) => !isIP(a.host) && portMatches(a.port, l)),
    );
    l.scopes = exact.length > 0 ? exact : wild.length > 0 ? wild : [model.main];
    if (l.scopes.some((s) => s.tls) || (l.scopes[0] === model.main && model.main.tls)) l.tls = true;
  }
  nameListeners(listeners);
  return listeners;
}

function nameListeners(listeners: ListenerDraft[]): void {
  const used = new Set<string>();
  for (const l of listeners) {
    const scheme = l.tls ? 'https' : 'http';
    const samePort = listeners.filter((o) => o.port === l.port).length > 1;
    let name = samePort
      ? `${scheme}-${l.address.replace(/[^A-Za-z0-9.]/g, '-')}-${l.port}`
      : `${scheme}-${l.port}`;
    for (let n = 2; used.has(name); n++) name = `${scheme}-${l.port}-${n}`;
    used.add(name);
    l.name = name;
  }
}
