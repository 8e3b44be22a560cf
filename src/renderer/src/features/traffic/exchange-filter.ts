/**
 * The traffic list's filter state: the query box (the filter language,
 * src/shared/traffic-query.ts) and the method, status, route and member controls, which
 * combine with the query by AND. Summary-only queries are matched here, every frame; a
 * query that reads headers or bodies is asked of the engine (stores/traffic.ts). HAR export
 * sends the same filter in the API form, so the file holds what the list shows.
 */
import type { ExchangeFilter } from '../../../../shared/api.js';
import type { ExchangeSummary } from '../../../../shared/exchange.js';
import { exchangeMatcher as sharedMatcher } from '../../../../shared/exchange-filter.js';
import {
  compileQuery,
  parseQuery,
  queryNeeds,
  type Query,
  type QueryMatcher,
} from '../../../../shared/traffic-query.js';

export interface TrafficFilter {
  /** The query box as typed (the filter language); may not parse. */
  text: string;
  methods: string[];
  /** 2…5 for 2xx…5xx; 0 for no response yet (or none at all). */
  statusClasses: number[];
  /** '' for any route. */
  route: string;
  /** '' for any member. */
  member: string;
}

export function emptyFilter(): TrafficFilter {
  return { text: '', methods: [], statusClasses: [], route: '', member: '' };
}

/** The controls beside the query box (method, status, route, member) are set. */
export function areFieldsActive(f: TrafficFilter): boolean {
  return f.methods.length > 0 || f.statusClasses.length > 0 || f.route !== '' || f.member !== '';
}

export function isFilterActive(f: TrafficFilter): boolean {
  return f.text.trim() !== '' || areFieldsActive(f);
}

/** The controls beside the query box as a predicate (the query is matched apart). */
export function fieldsMatcher(f: TrafficFilter): (s: ExchangeSummary) => boolean {
  return sharedMatcher(toApiFilter({ ...f, text: '' }));
}

/**
 * A predicate over summaries alone: what the list can answer without the engine. Free text
 * then searches the summary's URL, host, method, status, route and member (not headers);
 * header and body terms match nothing. A query that does not parse matches everything.
 */
export function exchangeMatcher(f: TrafficFilter): (s: ExchangeSummary) => boolean {
  const fields = fieldsMatcher(f);
  const parsed = parseQuery(f.text);
  if (!parsed.ok || parsed.query.groups.length === 0) return fields;
  const query = compileQuery(parsed.query);
  return (s) => fields(s) && query(s) !== undefined;
}

/** A query only the engine can answer: it reads headers or decoded bodies. */
export function needsEngine(query: Query): boolean {
  const needs = queryNeeds(query);
  return needs.headers || needs.bodies;
}

/**
 * Whether the summary-only answer is a fair first answer while the engine searches: true
 * when the only terms beyond the summary are free text (the summary matches are a part of
 * what the engine finds), false when header or body terms would empty the list meanwhile.
 */
export function summaryAnswersFirst(query: Query): boolean {
  return query.groups.every((g) => g.every((t) => t.field !== 'header' && t.field !== 'body'));
}

/** The summary-only matcher of a parsed query (hits say where, for the list rows). */
export function summaryMatcher(query: Query): QueryMatcher {
  return compileQuery(query);
}

/** The API form, for callers that filter in the engine (listExchanges, exportHar). */
export function toApiFilter(f: TrafficFilter): ExchangeFilter | undefined {
  if (!isFilterActive(f)) return undefined;
  return {
    ...(f.text.trim() === '' ? {} : { query: f.text.trim() }),
    ...(f.methods.length === 0 ? {} : { methods: [...f.methods] }),
    ...(f.statusClasses.length === 0 ? {} : { statusClasses: [...f.statusClasses] }),
    ...(f.route === '' ? {} : { routes: [f.route] }),
    ...(f.member === '' ? {} : { members: [f.member] }),
  };
}
