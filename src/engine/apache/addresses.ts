/**
 * Listen and `<VirtualHost addr:port>` → the routing file's listeners, as httpd maps them:
 * one listener per Listen socket, and for each the virtual hosts a connection to it can
 * reach — the ones naming the address the connection arrived at if any, else the ones
 * naming every address (`*`, `_default_`, `0.0.0.0`) for its port, else the main server —
 * in file order (the first is the default for Host headers no ServerName matches).
 * A VirtualHost opens no socket of its own: `<VirtualHost *:8080>` is served on whatever
 * Listen sockets open port 8080, name-based when several share one.
 *
 * Two departures, each reported where it applies:
 * - A wildcard address (`Listen 80`, `*:80`) binds 127.0.0.1 here, because Switchyard binds
 *   loopback unless a routing file says otherwise. Connections then always arrive at
 *   127.0.0.1, and that decides which IP-based virtual host they reach.
 * - A port that VirtualHosts name but no Listen line opens still gets a listener, where the
 *   virtual hosts say: Debian keeps its Listen lines in ports.conf, apart from the sites.
 */
import { isIP, isIPv6 } from '../../shared/ip.js';
import type { Findings } from './findings.js';
import type { ApacheModel, Scope, Source, VhostAddress } from './model.js';
import { isWildcard } from './values.js';

export interface ListenerDraft {
  name: string;
  /** Address to bind. */
  address: string;
  port: number;
  tls: boolean;
  /** The address as Apache had it (`*` for every address), for messages. */
  declared: string;
  sources: Source[];
  /** Virtual hosts serving it, first is the default; [main] when none. */
  scopes: Scope[];
}

/** A socket Apache would open: a Listen line, or one a VirtualHost implies. */
interface Socket {
  /** `*` for every address, else the IP or host name as written (no brackets). */
  declared: string;
  port: number;
  https: boolean;
  source: Source;
  /** Written as a Listen line, not implied by a VirtualHost. */
  listen: boolean;
}

/** IPv6 literals in one spelling (`0:0::1` → `::1`), so addresses compare as text. */
function canonical(host: string): string {
  if (!isIPv6(host)) return host.toLowerCase();
  return new URL(`http://[${host}]/`).hostname.slice(1, -1);
}

/** `127.0.0.1:8080`, `[::1]:8080`, `*:8080`. */
export function hostPort(host: string, port: number | string): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function bindAddress(declared: string): string {
  if (declared === '::') return '::1';
  if (isWildcard(declared) || !isIP(declared)) return '127.0.0.1';
  return declared;
}

/** A VirtualHost address that takes connections to any address (host names included). */
function anyAddress(host: string): boolean {
  return isWildcard(host) || !isIP(host);
}

/** `<VirtualHost *:80 [::1]:80>` as written, for messages. */
export function vhostLabel(v: Scope): string {
  const addresses = v.addresses.map((a) =>
    a.port === undefined ? a.host : hostPort(a.host, a.port),
  );
  return `<VirtualHost ${addresses.join(' ')}>`;
}

function servesPort(a: VhostAddress, port: number): boolean {
  return a.port === undefined || a.port === '*' || a.port === port;
}

/**
 * Does one of two different Listen addresses on a port already take the other's? A
 * wildcard takes every address, so httpd fails to bind the second (`Address already in
 * use`), except for 0.0.0.0 beside [::], which it opens as a pair.
 */
function overlaps(a: string, b: string): boolean {
  if (a === b || !(isWildcard(a) || isWildcard(b))) return false;
  const pair = new Set([a, b]);
  return !(pair.has('0.0.0.0') && pair.has('::'));
}

function line(s: Socket): string {
  return s.source.text.trim();
}

function readListens(model: ApacheModel, findings: Findings): Socket[] {
  const sockets: Socket[] = [];
  for (const l of model.listens) {
    const declared = l.address === undefined ? '*' : canonical(l.address);
    const socket = { declared, port: l.port, https: l.https, source: l.source, listen: true };
    const samePort = sockets.filter((s) => s.port === l.port);
    const twin = samePort.find((s) => s.declared === declared);
    if (twin) {
      findings.warn(
        l.source.line,
        `${line(socket)}: line ${twin.source.line} already opens ${hostPort(declared, l.port)}, and Apache refuses a second Listen for one address and port ("Cannot define multiple Listeners on the same IP:port"); ignored`,
      );
      continue;
    }
    const wider = samePort.find((s) => overlaps(s.declared, declared));
    if (wider) {
      const wildcard = isWildcard(wider.declared) ? wider : socket;
      const bind = bindAddress(declared);
      const same = bind === bindAddress(wider.declared);
      findings.warn(
        l.source.line,
        `${line(socket)} and ${line(wider)} (line ${wider.source.line}): ${line(wildcard)} takes every address on port ${l.port}, so Apache cannot open both and does not start ("Address already in use"). ${same ? `Here both are ${hostPort(bind, l.port)}: one listener serves them` : `Switchyard opens both, as ${hostPort(bindAddress(wider.declared), l.port)} and ${hostPort(bind, l.port)}`}`,
      );
    }
    sockets.push(socket);
  }
  return sockets;
}

/** Sockets for ports that VirtualHosts name and no Listen opens. */
function impliedSockets(model: ApacheModel, sockets: Socket[], findings: Findings): Socket[] {
  const listened = new Set(sockets.map((s) => s.port));
  const implied: Socket[] = [];
  for (const v of model.vhosts) {
    for (const a of v.addresses) {
      if (typeof a.port !== 'number' || listened.has(a.port)) continue;
      const declared = anyAddress(a.host) ? '*' : canonical(a.host);
      if (implied.some((s) => s.port === a.port && s.declared === declared)) continue;
      const known = implied.some((s) => s.port === a.port);
      implied.push({ declared, port: a.port, https: false, source: v.source, listen: false });
      if (known) continue;
      findings.warn(
        v.source.line,
        `no Listen for port ${a.port} in this file (Debian keeps Listen lines in ports.conf); Switchyard listens on port ${a.port} because <VirtualHost ${hostPort(a.host, a.port)}> asks for it`,
      );
    }
  }
  if (sockets.length === 0 && implied.length === 0 && model.vhosts.length > 0) {
    const first = model.vhosts[0] as Scope;
    implied.push({ declared: '*', port: 80, https: false, source: first.source, listen: false });
    findings.warn(
      first.source.line,
      'no Listen and no port in <VirtualHost>: listening on port 80',
    );
  }
  return implied;
}

/** Sockets → listeners, one per address Switchyard binds (several Apache ones may share it). */
function toListeners(sockets: Socket[], findings: Findings): ListenerDraft[] {
  const listeners: ListenerDraft[] = [];
  const listenLine = new Map<ListenerDraft, Socket>();
  for (const s of sockets) {
    const address = bindAddress(s.declared);
    const existing = listeners.find((l) => l.address === address && l.port === s.port);
    if (existing) {
      const first = listenLine.get(existing);
      // Overlapping wildcards were reported with the Listen lines.
      if (s.listen && first && !overlaps(first.declared, s.declared)) {
        findings.warn(
          s.source.line,
          `${line(s)} and ${line(first)} (line ${first.source.line}) are both ${hostPort(address, s.port)} here: one listener serves them`,
        );
      }
      existing.sources.push(s.source);
      existing.tls ||= s.https;
      continue;
    }
    const draft: ListenerDraft = {
      name: '',
      address,
      port: s.port,
      tls: s.https,
      declared: s.declared,
      sources: [s.source],
      scopes: [],
    };
    if (s.listen) listenLine.set(draft, s);
    listeners.push(draft);
  }
  return listeners;
}

function ipBasedOn(v: Scope, l: ListenerDraft): boolean {
  return v.addresses.some(
    (a) => !anyAddress(a.host) && canonical(a.host) === l.address && servesPort(a, l.port),
  );
}

function wildcardOn(v: Scope, l: ListenerDraft): boolean {
  return v.addresses.some((a) => anyAddress(a.host) && servesPort(a, l.port));
}

/** Why no listener reaches a virtual host. */
function unreachedReason(v: Scope, listeners: ListenerDraft[]): string {
  const taken: string[] = [];
  const elsewhere: ListenerDraft[] = [];
  for (const l of listeners) {
    const mine = v.addresses.filter((a) => servesPort(a, l.port));
    const winner = l.scopes[0];
    if (mine.length === 0 || !winner) continue;
    if (mine.some((a) => anyAddress(a.host))) {
      taken.push(`${hostPort(l.address, l.port)} to line ${winner.source.line}`);
    } else elsewhere.push(l);
  }
  const reasons: string[] = [];
  if (taken.length > 0) {
    reasons.push(
      `Apache gives a connection to the virtual hosts that name the address it arrived at, and every connection here arrives at one that does (${taken.join(', ')}); this one would serve the other addresses, where Switchyard does not listen`,
    );
  }
  if (elsewhere.length > 0) {
    const ips = [...new Set(v.addresses.map((a) => a.host))].join(', ');
    const at = elsewhere.map(
      (l) => `${hostPort(l.address, l.port)} (line ${l.sources[0]?.line ?? '?'})`,
    );
    reasons.push(
      `it answers connections to ${ips} only, and Switchyard listens on ${at.join(' and ')}; <VirtualHost ${hostPort('*', elsewhere[0]?.port ?? '*')}> would serve it there`,
    );
  }
  return reasons.join('; ');
}

export function planListeners(model: ApacheModel, findings: Findings): ListenerDraft[] {
  const sockets = readListens(model, findings);
  const listeners = toListeners(
    [...sockets, ...impliedSockets(model, sockets, findings)],
    findings,
  );

  for (const l of listeners) {
    const source = l.sources[0] as Source;
    if (l.address !== l.declared) {
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
    const ipBased = model.vhosts.filter((v) => ipBasedOn(v, l));
    const wild = model.vhosts.filter((v) => wildcardOn(v, l));
    l.scopes = ipBased.length > 0 ? ipBased : wild.length > 0 ? wild : [model.main];
    if (l.scopes.some((s) => s.tls) || (l.scopes[0] === model.main && model.main.tls)) l.tls = true;
  }

  const reached = new Set(listeners.flatMap((l) => l.scopes));
  for (const v of model.vhosts) {
    if (reached.has(v)) continue;
    findings.warn(
      v.source.line,
      `${vhostLabel(v)} is never chosen here, so its routes are left out: ${unreachedReason(v, listeners)}`,
    );
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
