/**
 * Search over the traffic log with the filter language (src/shared/traffic-query.ts): the
 * summary terms first, then headers and decoded bodies (body-text.ts, cached per log) as
 * the matcher asks for them. listExchanges, exportHar and searchExchanges share it, so
 * "export what I see" exports exactly what the filter shows.
 */
import type { ExchangeFilter } from '../../shared/api.js';
import type { ExchangeSummary } from '../../shared/exchange.js';
import { exchangeMatcher } from '../../shared/exchange-filter.js';
import {
  compileQuery,
  parseQuery,
  type MatchHit,
  type QueryAccess,
} from '../../shared/traffic-query.js';
import { BodyTextCache } from './body-text.js';
import type { Recorder } from './recorder.js';

/** A query the language refuses, with where: `unknown field 'stauts' … (at 1)`. */
export class QueryError extends Error {
  override name = 'QueryError';
}

export interface SearchResult {
  matches: { id: number; hits: MatchHit[] }[];
  /** Exchanges looked at. */
  total: number;
}

export class TrafficSearch {
  readonly #recorder: Recorder;
  readonly #bodies = new BodyTextCache();
  readonly #access: QueryAccess;

  constructor(recorder: Recorder) {
    this.#recorder = recorder;
    this.#access = {
      headers: (id) => {
        const rec = recorder.get(id);
        return rec && { request: rec.requestHeaders, response: rec.responseHeaders };
      },
      body: (id, side) => {
        const rec = recorder.get(id);
        if (!rec) return undefined;
        const text = this.#bodies.text(rec, side);
        return text.ok ? text.text : undefined;
      },
    };
  }

  #compile(text: string) {
    const parsed = parseQuery(text);
    if (!parsed.ok) throw new QueryError(`${parsed.error} (at character ${parsed.at + 1})`);
    return compileQuery(parsed.query, this.#access);
  }

  /** A predicate for listExchanges and exportHar: the filter's fields and its query. */
  matcher(filter: ExchangeFilter | undefined): (s: ExchangeSummary) => boolean {
    const fields = exchangeMatcher(filter);
    if (filter?.query === undefined || filter.query.trim() === '') return fields;
    const query = this.#compile(filter.query);
    return (s) => fields(s) && query(s) !== undefined;
  }

  /** Every exchange the query matches, newest last, with where each term matched. */
  search(text: string, limit = 5_000): SearchResult {
    const query = this.#compile(text);
    const summaries = this.#recorder.list();
    const matches: SearchResult['matches'] = [];
    for (const s of summaries) {
      const match = query(s);
      if (match) matches.push({ id: s.id, hits: match.hits });
    }
    return { matches: matches.slice(-limit), total: summaries.length };
  }

  clear(): void {
    this.#bodies.clear();
  }
}
