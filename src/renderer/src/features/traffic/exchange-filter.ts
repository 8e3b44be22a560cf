/**
 * The traffic list's filter state, matched with the engine's own rules
 * (src/shared/exchange-filter.ts). The list filters locally (every frame, no round trip);
 * HAR export sends the visible ids, so the file holds exactly the rows the user sees.
 */
import type { ExchangeFilter } from '../../../../shared/api.js';
import type { ExchangeSummary } from '../../../../shared/exchange.js';
import { exchangeMatcher as sharedMatcher } from '../../../../shared/exchange-filter.js';

export interface TrafficFilter {
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

export function isFilterActive(f: TrafficFilter): boolean {
  return (
    f.text.trim() !== '' ||
    f.methods.length > 0 ||
    f.statusClasses.length > 0 ||
    f.route !== '' ||
    f.member !== ''
  );
}

/** A predicate for one filter state (built once per filter change, run per row). */
export function exchangeMatcher(f: TrafficFilter): (s: ExchangeSummary) => boolean {
  return sharedMatcher(toApiFilter(f));
}

/** The API form, for callers that filter in the engine (listExchanges, exportHar). */
export function toApiFilter(f: TrafficFilter): ExchangeFilter | undefined {
  if (!isFilterActive(f)) return undefined;
  return {
    ...(f.text.trim() === '' ? {} : { text: f.text.trim() }),
    ...(f.methods.length === 0 ? {} : { methods: [...f.methods] }),
    ...(f.statusClasses.length === 0 ? {} : { statusClasses: [...f.statusClasses] }),
    ...(f.route === '' ? {} : { routes: [f.route] }),
    ...(f.member === '' ? {} : { members: [f.member] }),
  };
}
