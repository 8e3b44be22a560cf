/**
 * A small Gateway API HTTP router written from the specification's text (the CRDs'
 * descriptions), not from the exporter, to check that exported manifests route each request
 * to the rule of the route Switchyard picks:
 * - the Gateway listener with the request's port and protocol and the most specific
 *   hostname (exact, then the longest wildcard, then none);
 * - among the rules of the HTTPRoutes attached to it (hostnames intersecting), the match
 *   with an Exact path, else the longest PathPrefix (segment-based, trailing `/` ignored),
 *   then the most header matches, then the earlier route (document order) and rule;
 * - URLRewrite and RequestRedirect paths as the ReplacePrefixMatch table of the spec says.
 * RegularExpression matches use RE2 with full-match semantics (as Envoy does).
 */
import { RE2JS } from 're2js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface SimRequest {
  port: number;
  protocol: 'HTTP' | 'HTTPS';
  host: string;
  path: string;
  headers?: Record<string, string>;
}

export interface SimResult {
  route: Obj;
  rule: Obj;
  /** The path sent to the backend (URLRewrite) or put in Location (RequestRedirect). */
  path: string;
}

function hostMatches(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return pattern === host;
  return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
}

const strip = (p: string) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);

function pathMatches(m: Obj | undefined, path: string): boolean {
  const type = m?.type ?? 'PathPrefix';
  const value = m?.value ?? '/';
  if (type === 'Exact') return path === value;
  if (type === 'RegularExpression') return RE2JS.compile(value).matcher(path).matches();
  const v = strip(value);
  return v === '/' || path === v || path.startsWith(`${v}/`);
}

function headersMatch(list: Obj[] | undefined, headers: Record<string, string>): boolean {
  return (list ?? []).every((h) => {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === h.name.toLowerCase());
    if (key === undefined) return false;
    const value = headers[key] as string;
    return h.type === 'RegularExpression'
      ? RE2JS.compile(h.value).matcher(value).matches()
      : value === h.value;
  });
}

/** Spec table of ReplacePrefixMatch: the matched prefix replaced, one `/` kept after it. */
export function replacePrefix(path: string, prefix: string, replacement: string): string {
  const p = strip(prefix) === '/' ? '' : strip(prefix);
  const base = replacement.endsWith('/') ? replacement.slice(0, -1) : replacement;
  const rest = path.slice(p.length);
  return rest === '' ? base || '/' : base + rest;
}

function rewritten(rule: Obj, match: Obj, path: string): string {
  const filter = (rule.filters ?? []).find(
    (f: Obj) => f.urlRewrite?.path ?? f.requestRedirect?.path,
  );
  const mod = (filter?.urlRewrite ?? filter?.requestRedirect)?.path as Obj | undefined;
  if (!mod) return path;
  if (mod.type === 'ReplaceFullPath') return mod.replaceFullPath;
  return replacePrefix(path, match.path?.value ?? '/', mod.replacePrefixMatch);
}

/** The rule the Gateway takes for the request, or undefined (404). */
export function simulate(manifests: Obj[], req: SimRequest): SimResult | undefined {
  const gateway = manifests.find((m) => m.kind === 'Gateway');
  const listeners = ((gateway?.spec?.listeners ?? []) as Obj[]).filter(
    (l) => l.port === req.port && l.protocol === req.protocol,
  );
  const rank = (l: Obj) =>
    l.hostname === undefined ? 0 : l.hostname.startsWith('*.') ? l.hostname.length : 1000;
  const listener = listeners
    .filter((l) => l.hostname === undefined || hostMatches(l.hostname, req.host))
    .sort((a, b) => rank(b) - rank(a))[0];
  if (!listener) return undefined;
  const headers = req.headers ?? {};
  let best: { key: number[]; result: SimResult } | undefined;
  manifests.forEach((route, routeIndex) => {
    if (route.kind !== 'HTTPRoute') return;
    if (!(route.spec.parentRefs as Obj[]).some((p) => p.sectionName === listener.name)) return;
    const hostnames = (route.spec.hostnames ?? []) as string[];
    if (hostnames.length > 0 && !hostnames.some((h) => hostMatches(h, req.host))) return;
    (route.spec.rules as Obj[]).forEach((rule, ruleIndex) => {
      for (const match of (rule.matches ?? [{}]) as Obj[]) {
        if (!pathMatches(match.path, req.path) || !headersMatch(match.headers, headers)) continue;
        const type = match.path?.type ?? 'PathPrefix';
        const key = [
          type === 'Exact' ? 1 : 0,
          type === 'PathPrefix' ? strip(match.path?.value ?? '/').length : 0,
          (match.headers ?? []).length,
          -routeIndex,
          -ruleIndex,
        ];
        const better =
          !best || key.findIndex((k, i) => k !== best?.key[i]) === -1
            ? !best
            : (() => {
                const i = key.findIndex((k, j) => k !== best?.key[j]);
                return (key[i] as number) > (best.key[i] as number);
              })();
        if (better) best = { key, result: { route, rule, path: rewritten(rule, match, req.path) } };
      }
    });
  });
  return best?.result;
}
