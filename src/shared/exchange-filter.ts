/**
 * What an `ExchangeFilter` matches, in one place for the engine (listExchanges, exportHar)
 * and the renderer (the traffic list filters locally, every frame): empty lists match
 * everything; the text is a case-insensitive substring of method, host, URL, status, route
 * and member.
 */
import type { ExchangeFilter } from './api.js';
import type { ExchangeSummary } from './exchange.js';

// Lower-cased search text per summary object. Summaries handed out are snapshots (an
// update is a new object), so the concatenation is paid once per version.
const haystacks = new WeakMap<ExchangeSummary, string>();

function haystack(s: ExchangeSummary): string {
  let hay = haystacks.get(s);
  if (hay === undefined) {
    hay =
      `${s.method} ${s.host} ${s.url} ${s.status} ${s.route ?? ''} ${s.member ?? ''}`.toLowerCase();
    haystacks.set(s, hay);
  }
  return hay;
}

/** A predicate for one filter (built once per filter, run per exchange). */
export function exchangeMatcher(f: ExchangeFilter | undefined): (s: ExchangeSummary) => boolean {
  if (!f) return () => true;
  const needle = (f.text ?? '').trim().toLowerCase();
  const ids = f.ids ? new Set(f.ids) : undefined;
  const methods = new Set(f.methods ?? []);
  const classes = new Set(f.statusClasses ?? []);
  const routes = new Set(f.routes ?? []);
  const members = new Set(f.members ?? []);
  return (s) =>
    (ids === undefined || ids.has(s.id)) &&
    (methods.size === 0 || methods.has(s.method)) &&
    (classes.size === 0 || classes.has(Math.floor(s.status / 100))) &&
    (routes.size === 0 || routes.has(s.route ?? '')) &&
    (members.size === 0 || members.has(s.member ?? '')) &&
    (needle === '' || haystack(s).includes(needle));
}
