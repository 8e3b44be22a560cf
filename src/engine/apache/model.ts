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
  /** ProxyPassMatch, or ProxyPass inside `<LocationMatch>`: the regular expression (path is unused). */
  regex?: string;
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
  /** `<LocationMatch re>` or `<Location ~ re>`: `path` holds the regular expression. */
  regex?: boolean;
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
  /** `Protocols h2 h2c http/1.1`, lowercased; undefined inherits (the main server's, else http/1.1). */
  protocols?: string[];
  protocolsSource?: Source;
  passes: PassRule[];
  reverses: ReverseRule[];
  cookies: CookieRule[];
  headers: HeaderRule[];
  locations: LocationBlock[];
  /** mod_rewrite's directives of this scope (never inherited unless RewriteOptions Inherit). */
  rewrite?: RewriteScope;
  /** Redirect, RedirectPermanent, RedirectTemp, RedirectMatch, in file order. */
  redirects?: RedirectRule[];
}

/** A RewriteCond as written: `TestString CondPattern [flags]`. */
export interface RewriteCondRule {
  test: string;
  pattern: string;
  /** Lowercased flag words (`nc`, `or`, `novary`). */
  flags: string[];
  source: Source;
}

/** A RewriteRule as written, with the RewriteCond lines just before it. */
export interface RewriteRuleLine {
  pattern: string;
  substitution: string;
  /** Lowercased flag words, `key=value` kept whole (`r=301`). */
  flags: string[];
  conditions: RewriteCondRule[];
  source: Source;
}

export interface RewriteScope {
  /** RewriteEngine On (the last RewriteEngine line of the scope decides). */
  engine: boolean;
  rules: RewriteRuleLine[];
  /** RewriteCond lines not yet followed by a RewriteRule. */
  pending: RewriteCondRule[];
  /** RewriteOptions Inherit (main server's rules after) or InheritBefore. */
  inherit?: 'after' | 'before';
}

/** mod_alias: `Redirect [status] /path [URL]` (prefix) or `RedirectMatch [status] regex [URL]`. */
export interface RedirectRule {
  kind: 'prefix' | 'match';
  /** The URL-path, or the regular expression for RedirectMatch. */
  path: string;
  status: number;
  /** Absent for a status outside 3xx (gone, 410, 403…). */
  url?: string;
  source: Source;
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

/** The access rules of one `<Proxy URL-prefix>` section. */
export interface ProxyAccess {
  /** Lowercased, `*` and ws(s) scheme normalised: `http://backend:8080/app`. */
  prefix: string;
  access: AccessDraft;
  source: Source;
}

export interface ApacheModel {
  main: Scope;
  vhosts: Scope[];
  listens: ListenRule[];
  balancers: Map<string, BalancerDraft>;
  /** `Header add Set-Cookie "NAME=.%{BALANCER_WORKER_ROUTE}e…" env=BALANCER_ROUTE_CHANGED`. */
  stickyCookies: StickyCookieRecipe[];
  /** `<Proxy URL-prefix>` sections with access rules, in file order. */
  proxyAccess: ProxyAccess[];
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
