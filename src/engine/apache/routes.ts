/**
 * ProxyPass rules → ordered routes, in the order Apache consults them, so that the
 * routing file's "first match wins" picks what Apache would pick:
 *
 * 1. `<Location>` blocks holding a ProxyPass come first, the last such block in the file
 *    first: Apache merges every matching Location and the last one's ProxyPass wins, and
 *    a Location's ProxyPass is consulted before any server-level one.
 * 2. Then server-level ProxyPass lines in file order, the main server's before the
 *    virtual host's (Apache appends a virtual host's list to the main server's).
 *    ProxyPassMatch lines sit among them in file order (one list in mod_proxy), and a
 *    `ProxyPass … !` answers in its place (form-routes.ts says what).
 *
 * Before all of these come the virtual host's RewriteRules, in file order: mod_rewrite
 * registers its translate-name hook to run before mod_proxy's, so a rule that applies
 * (with [P], [R], [F]…) decides before any ProxyPass is consulted. After them come the
 * redirects (mod_alias translates after mod_proxy, so `ProxyPass /` hides a `Redirect
 * /old`, as httpd shows) and the balancer-manager page (a handler, reached only by
 * requests nothing proxied).
 *
 * Settings made inside a `<Location>` without a ProxyPass (RequestHeader, Header,
 * ProxyPreserveHost) apply to part of a route; such a route is split so that the part
 * gets its own route with those settings, mapped to the same backend path.
 */
import type { RoutingConfigInput } from '../../shared/config.js';
import { mapToBackend, matchesPrefix } from '../paths.js';
import { hostPort, type ListenerDraft } from './addresses.js';
import type { BalancerResult } from './balancers.js';
import type { Findings } from './findings.js';
import { FormRoutes } from './form-routes.js';
import { foldHeaders } from './headers.js';
import type {
  ApacheModel,
  CookieRule,
  HeaderRule,
  LocationBlock,
  PassRule,
  ReverseRule,
  Scope,
  Source,
} from './model.js';
import { duration } from './values.js';

export type RouteInput = NonNullable<RoutingConfigInput['routes']>[number];

export type Target =
  | { kind: 'url'; origin: string; path: string; hostname: string }
  | { kind: 'balancer'; name: string; path: string };

export interface RouteDraft {
  /** Identity across listeners: the same draft serves every listener whose list has it. */
  key: string;
  route: RouteInput & { match: NonNullable<RouteInput['match']> };
  prefix: string;
  target: Target;
  headerRules: HeaderRule[];
  sources: Source[];
  /** Comment lines that explain a mapping choice. */
  notes: string[];
  /** A pattern or conditions (form-routes.ts), or an answer without a backend. */
  form?: 'pattern' | 'local';
}

/** Does host pattern `outer` (exact or `*.domain`) match every host `inner` matches? */
function hostCovers(outer: string, inner: string): boolean {
  if (outer === inner) return true;
  if (!outer.startsWith('*.')) return false;
  const name = inner.startsWith('*.') ? inner.slice(1) : inner;
  return name.endsWith(outer.slice(1)) && name.length > outer.length - 1;
}

/** Does route prefix `outer` match every path that `inner` matches? */
export function covers(outer: string, inner: string): boolean {
  if (outer === '/') return true;
  if (outer.endsWith('/')) return inner.startsWith(outer);
  return inner === outer || inner.startsWith(`${outer}/`);
}

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function sameUrl(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    const norm = (u: URL) =>
      `${u.protocol.replace(/^ws/, 'http')}//${u.host.toLowerCase()}${trimSlash(u.pathname || '/')}`;
    return norm(x) === norm(y);
  } catch {
    return false;
  }
}

export class RouteBuilder {
  readonly #model: ApacheModel;
  readonly #balancers: ReadonlyMap<string, BalancerResult>;
  readonly #findings: Findings;
  readonly #cache = new Map<string, RouteDraft[]>();
  readonly #warned = new Set<string>();
  readonly usedReverses = new Set<ReverseRule>();
  readonly usedCookies = new Set<CookieRule>();

  constructor(
    model: ApacheModel,
    balancers: ReadonlyMap<string, BalancerResult>,
    findings: Findings,
  ) {
    this.#model = model;
    this.#balancers = balancers;
    this.#findings = findings;
  }

  #warnOnce(line: number, message: string): void {
    const key = `${line}|${message}`;
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#findings.warn(line, message);
  }

  /** ServerName (the main server's when the virtual host has none) and ServerAlias names. */
  #names(v: Scope): string[] {
    return [v.serverName ?? this.#model.main.serverName, ...v.aliases].filter(
      (n): n is string => n !== undefined,
    );
  }

  /**
   * The routes a listener serves, in order. Apache tries the names of the virtual hosts on
   * a socket in file order and takes the first that matches, else the first virtual host.
   * Here the first one's routes come last without a host; the others' come before it, one
   * set per name, and a name an earlier virtual host already takes is left out.
   */
  forListener(l: ListenerDraft): RouteDraft[] {
    const [first, ...others] = l.scopes;
    if (!first) return [];
    if (others.length === 0) {
      const list = this.#list(first, undefined);
      if (first.kind === 'vhost' && first.serverName !== undefined) {
        this.#warnOnce(
          first.source.line,
          `ServerName ${first.serverName}: this is the only virtual host on ${hostPort(l.declared, l.port)}, so Apache sends it every request whatever the Host header; its routes match any host too`,
        );
      }
      return list;
    }
    const out: RouteDraft[] = [];
    const claimed = this.#names(first).map((name) => ({ name, by: first, routed: false }));
    for (const v of others) {
      const names = this.#names(v);
      if (names.length === 0) {
        this.#warnOnce(
          v.source.line,
          '<VirtualHost> without ServerName after the first one on its address: Apache could only pick it by the server’s own name; its routes are left out',
        );
        continue;
      }
      for (const name of names) {
        if (!/^(\*\.)?[A-Za-z0-9.-]+$/.test(name)) {
          this.#warnOnce(
            v.source.line,
            `host name '${name}': routes match exact names or '*.domain' only; left out`,
          );
          continue;
        }
        const earlier = claimed.find((c) => c.by !== v && hostCovers(c.name, name));
        if (earlier) {
          this.#warnOnce(
            v.source.line,
            `host name '${name}': the virtual host of line ${earlier.by.source.line} comes first and ${earlier.name === name ? 'has this name too' : `takes it with '${earlier.name}'`}, so Apache never sends ${name} here; left out`,
          );
          continue;
        }
        // The first virtual host's own names are Apache's before a later wildcard's.
        for (const c of claimed) {
          if (c.by !== first || c.routed || !hostCovers(name, c.name)) continue;
          c.routed = true;
          out.push(...this.#named(first, c.name, first));
        }
        claimed.push({ name, by: v, routed: true });
        out.push(...this.#named(v, name, first));
      }
    }
    out.push(...this.#list(first, undefined));
    return out;
  }

  /** A virtual host's routes for one of its names, before the default's. */
  #named(v: Scope, name: string, first: Scope): RouteDraft[] {
    const list = this.#list(v, name);
    if (!list.some((d) => d.prefix === '/')) {
      this.#warnOnce(
        v.source.line,
        `requests for ${name} that match none of its ProxyPass paths fall through to the routes of ${v === first ? 'other virtual hosts' : `the default virtual host (line ${first.source.line})`} here; Apache would answer them from ${name} itself`,
      );
    }
    return list;
  }

  #locations(v: Scope): LocationBlock[] {
    const main = this.#model.main;
    return v === main ? main.locations : [...main.locations, ...v.locations];
  }

  #list(v: Scope, host: string | undefined): RouteDraft[] {
    const key = `${v.index}|${host ?? ''}`;
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const main = this.#model.main;
    const locations = this.#locations(v);
    const passes: PassRule[] = [
      ...locations
        .map((l) => l.pass)
        .filter((p): p is PassRule => p !== undefined)
        .reverse(),
      ...main.passes,
      ...(v === main ? [] : v.passes),
    ];
    const forms = new FormRoutes({
      v,
      main,
      host,
      listKey: key,
      names: this.#names(v),
      locations,
      warnOnce: (line, message) => this.#warnOnce(line, message),
      proxyDraft: (pass) => this.#toRoute(v, pass, host, key),
    });
    const list: RouteDraft[] = forms.rewrites();
    for (const pass of passes) {
      if (pass.target === undefined || pass.regex !== undefined) {
        list.push(...forms.pass(pass));
        continue;
      }
      const draft = this.#toRoute(v, pass, host, key);
      if (draft) list.push(draft);
    }
    list.push(...forms.after(list));
    for (const location of locations) this.#applyLocation(location, list);
    for (const d of list) {
      const headers: NonNullable<RouteInput['headers']> = {};
      for (const direction of ['request', 'response'] as const) {
        const { set, remove } = foldHeaders(d.headerRules, direction);
        if (Object.keys(set).length === 0 && remove.length === 0) continue;
        headers[direction] = {
          ...(Object.keys(set).length > 0 ? { set } : {}),
          ...(remove.length > 0 ? { remove } : {}),
        };
      }
      if (Object.keys(headers).length > 0) d.route.headers = headers;
      else delete d.route.headers;
    }
    this.#shadows(list);
    this.#cache.set(key, list);
    return list;
  }

  #shadows(list: RouteDraft[]): void {
    list.forEach((later, j) => {
      if (later.form) return;
      const earlier = list.slice(0, j).find((d) => !d.form && covers(d.prefix, later.prefix));
      if (!earlier) return;
      this.#warnOnce(
        later.sources[0]?.line ?? 0,
        `ProxyPass ${later.prefix} is never used: ${earlier.prefix} (line ${earlier.sources[0]?.line ?? '?'}) is consulted first and matches every path under it. Apache also takes the first match: list the most specific path first`,
      );
    });
  }

  /** Location settings onto the routes inside it, splitting a route that only partly is. */
  #applyLocation(location: LocationBlock, list: RouteDraft[]): void {
    const has = location.headers.length > 0 || location.preserveHost !== undefined;
    // A <LocationMatch>'s settings go to its own ProxyPass only (form-routes.ts).
    if (!has || location.balancerManager || location.regex) return;
    const apply = (d: RouteDraft) => {
      if (location.preserveHost !== undefined) d.route.preserveHost = location.preserveHost;
      d.headerRules.push(...location.headers);
      d.sources.push(location.source);
      if (location.preserveHostSource) d.sources.push(location.preserveHostSource);
      d.sources.push(...location.headers.map((h) => h.source));
    };
    const at = list.findIndex((d) => !d.form && matchesPrefix(location.path, d.prefix));
    const outer = at === -1 ? undefined : list[at];
    if (outer && !covers(location.path, outer.prefix)) {
      list.splice(at, 0, this.#split(outer, location.path));
    }
    let applied = false;
    for (const d of list) {
      if (!d.form && covers(location.path, d.prefix)) {
        apply(d);
        applied = true;
      }
    }
    if (!applied) {
      this.#warnOnce(
        location.source.line,
        `<Location ${location.path}> sets headers or ProxyPreserveHost, but no ProxyPass forwards ${location.path}; ignored`,
      );
    }
  }

  #split(outer: RouteDraft, path: string): RouteDraft {
    const targetPath = mapToBackend(path, outer.prefix, outer.target.path);
    const to =
      outer.target.kind === 'url'
        ? `${outer.target.origin}${targetPath}`
        : `balancer://${outer.target.name}${targetPath}`;
    return {
      key: `${outer.key}|${path}`,
      route: {
        ...outer.route,
        match: { ...outer.route.match, path },
        to,
      },
      prefix: path,
      target: { ...outer.target, path: targetPath },
      headerRules: [...outer.headerRules],
      sources: [...outer.sources],
      notes: [
        ...outer.notes,
        `split from the route for ${outer.prefix}: a <Location ${path}> changes settings for this part`,
      ],
    };
  }

  #target(pass: PassRule): { target: Target; to: string; websocket: boolean } | undefined {
    const line = pass.source.line;
    const text = pass.target ?? '';
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      this.#warnOnce(line, `ProxyPass ${pass.path} ${text}: not a URL; route left out`);
      return undefined;
    }
    if (url.protocol === 'balancer:') {
      const result = this.#balancers.get(url.hostname.toLowerCase());
      if (!result) {
        this.#findings.error(
          line,
          `ProxyPass ${pass.path} ${text}: no <Proxy balancer://${url.hostname}> with BalancerMember lines defines this balancer`,
        );
        return undefined;
      }
      const path = url.pathname || '/';
      const name = result.balancer.name;
      return {
        target: { kind: 'balancer', name, path },
        to: `balancer://${name}${path}`,
        websocket: result.websocket,
      };
    }
    const ws = url.protocol === 'ws:' || url.protocol === 'wss:';
    // h2c:// and h2:// are mod_proxy_http2's, and Switchyard's too.
    if (!ws && !['http:', 'https:', 'h2c:', 'h2:'].includes(url.protocol)) {
      this.#warnOnce(
        line,
        `ProxyPass ${pass.path} ${text}: ${url.protocol.slice(0, -1)} backends are not supported (Switchyard forwards HTTP/1.1, HTTP/2 and WebSocket); route left out`,
      );
      return undefined;
    }
    if (url.search || url.username || url.password || url.hash) {
      this.#warnOnce(
        line,
        `ProxyPass ${pass.path} ${text}: the query or credentials in the backend URL are left out`,
      );
      url.search = '';
      url.username = '';
      url.password = '';
      url.hash = '';
    }
    const protocol = url.protocol.replace(/^ws/, 'http');
    const origin = `${protocol}//${url.host}`;
    return {
      target: { kind: 'url', origin, path: url.pathname, hostname: url.hostname },
      to: `${origin}${url.pathname}`,
      websocket: ws,
    };
  }

  #toRoute(
    v: Scope,
    pass: PassRule,
    host: string | undefined,
    listKey: string,
  ): RouteDraft | undefined {
    const main = this.#model.main;
    const line = pass.source.line;
    if (!pass.path.startsWith('/')) {
      this.#warnOnce(line, `ProxyPass ${pass.path}: the path must start with /; route left out`);
      return undefined;
    }
    const resolved = this.#target(pass);
    if (!resolved) return undefined;
    const { target } = resolved;
    let websocket = resolved.websocket;
    let timeout: number | undefined;
    if (target.kind === 'url') {
      for (const [key, value] of pass.params) {
        if (key === 'timeout' && /^\d+(\.\d+)?$/.test(value)) timeout = Number(value);
        else if (key === 'upgrade' && /^(websocket|any)$/i.test(value)) websocket = true;
        else if (key === 'retry')
          this.#warnOnce(
            line,
            `retry=${value}: a backend in error is retried at once here (retry applies to balancer members); ignored`,
          );
        else this.#warnOnce(line, `ProxyPass parameter ${key}=${value} is not supported; ignored`);
      }
    } else {
      timeout = this.#balancers.get(target.name.toLowerCase())?.memberTimeout;
    }
    const notes: string[] = [];
    const inherited = timeout ?? v.proxyTimeout ?? main.proxyTimeout ?? v.timeout ?? main.timeout;
    if (inherited === undefined) notes.push('timeout: 60s is Apache’s default Timeout');
    const sources: Source[] = [pass.source];
    const preserveSource = v.preserveHostSource ?? main.preserveHostSource;
    if (preserveSource) sources.push(preserveSource);
    // Apache's virtual host takes the main server's AllowEncodedSlashes unless it has its own.
    const slashesSource = v.encodedSlashesSource ?? main.encodedSlashesSource;
    const slashes = v.encodedSlashesSource ? v.encodedSlashes : main.encodedSlashes;
    if (slashesSource) sources.push(slashesSource);
    const reverse = this.#reverse(v, pass, sources);
    if (!reverse)
      notes.push(
        'reverse: false — no ProxyPassReverse for this backend, so, as in Apache, redirects are passed unchanged',
      );
    if (!websocket)
      notes.push(
        'websocket: false — Apache tunnels WebSocket upgrades only with upgrade=websocket or a ws:// backend',
      );
    if (resolved.websocket && target.kind === 'url' && /^wss?:/i.test(pass.target ?? ''))
      notes.push(
        'a ws:// backend: this route tunnels WebSocket upgrades and forwards plain requests over http',
      );
    const draft: RouteDraft = {
      key: `${listKey}|${line}`,
      route: {
        name: '',
        match: { path: pass.path, ...(host === undefined ? {} : { host }) },
        to: resolved.to,
        preserveHost: v.preserveHost ?? main.preserveHost ?? false,
        reverse,
        websocket,
        timeout: duration(inherited ?? 60),
        ...(slashes === undefined || slashes === 'off' ? {} : { encodedSlashes: slashes }),
      },
      prefix: pass.path,
      target,
      headerRules: [...(v === main ? main.headers : [...main.headers, ...v.headers])],
      sources,
      notes,
    };
    this.#cookies(v, draft);
    sources.push(...draft.headerRules.map((h) => h.source));
    return draft;
  }

  #reverse(v: Scope, pass: PassRule, sources: Source[]): boolean {
    const main = this.#model.main;
    const rules = [
      ...(pass.location?.reverses ?? []),
      ...(v === main ? main.reverses : [...v.reverses, ...main.reverses]),
      ...this.#locations(v).flatMap((l) => l.reverses),
    ];
    const rule = rules.find((r) => sameUrl(r.url, pass.target ?? ''));
    if (!rule) return false;
    this.usedReverses.add(rule);
    sources.push(rule.source);
    if (trimSlash(rule.path) !== trimSlash(pass.path)) {
      this.#warnOnce(
        rule.source.line,
        `ProxyPassReverse ${rule.path} ${rule.url}: Switchyard rewrites the backend's URLs to the route's own path (${pass.path}), not to ${rule.path}`,
      );
    }
    return true;
  }

  #cookies(v: Scope, d: RouteDraft): void {
    const main = this.#model.main;
    const rules = [
      ...(v === main ? main.cookies : [...main.cookies, ...v.cookies]),
      ...this.#locations(v).flatMap((l) => l.cookies),
    ];
    const hostnames =
      d.target.kind === 'url'
        ? [d.target.hostname]
        : (this.#balancers.get(d.target.name.toLowerCase())?.balancer.members ?? []).map((m) => {
            try {
              return new URL(m.url).hostname;
            } catch {
              return '';
            }
          });
    for (const rule of rules) {
      const matches =
        rule.kind === 'path'
          ? trimSlash(rule.internal) === trimSlash(d.target.path)
          : hostnames.includes(rule.internal.replace(/^\./, '').toLowerCase());
      if (!matches) continue;
      this.usedCookies.add(rule);
      d.sources.push(rule.source);
      if (!d.route.reverse) {
        d.route.reverse = true;
        this.#warnOnce(
          rule.source.line,
          `${rule.kind === 'path' ? 'ProxyPassReverseCookiePath' : 'ProxyPassReverseCookieDomain'}: Switchyard rewrites cookies together with redirects (reverse: true), so this route's Location headers are rewritten too`,
        );
      }
      const wanted = rule.kind === 'path' ? trimSlash(d.prefix) : undefined;
      if (wanted !== undefined && trimSlash(rule.public) !== wanted) {
        this.#warnOnce(
          rule.source.line,
          `ProxyPassReverseCookiePath ${rule.internal} ${rule.public}: cookie paths are rewritten to the route's own path (${d.prefix})`,
        );
      }
      if (rule.kind === 'domain') {
        this.#warnOnce(
          rule.source.line,
          `ProxyPassReverseCookieDomain ${rule.internal} ${rule.public}: the cookie domain becomes the host the client asked for, which is ${rule.public} when clients use that name`,
        );
      }
    }
  }
}
