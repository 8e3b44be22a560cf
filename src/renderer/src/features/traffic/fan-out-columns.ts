/**
 * The fan-out table's columns: one per member, in the engine's order, each diffed
 * against the reference — the first member that answered — with the shared exchange diff.
 * Pure, so the panel recomputes it whenever an exchange lands or an ignore option changes.
 */
import type { ApiResult } from '../../../../shared/api.js';
import {
  DEFAULT_VOLATILE_HEADERS,
  diffExchanges,
  summarizeDiff,
  type ExchangeDiff,
} from '../../../../shared/exchange-diff.js';
import { shortUrl } from './format.js';
import type { LoadedExchange } from './loaded-exchange.js';

export type FanOutResult = ApiResult<'fanOutExchange'>['results'][number];

export interface FanOutColumn extends FanOutResult {
  /** The new exchange once fetched; null when it left the log, undefined while loading. */
  exchange?: LoadedExchange | null;
  /** Against the reference, once both are fetched (never on the reference itself). */
  diff?: ExchangeDiff;
  /** What could not be decoded on either side. */
  notes?: string[];
  isReference: boolean;
}

export interface FanOutOptions {
  ignorePaths: readonly string[];
  /** Leave out headers that differ on every answer (DEFAULT_VOLATILE_HEADERS). */
  ignoreVolatile: boolean;
}

export function fanOutColumns(
  results: readonly FanOutResult[],
  loaded: ReadonlyMap<number, LoadedExchange | null>,
  options: FanOutOptions,
): FanOutColumn[] {
  const rows: FanOutColumn[] = results.map((r) => ({
    ...r,
    exchange: r.id === undefined ? undefined : loaded.get(r.id),
    isReference: false,
  }));
  // The first member that answered (the first one, unless it failed), fixed before the
  // fetches land so the reference cannot move while the columns fill.
  const reference = rows.find((r) => r.id !== undefined && r.id > 0 && r.exchange !== null);
  if (reference) reference.isReference = true;
  const diffOptions = {
    ignorePaths: options.ignorePaths,
    ignoreHeaders: options.ignoreVolatile ? DEFAULT_VOLATILE_HEADERS : [],
    // The members are the point; a member named on purpose is never a failover.
    ignoreFields: ['member', 'attempts'] as const,
  };
  return rows.map((r) => {
    if (!reference?.exchange || !r.exchange || r === reference) return r;
    const a = reference.exchange;
    const b = r.exchange;
    const bodies = {
      request: { a: a.request, b: b.request },
      response: { a: a.response, b: b.response },
    };
    const notes = [
      ...a.notes.map((n) => `${shortUrl(reference.member)}: ${n}`),
      ...b.notes.map((n) => `${shortUrl(r.member)}: ${n}`),
    ];
    return { ...r, diff: diffExchanges(a.detail, b.detail, bodies, diffOptions), notes };
  });
}

/** How many answered like the reference, differently, or not at all. */
export function fanOutTally(columns: readonly FanOutColumn[]): {
  same: number;
  differ: number;
  failed: number;
} {
  const failed = columns.filter((c) => c.error !== undefined).length;
  const summaries = columns.flatMap((c) => (c.diff ? [summarizeDiff(c.diff)] : []));
  const same = summaries.filter((s) => s.same).length;
  return { same, differ: summaries.length - same, failed };
}
