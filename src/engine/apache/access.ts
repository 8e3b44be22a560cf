/**
 * `<Proxy *>` access rules → the routing file's access list. Apache 2.4 `Require` lines
 * inside one section are alternatives (any may grant), so their addresses are joined;
 * the Apache 2.2 `Order`/`Allow`/`Deny` forms are read where they say the same thing.
 * Anything that is not about client addresses (users, hosts, expressions) is reported.
 */
import type { Findings } from './findings.js';
import type { AccessDraft, ProxyAccess, Source } from './model.js';
import type { RouteInput } from './routes.js';
import type { Directive } from './parse.js';
import { toCidr } from './values.js';

export const EVERYONE = ['0.0.0.0/0', '::/0'];
const LOOPBACK = ['127.0.0.0/8', '::1'];

export const OPEN_PROXY_WARNING =
  'lets every client that reaches a listener use the proxy (access.allow: 0.0.0.0/0 and ::/0). ' +
  'The listeners still bind 127.0.0.1 (see the listener notes), so only this machine reaches ' +
  'them until you give a listener another address';

function sourceOf(d: Directive): Source {
  return { line: d.line, text: d.text };
}

/** Reads the access directives of one `<Proxy *>` section. */
export class AccessReader {
  readonly #allow: string[] = [];
  readonly #sources: Source[] = [];
  #seen = false;
  // Apache 2.2 forms, resolved at the end because Order decides how they combine.
  #order: string | undefined;
  readonly #allowFrom: string[] = [];
  readonly #denyFrom: string[] = [];
  readonly #findings: Findings;

  constructor(findings: Findings) {
    this.#findings = findings;
  }

  require(d: Directive): void {
    const [kind, ...rest] = d.args;
    const what = kind?.toLowerCase();
    this.#sources.push(sourceOf(d));
    if (what === 'all' && rest[0]?.toLowerCase() === 'granted') {
      this.#grant(EVERYONE);
      this.#findings.warn(d.line, `Require all granted ${OPEN_PROXY_WARNING}`);
      return;
    }
    if (what === 'all' && rest[0]?.toLowerCase() === 'denied') {
      this.#seen = true;
      this.#findings.warn(
        d.line,
        'Require all denied: no client may use the proxy (access.allow is empty); every request gets 403',
      );
      return;
    }
    if (what === 'local') {
      this.#grant(LOOPBACK);
      return;
    }
    if (what === 'ip') {
      this.#grant(this.#cidrs(d, rest));
      return;
    }
    this.#findings.warn(
      d.line,
      `Require ${d.args.join(' ')}: only 'Require ip', 'Require local' and 'Require all' can be mapped to the access list (client addresses); ignored`,
    );
  }

  order(d: Directive): void {
    this.#order = d.args.join('').toLowerCase();
    this.#sources.push(sourceOf(d));
  }

  allowFrom(d: Directive): void {
    this.#sources.push(sourceOf(d));
    this.#allowFrom.push(...d.args.slice(d.args[0]?.toLowerCase() === 'from' ? 1 : 0));
  }

  denyFrom(d: Directive): void {
    this.#sources.push(sourceOf(d));
    this.#denyFrom.push(...d.args.slice(d.args[0]?.toLowerCase() === 'from' ? 1 : 0));
  }

  /** The section's access list, or undefined when it had no access rules. */
  result(section: Directive): AccessDraft | undefined {
    this.#resolveLegacy(section);
    if (!this.#seen) return undefined;
    return { allow: [...new Set(this.#allow)], sources: this.#sources };
  }

  #grant(cidrs: string[]): void {
    this.#seen = true;
    this.#allow.push(...cidrs);
  }

  #cidrs(d: Directive, words: string[]): string[] {
    const out: string[] = [];
    for (const w of words) {
      const cidr = toCidr(w);
      if (cidr) out.push(cidr);
      else this.#findings.warn(d.line, `'${w}' is not an IP address or network; left out`);
    }
    return out;
  }

  #resolveLegacy(section: Directive): void {
    if (this.#allowFrom.length === 0 && this.#denyFrom.length === 0) return;
    const allowAll = this.#allowFrom.some((w) => w.toLowerCase() === 'all');
    const denyAll = this.#denyFrom.some((w) => w.toLowerCase() === 'all');
    const denySome = this.#denyFrom.length > 0 && !denyAll;
    if (denySome) {
      this.#findings.warn(
        section.line,
        `Deny from ${this.#denyFrom.join(' ')}: the access list can only allow addresses, not deny some; ignored`,
      );
    }
    if (denyAll && this.#order === 'allow,deny') {
      this.#seen = true;
      this.#findings.warn(
        section.line,
        'Order allow,deny with Deny from all refuses every client: access.allow is empty',
      );
      return;
    }
    if (allowAll) {
      this.#grant(EVERYONE);
      this.#findings.warn(section.line, `Allow from all ${OPEN_PROXY_WARNING}`);
      return;
    }
    // Deny from all + Allow from addresses (Order deny,allow): just those addresses.
    const addresses = this.#allowFrom.filter((w) => w.toLowerCase() !== 'all');
    this.#grant(this.#cidrs(section, addresses));
  }
}

/**
 * `<Proxy http://backend:8080/*>` → `http://backend:8080/`: the prefix of the backend URLs a
 * section applies to, with ws/wss read as http/https (routes carry the latter), or
 * undefined when the argument is not such a URL. Apache compares the URL a request is
 * proxied to with the section's, `*` matching the rest.
 */
export function proxyUrlPrefix(arg: string): string | undefined {
  const m = /^(https?|wss?|h2c?):\/\/([^/*]+)(\/[^*]*)?\*?$/i.exec(arg);
  if (!m) return undefined;
  const scheme = (m[1] as string).toLowerCase().replace(/^ws/, 'http');
  return `${scheme}://${(m[2] as string).toLowerCase()}${m[3] ?? ''}`;
}

/** `http://b:1` → `http://b:1/`, lowercased: the URL every request of a target starts with. */
function backendUrlOf(url: string): string {
  const lower = url.toLowerCase();
  return /^[a-z0-9+.-]+:\/\/[^/]+$/.test(lower) ? `${lower}/` : lower;
}

/**
 * Each route whose backend URL falls under a `<Proxy URL-prefix>` section takes that
 * section's access list (the last such section in the file, as httpd merges them in order).
 * A section that covers only part of a route's URLs cannot be split off; it is reported.
 */
export function applyProxyAccess(
  sections: readonly ProxyAccess[],
  routes: readonly { route: RouteInput; draft: { sources: Source[] } }[],
  memberUrls: (balancer: string) => string[],
  findings: Findings,
): void {
  const used = new Set<ProxyAccess>();
  for (const { route, draft } of routes) {
    if (route.to === undefined) continue;
    const balancer = /^balancer:\/\/([^/]+)/i.exec(route.to)?.[1];
    const urls = (balancer === undefined ? [route.to] : memberUrls(balancer)).map(backendUrlOf);
    let applied: ProxyAccess | undefined;
    for (const section of sections) {
      if (urls.length > 0 && urls.every((u) => u.startsWith(section.prefix))) applied = section;
      else if (urls.some((u) => u.startsWith(section.prefix) || section.prefix.startsWith(u))) {
        used.add(section);
        findings.warn(
          section.source.line,
          `<Proxy ${section.prefix}*> covers only part of route ${route.name}'s backend URLs; access lists apply per route, so it is not applied there`,
        );
      }
    }
    if (!applied) continue;
    used.add(applied);
    route.access = { allow: applied.access.allow };
    draft.sources.push(applied.source, ...applied.access.sources);
  }
  for (const section of sections) {
    if (!used.has(section))
      findings.warn(
        section.source.line,
        `<Proxy ${section.prefix}*>: no route sends to a URL under it; its access rules apply to nothing`,
      );
  }
}
