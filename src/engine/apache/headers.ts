/**
 * RequestHeader and Header (mod_headers) → the routing file's header rules, which only
 * set a value or remove a header. Other actions are mapped to the nearest of the two with
 * a warning that says what differs, or left out with a warning when nothing is near.
 */
import { FRAMING_HEADERS } from '../../shared/config.js';
import type { Findings } from './findings.js';
import type { HeaderRule, Source } from './model.js';
import type { Directive } from './parse.js';

/** mod_headers format specifiers (%t, %D, %{VAR}e …) that Apache fills in per request. */
const FORMAT = /%(?:\{[^}]*\}[A-Za-z^]+|[tDlib])/;

const NEAR_SET: Record<string, string> = {
  append: 'append adds to any existing value; Switchyard sets the header, replacing it',
  add: 'add adds another header line; Switchyard sets the header, replacing any existing one',
  merge: 'merge adds the value unless present; Switchyard sets the header, replacing it',
  setifempty: 'setifempty only fills a missing header; Switchyard always sets it',
};

/** Apache's sticky-session recipe: a cookie naming the member that served the request. */
export interface StickyCookieRecipe {
  cookie: string;
  path: string;
  source: Source;
}

const ROUTE_COOKIE =
  /^([!#$%&'*+^_`|~0-9A-Za-z-]+)=\.%\{BALANCER_WORKER_ROUTE\}e(?:;\s*path=([^;\s]+))?\s*;?\s*$/i;

/**
 * `Header add Set-Cookie "ROUTEID=.%{BALANCER_WORKER_ROUTE}e; path=/" env=BALANCER_ROUTE_CHANGED`,
 * the recipe in mod_proxy_balancer's documentation that makes a balancer sticky without the
 * backend's help. Switchyard does the same with a balancer's stickyCookie.
 */
export function readStickyCookieRecipe(d: Directive): StickyCookieRecipe | undefined {
  if (d.key !== 'header') return undefined;
  const args = /^(always|onsuccess)$/i.test(d.args[0] ?? '') ? d.args.slice(1) : d.args;
  const [action, name, value, condition] = args;
  if (!/^(add|set|append)$/i.test(action ?? '') || name?.toLowerCase() !== 'set-cookie')
    return undefined;
  if (!/^env=BALANCER_ROUTE_CHANGED$/i.test(condition ?? '')) return undefined;
  const m = ROUTE_COOKIE.exec(value ?? '');
  if (!m?.[1]) return undefined;
  return { cookie: m[1], path: m[2] ?? '/', source: { line: d.line, text: d.text } };
}

export function readHeaderDirective(d: Directive, findings: Findings): HeaderRule[] {
  const direction = d.key === 'requestheader' ? 'request' : 'response';
  const args = [...d.args];
  if (direction === 'response' && /^(always|onsuccess)$/i.test(args[0] ?? '')) args.shift();
  const [rawAction, name, ...rest] = args;
  const action = rawAction?.toLowerCase();
  const source: Source = { line: d.line, text: d.text };
  if (action === undefined || name === undefined) {
    findings.warn(d.line, `${d.name} needs an action and a header name; ignored`);
    return [];
  }
  // After the value (none for unset) come an optional condition or `early`.
  const condition = rest.slice(action === 'unset' ? 0 : 1).find((w) => /^(env|expr)=/i.test(w));
  if (condition !== undefined) {
    findings.warn(
      d.line,
      `${d.name} ${action} ${name}: the condition '${condition}' is not supported (routes set headers unconditionally); ignored`,
    );
    return [];
  }
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    findings.warn(d.line, `${d.name} ${action}: '${name}' is not a valid header name; ignored`);
    return [];
  }
  if (FRAMING_HEADERS.includes(name.toLowerCase())) {
    findings.warn(
      d.line,
      `${d.name} ${action} ${name}: ${name} is message framing, which Switchyard sets from the body it forwards, so a route may neither set nor remove it; ignored`,
    );
    return [];
  }
  if (action === 'unset') return [{ direction, action: 'remove', name, source }];
  if (action === 'edit' || action === 'edit*' || action === 'echo' || action === 'note') {
    findings.warn(
      d.line,
      `${d.name} ${action} is not supported (routes can only set or remove a header); ignored`,
    );
    return [];
  }
  if (action !== 'set' && NEAR_SET[action] === undefined) {
    findings.warn(d.line, `${d.name}: unknown action '${rawAction}'; ignored`);
    return [];
  }
  const value = rest[0];
  if (value === undefined) {
    findings.warn(d.line, `${d.name} ${action} ${name} needs a value; ignored`);
    return [];
  }
  if (/^expr=/i.test(value)) {
    findings.warn(
      d.line,
      `${d.name} ${action} ${name}: computed values (expr=) are not supported; ignored`,
    );
    return [];
  }
  const nearest = NEAR_SET[action];
  if (nearest) findings.warn(d.line, `${d.name} ${action} ${name}: ${nearest}`);
  if (FORMAT.test(value)) {
    findings.warn(
      d.line,
      `${d.name} ${action} ${name}: Switchyard sends the value as written; Apache would fill in its %-format specifiers per request`,
    );
  }
  return [{ direction, action: 'set', name, value: value.replace(/%%/g, '%'), source }];
}

/** Rules in order → the routing file's `{ set, remove }`: the last rule for a name wins. */
export function foldHeaders(
  rules: readonly HeaderRule[],
  direction: HeaderRule['direction'],
): { set: Record<string, string>; remove: string[] } {
  const set = new Map<string, [string, string]>();
  const remove = new Map<string, string>();
  for (const r of rules) {
    if (r.direction !== direction) continue;
    const key = r.name.toLowerCase();
    if (r.action === 'set') {
      set.set(key, [r.name, r.value ?? '']);
      remove.delete(key);
    } else {
      set.delete(key);
      remove.set(key, r.name);
    }
  }
  return { set: Object.fromEntries(set.values()), remove: [...remove.values()] };
}
