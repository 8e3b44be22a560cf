/**
 * Walks the parsed Apache tree and reads the proxy subset into an ApacheModel, in file
 * order (which is what Apache's own merging follows). Every directive is either read,
 * or reported with its line and the reason it is left out: an import that silently
 * dropped a line would run something other than what the user wrote.
 */
import type { EncodedSlashes } from '../../shared/config.js';
import { AccessReader, proxyUrlPrefix } from './access.js';
import { BalancerCollector } from './collect-balancers.js';
import type { Findings } from './findings.js';
import { readHeaderDirective, readStickyCookieRecipe } from './headers.js';
import {
  newScope,
  type AccessDraft,
  type ApacheModel,
  type BalancerDraft,
  type LocationBlock,
  type Scope,
  type Source,
} from './model.js';
import { Modules } from './modules.js';
import { flatten, type Directive } from './parse.js';
import { perDirectoryForms, readablePattern } from './collect-forms.js';
import { readRedirect } from './redirects.js';
import { readRewrite } from './rewrite.js';
import { IGNORED, SILENT } from './unsupported.js';
import { hostOfServerName, keyValues, onOff, seconds, vhostAddress } from './values.js';

type Place = 'server' | 'vhost' | 'location' | 'proxy-all' | 'proxy-url' | 'proxy-balancer';

interface Ctx {
  place: Place;
  scope: Scope;
  location?: LocationBlock;
  balancer?: BalancerDraft;
  access?: AccessReader;
  /** Require lines of a Location, judged when the Location ends (balancer-manager or not). */
  requires?: Directive[];
}

/** AllowEncodedSlashes → route.encodedSlashes; `off` is the routing file's default. */
const ENCODED_SLASHES_VALUES: Record<string, EncodedSlashes | 'off'> = {
  on: 'decode',
  nodecode: 'passthrough',
  off: 'off',
};

const PLACE_NAME: Record<Place, string> = {
  server: 'the main server',
  vhost: '<VirtualHost>',
  location: '<Location>',
  'proxy-all': '<Proxy *>',
  'proxy-url': '<Proxy URL>',
  'proxy-balancer': '<Proxy balancer://…>',
};

export interface Collected {
  model: ApacheModel;
  /** Every `<Proxy *>` section's access rules; to-routing joins them. */
  accessSections: AccessDraft[];
}

function sourceOf(d: Directive): Source {
  return { line: d.line, text: d.text };
}

function summary(d: Directive): string {
  const inner = flatten(d.children ?? []);
  if (inner.length === 0) return '';
  const names = [...new Set(inner.map((i) => i.name))].slice(0, 6).join(', ');
  const lines = d.endLine ? `lines ${d.line + 1}-${d.endLine - 1}` : `after line ${d.line}`;
  return ` and the ${inner.length} directive${inner.length > 1 ? 's' : ''} in it (${names}; ${lines})`;
}

export class Collector {
  readonly #findings: Findings;
  readonly #modules = new Modules();
  readonly model: ApacheModel;
  readonly accessSections: AccessDraft[] = [];
  readonly #balancers: BalancerCollector;

  constructor(findings: Findings) {
    this.#findings = findings;
    this.model = {
      main: newScope('server', -1, { line: 0, text: '(main server)' }),
      vhosts: [],
      listens: [],
      balancers: new Map(),
      stickyCookies: [],
      proxyAccess: [],
    };
    this.#balancers = new BalancerCollector(this.model, findings);
  }

  collect(directives: readonly Directive[]): Collected {
    this.#walk(directives, { place: 'server', scope: this.model.main });
    return { model: this.model, accessSections: this.accessSections };
  }

  #warn(d: Directive, message: string): void {
    this.#findings.warn(d.line, message);
  }

  #misplaced(d: Directive, ctx: Ctx): void {
    this.#warn(
      d,
      `${d.name} is not allowed in ${PLACE_NAME[ctx.place]} (Apache would refuse it); ignored`,
    );
  }

  #walk(directives: readonly Directive[], ctx: Ctx): void {
    for (const d of directives) {
      if (d.trailingComment !== undefined) {
        this.#warn(
          d,
          `'${d.trailingComment}' follows a directive on the same line: Apache has no end-of-line comments and would read it as more arguments (httpd refuses this line); read here as a comment`,
        );
      }
      if (d.children) this.#section(d, ctx);
      else this.#directive(d, ctx);
    }
  }

  #skipSection(d: Directive, why: string): void {
    this.#warn(d, `<${d.name}${d.args.length ? ` ${d.args.join(' ')}` : ''}>${summary(d)}: ${why}`);
  }

  #section(d: Directive, ctx: Ctx): void {
    const children = d.children ?? [];
    switch (d.key) {
      case 'ifmodule': {
        const arg = d.args[0] ?? '';
        if (this.#modules.test(arg)) this.#walk(children, ctx);
        else if (children.length > 0)
          this.#skipSection(
            d,
            `skipped, as Apache would: module ${arg.replace(/^!/, '')} is ${arg.startsWith('!') ? 'present' : 'not loaded'}`,
          );
        return;
      }
      case 'ifdefine': {
        // No -D parameters exist here, so only negated tests hold.
        if ((d.args[0] ?? '').startsWith('!')) this.#walk(children, ctx);
        else if (children.length > 0)
          this.#skipSection(d, `skipped: ${d.args[0] ?? ''} is not defined (no httpd -D)`);
        return;
      }
      case 'virtualhost':
        if (ctx.place !== 'server') return this.#misplaced(d, ctx);
        return this.#virtualHost(d);
      case 'location':
      case 'locationmatch':
        if (ctx.place !== 'server' && ctx.place !== 'vhost') return this.#misplaced(d, ctx);
        return this.#location(d, ctx);
      case 'proxy':
        if (ctx.place !== 'server' && ctx.place !== 'vhost') return this.#misplaced(d, ctx);
        return this.#proxy(d, ctx);
      case 'requireany':
        if (ctx.place === 'proxy-all' || ctx.place === 'proxy-url' || ctx.place === 'location')
          return this.#walk(children, ctx);
        return this.#skipSection(d, 'not supported here; ignored');
      default: {
        if (d.key === 'directory' || d.key === 'directorymatch')
          perDirectoryForms(d, this.#findings);
        const what =
          d.key === 'proxymatch'
            ? 'regular-expression sections are not supported (routes match path prefixes); ignored'
            : d.key === 'directory' || d.key === 'files' || d.key.endsWith('match')
              ? 'Switchyard serves no files of its own; ignored'
              : 'not supported by the Apache import; ignored';
        this.#skipSection(d, what);
      }
    }
  }

  #virtualHost(d: Directive): void {
    const scope = newScope('vhost', this.model.vhosts.length, sourceOf(d));
    const bad = d.args.filter((a) => {
      const { port } = vhostAddress(a);
      return typeof port === 'number' && !(/:\d{1,5}$/.test(a) && port <= 65535);
    });
    if (bad.length > 0 && bad.length === d.args.length) {
      this.#skipSection(d, `${bad.join(', ')}: not an address:port (Apache refuses it); ignored`);
      return;
    }
    for (const a of bad)
      this.#warn(d, `<VirtualHost> ${a}: not an address:port (Apache refuses it); ignored`);
    scope.addresses = d.args.filter((a) => !bad.includes(a)).map(vhostAddress);
    if (scope.addresses.length === 0) scope.addresses.push({ host: '*' });
    this.model.vhosts.push(scope);
    this.#walk(d.children ?? [], { place: 'vhost', scope });
  }

  #location(d: Directive, ctx: Ctx): void {
    // <LocationMatch re> and <Location ~ re>: a ProxyPass inside is a ProxyPassMatch.
    const regex = d.key === 'locationmatch' || d.args[0] === '~';
    const path = regex ? d.args.at(-1) : d.args[0];
    if (
      path === undefined ||
      d.args.length !== (d.args[0] === '~' ? 2 : 1) ||
      (!regex && !path.startsWith('/'))
    ) {
      this.#skipSection(d, 'needs one path such as /app (or ~ and a regular expression); ignored');
      return;
    }
    if (regex && !readablePattern(d, path, this.#findings)) return;
    const location: LocationBlock = {
      path,
      source: sourceOf(d),
      reverses: [],
      cookies: [],
      headers: [],
      balancerManager: false,
      ...(regex ? { regex: true } : {}),
    };
    const inner: Ctx = { place: 'location', scope: ctx.scope, location, requires: [] };
    this.#walk(d.children ?? [], inner);
    ctx.scope.locations.push(location);
    for (const r of inner.requires ?? []) {
      if (location.balancerManager) continue;
      this.#warn(
        r,
        `${r.name} ${r.args.join(' ')} in <Location ${path}>: the routing file has one access list for the whole proxy (access.allow), not one per path; ignored`,
      );
    }
  }

  #proxy(d: Directive, ctx: Ctx): void {
    const target = d.args[0] ?? '';
    if (target === '*' && d.args.length === 1) {
      const access = new AccessReader(this.#findings);
      this.#walk(d.children ?? [], { place: 'proxy-all', scope: ctx.scope, access });
      const result = access.result(d);
      if (result) this.accessSections.push(result);
      return;
    }
    const balancer = /^balancer:\/\/([^/]+)\/?$/i.exec(target);
    if (balancer && d.args.length === 1) {
      const draft = this.#balancers.draft(balancer[1] as string, d, ctx.scope);
      this.#walk(d.children ?? [], { place: 'proxy-balancer', scope: ctx.scope, balancer: draft });
      return;
    }
    const prefix = proxyUrlPrefix(target);
    if (prefix !== undefined && d.args.length === 1) {
      // Access for the routes whose backend URL starts with the prefix (to-routing applies it).
      const access = new AccessReader(this.#findings);
      this.#walk(d.children ?? [], { place: 'proxy-url', scope: ctx.scope, access });
      const result = access.result(d);
      if (result) this.model.proxyAccess.push({ prefix, access: result, source: sourceOf(d) });
      return;
    }
    this.#skipSection(
      d,
      `<Proxy ${d.args.join(' ')}>: only <Proxy *>, <Proxy balancer://NAME> and <Proxy URL-prefix> (an http, https, ws, wss, h2c or h2 URL, optionally ending in *) are read; ignored`,
    );
  }

  #directive(d: Directive, ctx: Ctx): void {
    const { scope } = ctx;
    const at = ctx.place;
    const serverish = at === 'server' || at === 'vhost';
    const routeish = serverish || at === 'location';
    switch (d.key) {
      case 'loadmodule':
        if (d.args[0]) this.#modules.load(d.args[0]);
        return;
      case 'listen':
        return at === 'server' ? this.#listen(d) : this.#misplaced(d, ctx);
      case 'servername':
        if (!serverish) return this.#misplaced(d, ctx);
        if (d.args[0]) scope.serverName = hostOfServerName(d.args[0]);
        return;
      case 'serveralias':
        if (at !== 'vhost') return this.#misplaced(d, ctx);
        scope.aliases.push(...d.args.map(hostOfServerName));
        return;
      case 'timeout':
      case 'proxytimeout': {
        if (!serverish) return this.#misplaced(d, ctx);
        const secs = seconds(d.args[0]);
        if (secs === undefined)
          return this.#warn(d, `${d.name} needs a number of seconds; ignored`);
        if (d.key === 'timeout') scope.timeout = secs;
        else scope.proxyTimeout = secs;
        return;
      }
      case 'proxyrequests':
        if (!serverish) return this.#misplaced(d, ctx);
        if (onOff(d.args[0]) === true) {
          this.#findings.error(
            d.line,
            'ProxyRequests On makes Apache a forward (open) proxy for any site. Switchyard is only ever a reverse proxy: remove this line or write ProxyRequests Off',
          );
        }
        return;
      case 'allowencodedslashes': {
        if (!serverish) return this.#misplaced(d, ctx);
        const value = ENCODED_SLASHES_VALUES[d.args[0]?.toLowerCase() ?? ''];
        if (value === undefined || d.args.length > 1)
          return this.#warn(d, 'AllowEncodedSlashes needs On, Off or NoDecode; ignored');
        scope.encodedSlashes = value;
        scope.encodedSlashesSource = sourceOf(d);
        return;
      }
      case 'proxypreservehost': {
        if (!routeish) return this.#misplaced(d, ctx);
        const on = onOff(d.args[0]);
        if (on === undefined) return this.#warn(d, 'ProxyPreserveHost needs On or Off; ignored');
        const holder = ctx.location ?? scope;
        holder.preserveHost = on;
        holder.preserveHostSource = sourceOf(d);
        return;
      }
      case 'proxypass':
        return routeish ? this.#proxyPass(d, ctx) : this.#misplaced(d, ctx);
      case 'proxypassmatch':
        if (ctx.location) return this.#proxyPass(d, ctx);
        return serverish ? this.#proxyPass(d, ctx, true) : this.#misplaced(d, ctx);
      case 'rewriteengine':
      case 'rewritecond':
      case 'rewriterule':
      case 'rewriteoptions':
      case 'rewritebase':
      case 'rewritemap':
        if (!routeish) return this.#misplaced(d, ctx);
        return readRewrite(
          d,
          scope,
          ctx.location ? `<Location ${ctx.location.path}>` : undefined,
          this.#findings,
        );
      case 'redirect':
      case 'redirectmatch':
      case 'redirectpermanent':
      case 'redirecttemp':
        if (!routeish) return this.#misplaced(d, ctx);
        return readRedirect(
          d,
          scope,
          ctx.location ? `<Location ${ctx.location.path}>` : undefined,
          this.#findings,
        );
      case 'proxypassreverse':
        return routeish ? this.#proxyPassReverse(d, ctx) : this.#misplaced(d, ctx);
      case 'proxypassreversecookiedomain':
      case 'proxypassreversecookiepath':
        return routeish ? this.#cookieRule(d, ctx) : this.#misplaced(d, ctx);
      case 'requestheader':
      case 'header': {
        if (!routeish) return this.#misplaced(d, ctx);
        const recipe = readStickyCookieRecipe(d);
        if (recipe) {
          this.model.stickyCookies.push(recipe);
          return;
        }
        const rules = readHeaderDirective(d, this.#findings);
        (ctx.location ?? scope).headers.push(...rules);
        return;
      }
      case 'sslengine':
        if (!serverish) return this.#misplaced(d, ctx);
        scope.tls = onOff(d.args[0]) === true;
        return;
      case 'protocols':
        if (!serverish) return this.#misplaced(d, ctx);
        scope.protocols = d.args.map((a) => a.toLowerCase());
        scope.protocolsSource = sourceOf(d);
        return;
      case 'proxyvia': {
        const v = d.args[0]?.toLowerCase();
        if (v !== 'on' && v !== 'full')
          this.#warn(
            d,
            `ProxyVia ${d.args[0] ?? ''}: Switchyard always adds Via (it is how it detects routing loops)`,
          );
        return;
      }
      case 'proxyaddheaders':
        if (onOff(d.args[0]) === false)
          this.#warn(
            d,
            'ProxyAddHeaders Off: Switchyard always sends X-Forwarded-For, -Host, -Proto and -Server',
          );
        return;
      case 'sethandler':
        if (at !== 'location' || !ctx.location) return this.#misplaced(d, ctx);
        if (d.args[0]?.toLowerCase() === 'balancer-manager') {
          ctx.location.balancerManager = true;
          this.#warn(
            d,
            `SetHandler balancer-manager: Switchyard's balancer manager is the app's Balancers view; ${ctx.location.path} answers with a read-only page of it (respond: page: balancers) where no ProxyPass takes the path first, as in Apache, and its Require lines are not applied`,
          );
        } else {
          this.#warn(
            d,
            `SetHandler ${d.args[0] ?? ''}: Switchyard serves no content of its own; ignored`,
          );
        }
        return;
      case 'require':
        if (ctx.access) return ctx.access.require(d);
        if (ctx.requires) return void ctx.requires.push(d);
        if (at === 'proxy-balancer')
          return this.#warn(
            d,
            `Require in <Proxy balancer://${ctx.balancer?.name ?? ''}>: the routing file has one access list for the whole proxy; ignored`,
          );
        return this.#misplaced(d, ctx);
      case 'order':
        if (ctx.access) return ctx.access.order(d);
        return this.#legacyAccess(d, ctx);
      case 'allow':
        if (ctx.access) return ctx.access.allowFrom(d);
        return this.#legacyAccess(d, ctx);
      case 'deny':
        if (ctx.access) return ctx.access.denyFrom(d);
        return this.#legacyAccess(d, ctx);
      case 'balancermember':
        return this.#balancers.member(d, ctx);
      case 'proxyset':
        return this.#balancers.proxySet(d, ctx);
    }
    if (SILENT.has(d.key)) return;
    const reason = IGNORED[d.key];
    this.#warn(d, `${d.name}: ${reason ?? 'not supported by the Apache import'}; ignored`);
  }

  #legacyAccess(d: Directive, ctx: Ctx): void {
    if (ctx.requires) return void ctx.requires.push(d);
    this.#misplaced(d, ctx);
  }

  #listen(d: Directive): void {
    const [where = '', protocol] = d.args;
    const addr = vhostAddress(where);
    const port = /^\d+$/.test(where) ? Number(where) : addr.port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port > 65535) {
      this.#warn(d, `Listen ${where}: needs a port such as 8080 or 127.0.0.1:8080; ignored`);
      return;
    }
    const rule = {
      port,
      https: protocol?.toLowerCase() === 'https',
      source: sourceOf(d),
      ...(/^\d+$/.test(where) ? {} : { address: addr.host }),
    };
    this.model.listens.push(rule);
  }

  #proxyPass(d: Directive, ctx: Ctx, match = false): void {
    const inLocation = ctx.location !== undefined;
    const args = [...d.args];
    if (inLocation && args.length >= 2 && args[0]?.startsWith('/') && !args[1]?.includes('=')) {
      this.#warn(
        d,
        `ProxyPass inside <Location> takes no path (the Location's path is used); ignored`,
      );
      return;
    }
    const path = inLocation ? ctx.location?.path : args.shift();
    const target = args.shift();
    if (path === undefined || target === undefined) {
      this.#warn(d, 'ProxyPass needs a path and a backend URL (or !); ignored');
      return;
    }
    const { params, flags } = keyValues(args);
    for (const flag of flags) {
      this.#warn(d, `ProxyPass flag '${flag}' is not supported; ignored`);
    }
    const regex = match ? path : ctx.location?.regex ? ctx.location.path : undefined;
    if (match && !readablePattern(d, path, this.#findings)) return;
    const rule = {
      path,
      params,
      source: sourceOf(d),
      ...(regex === undefined ? {} : { regex }),
      ...(target === '!' ? {} : { target }),
      ...(ctx.location ? { location: ctx.location } : {}),
    };
    if (ctx.location) ctx.location.pass = rule;
    else ctx.scope.passes.push(rule);
  }

  #proxyPassReverse(d: Directive, ctx: Ctx): void {
    const args = d.args.filter((a) => a.toLowerCase() !== 'interpolate');
    const path = ctx.location ? ctx.location.path : args.shift();
    const url = args.shift();
    if (path === undefined || url === undefined) {
      this.#warn(d, 'ProxyPassReverse needs a path and a backend URL; ignored');
      return;
    }
    (ctx.location ?? ctx.scope).reverses.push({ path, url, source: sourceOf(d), used: false });
  }

  #cookieRule(d: Directive, ctx: Ctx): void {
    const [internal, pub] = d.args;
    if (internal === undefined || pub === undefined) {
      this.#warn(d, `${d.name} needs an internal and a public value; ignored`);
      return;
    }
    const kind = d.key.endsWith('domain') ? 'domain' : 'path';
    (ctx.location ?? ctx.scope).cookies.push({
      kind,
      internal,
      public: pub,
      source: sourceOf(d),
    });
  }
}
