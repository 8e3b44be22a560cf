/**
 * What the Apache import reads out of a configuration before it becomes a routing file:
 * the main server and each VirtualHost as a Scope, with their ProxyPass rules, Location
 * blocks, header rules and balancers, each remembering the line it came from so the
 * routing file can point back at it.
 */

import type { EncodedSlashes } from '../../shared/config.js';
import type { StickyCookieRecipe } from './headers.js';

/** A line of the Apache file, for comments in the generated routing file and messages. */
export interface Source {
  line: number;
  text: string;
}

export interface PassRule {
  /** Public path prefix. */
  path: string;
  /** Backend URL as written; undefined for an exclusion (`ProxyPass /path !`). */
  target?: string;
  /** key=value worker or balancer parameters, keys lowercased. */
  params: Map<string, string>;
  source: Source;
  /** Set when the rule is a `ProxyPass URL` inside `<Location path>`. */
  location?: LocationBlock;
}

export interface ReverseRule {
  path: string;
  url: string;
  source: Source;
  /** Set once some route's target matched it; unmatched ones are reported. */
  used: boolean;
}

export interface CookieRule {
  kind: 'domain' | 'path';
  internal: string;
  public: string;
  source: Source;
}

export interface HeaderRule {
  direction: 'request' | 'response';
  action: 'set' | 'remove';
  name: string;
  value?: string;
  source: Source;
}

export interface LocationBlock {
  path: string;
  source: Source;
  pass?: PassRule;
  reverses: ReverseRule[];
  cookies: CookieRule[];
  headers: HeaderRule[];
  preserveHost?: boolean;
  preserveHostSource?: Source;
  balancerManager: boolean;
}

export interface VhostAddress {
  /** `*`, `_default_`, an IP literal, or a hostname. */
  host: string;
  /** Undefined or `*`: every port the server listens on. */
  port?: number | '*';
}

export interface Scope {
  kind: 'server' | 'vhost';
  /** Index among the VirtualHosts; -1 for the main server. */
  index: number;
  source: Source;
  addresses: VhostAddress[];
  serverName?: string;
  aliases: string[];
  preserveHost?: boolean;
  preserveHostSource?: Source;
  /** AllowEncodedSlashes: `off` written out, so a virtual host can undo the main server's. */
  encodedSlashes?: EncodedSlashes | 'off';
  encodedSlashesSource?: Source;
  /** ProxyTimeout and Timeout, in seconds. */
  proxyTimeout?: number;
  timeout?: number;
  tls: boolean;
  passes: PassRule[];
  reverses: ReverseRule[];
  cookies: CookieRule[];
  headers: HeaderRule[];
  locations: LocationBlock[];
}

export interface ListenRule {
  /** Undefined: every address. */
  address?: string;
  port: number;
  https: boolean;
  source: Source;
}

export interface MemberDraft {
  url: string;
  params: Map<string, string>;
  source: Source;
}

export interface BalancerDraft {
  name: string;
  source: Source;
  members: MemberDraft[];
  /** ProxySet and ProxyPass parameters, in the order met; later ones win. */
  params: { key: string; value: string; source: Source }[];
  /** Scopes that define it, to notice one name defined in two VirtualHosts. */
  scopes: Set<number>;
}

export interface AccessDraft {
  allow: string[];
  sources: Source[];
}

export interface ApacheModel {
  main: Scope;
  vhosts: Scope[];
  listens: ListenRule[];
  balancers: Map<string, BalancerDraft>;
  /** `Header add Set-Cookie "NAME=.%{BALANCER_WORKER_ROUTE}e…" env=BALANCER_ROUTE_CHANGED`. */
  stickyCookies: StickyCookieRecipe[];
  access?: AccessDraft;
}

export function newScope(kind: Scope['kind'], index: number, source: Source): Scope {
  return {
    kind,
    index,
    source,
    addresses: [],
    aliases: [],
    tls: false,
    passes: [],
    reverses: [],
    cookies: [],
    headers: [],
    locations: [],
  };
}
