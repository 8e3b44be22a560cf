/**
 * The routes of one virtual host that are not "ProxyPass prefix → URL": RewriteRules,
 * ProxyPassMatch and `<LocationMatch>` ProxyPass, `ProxyPass … !` exclusions, redirects and
 * the balancer-manager page. routes.ts places them in the order httpd consults them (see
 * its header); this file says what each one is.
 *
 * An exclusion only stops mod_proxy: httpd then still applies the redirects and the
 * balancer-manager handler to the excluded path, and serves files otherwise (404, as
 * Switchyard has none). So at an exclusion's place come the redirects and pages that
 * answer inside it, then its 404.
 */
import type { REDIRECT_STATUSES } from '../../shared/route-forms.js';
import { matchesPrefix } from '../paths.js';
import type { LocationBlock, PassRule, RedirectRule, Scope, Source } from './model.js';
import { redirectForm, redirectPattern, type LocalForm } from './redirects.js';
import { ruleForm, type RuleForm } from './rewrite-form.js';
import { cond, rulesOf, type Condition } from './rewrite.js';
import type { RouteDraft } from './routes.js';

export interface FormContext {
  v: Scope;
  main: Scope;
  host: string | undefined;
  listKey: string;
  /** The virtual host's names, to recognise an absolute URL on this server. */
  names: string[];
  locations: LocationBlock[];
  warnOnce(line: number, message: string): void;
  /** A proxy route for a ProxyPass, built as every other (timeout, headers, reverse…). */
  proxyDraft(pass: PassRule): RouteDraft | undefined;
}

interface Shape {
  path: string;
  pathRegex?: string;
  ignoreCase?: boolean;
  when?: Condition[];
}

/**
 * The literal path an anchored pattern starts with, cut at its last `/`, as match.path:
 * `^/api/(.*)` → `/api`. It names the route and lets the router skip it cheaply; `/` when
 * the pattern has no such start (or ignores case, which prefixes do not).
 */
export function literalPrefix(regex: string, ignoreCase = false): string {
  if (ignoreCase || !regex.startsWith('^/') || regex.includes('|')) return '/';
  let literal = '';
  let whole = false;
  for (let i = 1; i < regex.length; i++) {
    const ch = regex[i] ?? '';
    if (/[A-Za-z0-9/_~-]/.test(ch)) literal += ch;
    else if (ch === '\\' && /[./-]/.test(regex[i + 1] ?? '')) literal += regex[++i] ?? '';
    else {
      if ('?*{'.includes(ch)) literal = literal.slice(0, -1);
      whole = ch === '$' && i === regex.length - 1;
      break;
    }
  }
  const prefix = whole ? literal : literal.slice(0, literal.lastIndexOf('/'));
  if (prefix === '' || prefix.split('/').some((s) => s === '.' || s === '..')) return '/';
  return prefix;
}

function splitTarget(text: string): { origin: string; rest: string } {
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/?$]*)(.*)$/i.exec(text);
  return { origin: m?.[1] ?? text, rest: m?.[2] ?? '' };
}

/** Checked where read: redirects.ts and parseFlags only let these through. */
type RedirectStatus = (typeof REDIRECT_STATUSES)[number];

const NO_BACKEND = { kind: 'url', origin: '', path: '/', hostname: '' } as const;

export class FormRoutes {
  readonly #c: FormContext;

  constructor(context: FormContext) {
    this.#c = context;
  }

  #local(
    key: string,
    shape: Shape,
    form: Pick<LocalForm, 'action' | 'query'>,
    sources: Source[],
    notes: string[],
  ): RouteDraft {
    const { host } = this.#c;
    return {
      key: `${this.#c.listKey}|${key}`,
      route: {
        name: '',
        match: { ...shape, ...(host === undefined ? {} : { host }) },
        ...('redirect' in form.action
          ? {
              redirect: {
                ...form.action.redirect,
                status: form.action.redirect.status as RedirectStatus,
              },
            }
          : form.action),
        ...(form.query ? { query: form.query } : {}),
      },
      prefix: shape.path,
      target: NO_BACKEND,
      headerRules: [],
      sources,
      notes,
      form: 'local',
    };
  }

  /** A proxy route for `origin`, then given its pattern, conditions and filled-in target. */
  #proxy(
    source: Source,
    params: Map<string, string>,
    origin: string,
    to: string,
    shape: Shape,
  ): RouteDraft | undefined {
    const scheme = /^([a-z0-9+.-]+):/i.exec(origin)?.[1]?.toLowerCase() ?? '';
    if (!['http', 'https', 'ws', 'wss', 'h2c', 'h2', 'balancer'].includes(scheme)) {
      this.#c.warnOnce(
        source.line,
        `${source.text.trim()}: ${scheme} backends are not supported (Switchyard forwards HTTP/1.1, HTTP/2 and WebSocket); route left out`,
      );
      return undefined;
    }
    const draft = this.#c.proxyDraft({ path: '/', target: `${origin}/`, params, source });
    if (!draft) return undefined;
    draft.route.match = { ...draft.route.match, ...shape };
    draft.route.to = to.replace(/^wss?:/i, (s) =>
      s.toLowerCase() === 'wss:' ? 'https:' : 'http:',
    );
    draft.prefix = shape.path;
    draft.form = 'pattern';
    return draft;
  }

  /** RewriteRules, which httpd applies before any ProxyPass. */
  rewrites(): RouteDraft[] {
    const { v, main, names } = this.#c;
    const rules = rulesOf(v, main, this.#c);
    const out: RouteDraft[] = [];
    rules.forEach((rule, i) => {
      const line = rule.source.line;
      const result = ruleForm(rule, names, literalPrefix);
      if ('skip' in result) {
        this.#c.warnOnce(line, `RewriteRule ${rule.pattern} ${rule.substitution}: ${result.skip}`);
        return;
      }
      const { form } = result;
      if (!form.last && i < rules.length - 1)
        this.#c.warnOnce(
          line,
          `RewriteRule ${rule.pattern} ${rule.substitution}: without L, Apache goes on applying the later RewriteRules to the new URL; here the first rule that applies decides, as with [L]`,
        );
      const sources = [rule.source, ...rule.conditions.map((c) => c.source)];
      const draft = this.#ruleDraft(rule.source, form, sources);
      if (draft) out.push(draft);
    });
    return out;
  }

  #ruleDraft(source: Source, form: RuleForm, sources: Source[]): RouteDraft | undefined {
    const shape: Shape = {
      path: form.path,
      ...(form.pathRegex === undefined ? {} : { pathRegex: form.pathRegex }),
      ...(form.ignoreCase ? { ignoreCase: true } : {}),
      ...(form.when && form.when.length > 0 ? { when: form.when } : {}),
    };
    if ('proxy' in form.action) {
      const draft = this.#proxy(
        source,
        new Map(),
        form.action.proxy.origin,
        form.action.proxy.to,
        shape,
      );
      if (!draft) return undefined;
      if (form.query) draft.route.query = form.query;
      draft.sources.push(...sources.slice(1));
      draft.notes.push(...form.notes);
      return draft;
    }
    const action = form.action;
    return this.#local(
      String(source.line),
      shape,
      { action, ...(form.query ? { query: form.query } : {}) },
      sources,
      form.notes,
    );
  }

  /** A ProxyPass entry that routes.ts does not build itself: a pattern or an exclusion. */
  pass(pass: PassRule): RouteDraft[] {
    if (pass.target === undefined) return this.#exclusion(pass);
    const regex = pass.regex ?? '';
    const { origin, rest } = splitTarget(pass.target);
    const line = pass.source.line;
    let draft: RouteDraft | undefined;
    if (/\$[0-9]/.test(rest)) {
      if (!rest.startsWith('/') && !rest.startsWith('?')) {
        this.#c.warnOnce(
          line,
          `${pass.target}: a group right after the host cannot be written; write a / after the host and leave it out of the group; route left out`,
        );
        return [];
      }
      draft = this.#proxy(pass.source, pass.params, origin, origin + rest, {
        path: literalPrefix(regex),
        pathRegex: regex,
      });
    } else if (rest === '' || rest === '/') {
      // No group in the URL: httpd appends the whole path, as a prefix route on `/` does.
      draft = this.#proxy(pass.source, pass.params, origin, `${origin}${rest || '/'}`, {
        path: '/',
        when: [cond('path', { matches: regex })],
      });
      if (draft && rest === '/')
        draft.notes.push(
          'Apache would join the URL and the path into //path; Switchyard sends /path',
        );
    } else {
      draft = this.#proxy(pass.source, pass.params, origin, `${origin}${rest}{{request.path}}`, {
        path: literalPrefix(regex),
        pathRegex: regex,
      });
      draft?.notes.push('no $N in the URL: Apache appends the whole path to it');
    }
    if (!draft) return [];
    const location = pass.location;
    if (location?.regex) {
      if (location.preserveHost !== undefined) draft.route.preserveHost = location.preserveHost;
      draft.headerRules.push(...location.headers);
      draft.sources.push(location.source, ...location.headers.map((h) => h.source));
    }
    return [draft];
  }

  #redirects(): RedirectRule[] {
    const { v, main } = this.#c;
    return v === main
      ? (main.redirects ?? [])
      : [...(v.redirects ?? []), ...(main.redirects ?? [])];
  }

  #managers(): LocationBlock[] {
    return this.#c.locations.filter((l) => l.balancerManager);
  }

  #exclusion(pass: PassRule): RouteDraft[] {
    const line = pass.source.line;
    const out: RouteDraft[] = [];
    const within = pass.regex === undefined ? pass.path : undefined;
    const when: Condition[] =
      pass.regex === undefined ? [] : [cond('path', { matches: pass.regex })];
    const limit = (shape: Shape, path: string): Shape | undefined => {
      if (within === undefined) return { ...shape, when: [...when, ...(shape.when ?? [])] };
      if (matchesPrefix(path, within)) return shape;
      if (matchesPrefix(within, path)) return { ...shape, path: within };
      return undefined;
    };
    for (const r of this.#redirects()) {
      const form =
        r.kind === 'prefix' && within !== undefined && matchesPrefix(r.path, within)
          ? redirectForm(r, literalPrefix)
          : redirectPattern(r, literalPrefix);
      const shape = limit(
        { path: form.path, ...(form.pathRegex ? { pathRegex: form.pathRegex } : {}) },
        form.pathRegex ? form.path : r.path,
      );
      if (shape)
        out.push(
          this.#local(
            `${r.source.line}|in${line}`,
            shape,
            form,
            [r.source, pass.source],
            form.notes,
          ),
        );
    }
    let page: LocationBlock | undefined;
    for (const m of this.#managers()) {
      if (!m.regex && within !== undefined && matchesPrefix(within, m.path)) page = m;
      else {
        const shape = limit(this.#managerShape(m), m.regex ? '/' : m.path);
        if (shape)
          out.push(
            this.#local(
              `${m.source.line}|in${line}`,
              shape,
              { action: { respond: { page: 'balancers' } } },
              [m.source, pass.source],
              [],
            ),
          );
      }
    }
    const shape: Shape =
      pass.regex === undefined
        ? { path: pass.path }
        : { path: literalPrefix(pass.regex), pathRegex: pass.regex };
    const text =
      pass.regex === undefined ? `ProxyPass ${pass.path} !` : `ProxyPassMatch ${pass.regex} !`;
    if (page) {
      out.push(
        this.#local(
          String(line),
          shape,
          { action: { respond: { page: 'balancers' } } },
          [pass.source, page.source],
          [`${text} and <Location ${page.path}> SetHandler balancer-manager: the balancers page`],
        ),
      );
    } else {
      out.push(
        this.#local(
          String(line),
          shape,
          { action: { respond: { status: 404 } } },
          [pass.source],
          [
            `${text}: not proxied; Apache would serve its own files here, and Switchyard has none (404)`,
          ],
        ),
      );
    }
    return out;
  }

  #managerShape(m: LocationBlock): Shape {
    return m.regex ? { path: literalPrefix(m.path), pathRegex: m.path } : { path: m.path };
  }

  /**
   * Redirects and the balancer-manager page, after every ProxyPass: mod_proxy picks in
   * httpd's translate phase before mod_alias, and a proxied request never reaches the
   * balancer-manager handler. `before` is the list so far, to say which are never reached.
   */
  after(before: readonly RouteDraft[]): RouteDraft[] {
    const out: RouteDraft[] = [];
    const shadowed = (path: string, line: number, what: string): boolean => {
      const by = before.find((d) => !d.form && matchesPrefix(path, d.prefix));
      if (!by) return false;
      this.#c.warnOnce(
        line,
        `${what} is never used: ProxyPass ${by.prefix} (line ${by.sources[0]?.line ?? '?'}) takes ${path} first, as in Apache, where mod_proxy decides before mod_alias and the balancer-manager handler; add ProxyPass ${path} ! before it to change that`,
      );
      return true;
    };
    for (const r of this.#redirects()) {
      const form = redirectForm(r, literalPrefix);
      const shape: Shape = {
        path: form.path,
        ...(form.pathRegex ? { pathRegex: form.pathRegex } : {}),
      };
      shadowed(form.path, r.source.line, r.source.text.trim());
      out.push(this.#local(String(r.source.line), shape, form, [r.source], form.notes));
    }
    for (const m of this.#managers()) {
      const shape = this.#managerShape(m);
      const text = `<Location ${m.path}> SetHandler balancer-manager`;
      shadowed(m.regex ? shape.path : m.path, m.source.line, text);
      out.push(
        this.#local(
          String(m.source.line),
          shape,
          { action: { respond: { page: 'balancers' } } },
          [m.source],
          [
            "the balancers page stands in for Apache's balancer-manager (read-only: members are changed in the app)",
          ],
        ),
      );
    }
    return out;
  }
}
