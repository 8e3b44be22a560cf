/**
 * The live traffic log as the renderer holds it (SPEC §4, §5 Traffic; STYLE 8).
 *
 * Exchange summaries arrive in batches (the bridges send one at most every ~50 ms) and
 * are queued, then applied once per animation frame into one `shallowRef` array, newest
 * first. Vue never walks into the summaries (they are replaced, not mutated), so a frame
 * costs one array rebuild however many rows changed, and the list re-renders only the
 * rows on screen. The UI keeps at most `limit` entries, the engine ring's default size:
 * anything older has left the engine too, so it could not be opened any more.
 */
import { sharedSubscription } from './shared-subscription';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { BodySide, ExchangeDetail, ExchangeSummary } from '../../../shared/exchange.js';
import type { GrpcCallSchema } from '../../../shared/protobuf-schema.js';
import {
  parseQuery,
  type MatchHit,
  type Query,
  type QueryMatcher,
} from '../../../shared/traffic-query.js';
import { useProxyClient } from '../api/inject.js';
import {
  areFieldsActive,
  emptyFilter,
  fieldsMatcher,
  needsEngine,
  summaryAnswersFirst,
  summaryMatcher,
  toApiFilter,
  type TrafficFilter,
} from '../features/traffic/exchange-filter.js';

/** The engine's default ring size (DEFAULT_CAPTURE_LIMITS.maxEntries). */
export const TRAFFIC_LIMIT = 5_000;

export type TrafficOrder = 'newest' | 'follow';

/**
 * Which of two versions of one exchange to keep. Batches may arrive out of order around a
 * resync (a snapshot answered after a batch that was already older), and a finished
 * exchange never becomes pending again, so a pending version never replaces a finished one.
 */
function newer(current: ExchangeSummary, incoming: ExchangeSummary): ExchangeSummary {
  if (current.outcome !== 'pending' && incoming.outcome === 'pending') return current;
  return incoming;
}

/** Typing pauses this long before a query that reads headers or bodies goes to the engine. */
export const SEARCH_DEBOUNCE_MS = 250;
/**
 * While such a query is active, new and updated exchanges are checked by searching again,
 * at most this often: a search over the whole log (bodies decoded once, then cached) costs
 * the engine far less than a second, and live traffic would otherwise ask on every batch.
 */
export const RESEARCH_INTERVAL_MS = 1_000;

/** The query that parsed last, with its terms as one canonical text (spacing aside). */
interface AppliedQuery {
  query: Query;
  /** What the engine is asked and what identifies the query: the terms joined by spaces. */
  text: string;
}

const NO_QUERY: AppliedQuery = { query: { groups: [] }, text: '' };

/**
 * What the list filters by. `summary`: the summary-only matcher (a query that needs nothing
 * more, or a first answer while the engine searches); `search`: the engine's answer.
 */
type ShownQuery =
  | { kind: 'summary'; text: string; matcher: QueryMatcher | null }
  | { kind: 'search'; text: string; hits: ReadonlyMap<number, MatchHit[]> };

const canonical = (query: Query): string =>
  query.groups.map((group) => group.map((t) => t.source).join(' ')).join(' OR ');

function summaryShown(applied: AppliedQuery): ShownQuery {
  return {
    kind: 'summary',
    text: applied.text,
    matcher: applied.query.groups.length === 0 ? null : summaryMatcher(applied.query),
  };
}

const byIdDescending = (a: ExchangeSummary, b: ExchangeSummary): number => b.id - a.id;

/** Sorted distinct values, grown as traffic shows new ones (filter choices). */
function addSeen(list: readonly string[], value: string | undefined): readonly string[] {
  if (value === undefined || value === '' || list.includes(value)) return list;
  return [...list, value].sort();
}

export const useTrafficStore = defineStore('traffic', () => {
  const client = useProxyClient();

  /** Newest first. Replaced wholesale once per frame; never mutated in place. */
  const entries = shallowRef<readonly ExchangeSummary[]>([]);
  const limit = ref(TRAFFIC_LIMIT);
  const paused = ref(false);
  const order = ref<TrafficOrder>('newest');
  const filter = ref<TrafficFilter>(emptyFilter());
  const selectedId = ref<number | null>(null);
  /**
   * Up to two exchanges picked to compare (Ctrl/Cmd-click or Space in the list), in the
   * order picked; a third pick drops the oldest.
   */
  const compareSelection = ref<number[]>([]);
  /** Filter choices seen so far (kept across clears: routes and members rarely change). */
  const seenMethods = shallowRef<readonly string[]>(['DELETE', 'GET', 'PATCH', 'POST', 'PUT']);
  const seenRoutes = shallowRef<readonly string[]>([]);
  const seenMembers = shallowRef<readonly string[]>([]);
  /** The last failure of a subscription or action, for the view to show. */
  const error = ref<string | null>(null);

  // Plain (non-reactive) bookkeeping: the index behind `entries` and the frame queue.
  const byId = new Map<number, ExchangeSummary>();
  let pending = new Map<number, ExchangeSummary>();
  let frame: number | undefined;

  function enqueue(batch: readonly ExchangeSummary[]): void {
    for (const s of batch) {
      const queued = pending.get(s.id);
      pending.set(s.id, queued ? newer(queued, s) : s);
    }
    frame ??= requestAnimationFrame(flush);
  }

  function noteChoices(s: ExchangeSummary): void {
    seenMethods.value = addSeen(seenMethods.value, s.method);
    seenRoutes.value = addSeen(seenRoutes.value, s.route);
    seenMembers.value = addSeen(seenMembers.value, s.member);
  }

  /** Apply every queued summary: one new array per frame, whatever the batch count. */
  function flush(): void {
    frame = undefined;
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    const fresh: ExchangeSummary[] = [];
    let replaced = false;
    for (const s of batch.values()) {
      const current = byId.get(s.id);
      if (current === undefined) {
        fresh.push(s);
        byId.set(s.id, s);
        noteChoices(s);
      } else {
        const kept = newer(current, s);
        if (kept !== current) {
          byId.set(s.id, kept);
          replaced = true;
          noteChoices(kept);
        }
      }
    }
    let next: readonly ExchangeSummary[] = entries.value;
    if (replaced) next = next.map((e) => byId.get(e.id) ?? e);
    if (fresh.length > 0) {
      fresh.sort(byIdDescending);
      // Ids grow with time, so new exchanges normally all go on top; a straggler (an id
      // older than the current top) costs one sort instead.
      const top = next[0];
      const inOrder = top === undefined || fresh[fresh.length - 1]!.id > top.id;
      next = inOrder ? fresh.concat(next) : fresh.concat(next).sort(byIdDescending);
    }
    if (next.length > limit.value) {
      for (let i = limit.value; i < next.length; i++) byId.delete(next[i]!.id);
      next = next.slice(0, limit.value);
    }
    entries.value = next;
    if (selectedId.value !== null && !byId.has(selectedId.value)) selectedId.value = null;
    if (fresh.length > 0 || replaced) searchAgainSoon();
  }

  function reset(): void {
    pending.clear();
    byId.clear();
    entries.value = [];
    selectedId.value = null;
  }

  /** Replace everything with the engine's ring (oldest first), keeping later batches. */
  function load(snapshot: readonly ExchangeSummary[]): void {
    const queued = pending;
    reset();
    pending = queued;
    enqueue(snapshot);
  }

  async function resync(): Promise<void> {
    try {
      const [status, snapshot] = await Promise.all([client.getStatus(), client.listExchanges()]);
      paused.value = status.capture.paused;
      load(snapshot.slice(-limit.value));
    } catch (e) {
      error.value = `Could not load the traffic log: ${(e as Error).message}`;
    }
  }

  /**
   * Listen for exchanges; returns the function that stops listening. Reference-counted,
   * so any number of views can hold it; the first one subscribes and loads the engine's
   * ring, so nothing that happened while no view listened is missing.
   */
  const start = sharedSubscription(() => {
    const offExchanges = client.on('exchanges', enqueue);
    const offCleared = client.on('exchangesCleared', reset);
    const close = (): void => {
      offExchanges();
      offCleared();
      if (frame !== undefined) cancelAnimationFrame(frame);
      frame = undefined;
      cancelSearch();
    };
    // Subscribe first, then load: a batch that lands meanwhile is queued and kept
    // (`newer` sorts out a batch older than the snapshot).
    void resync();

    return close;
  });

  // ─── The query box ────────────────────────────────────────────────────────────────────

  const parsed = computed(() => parseQuery(filter.value.text));
  /** Why the query box does not parse, and where (a character offset); null when it does. */
  const queryError = computed(() =>
    parsed.value.ok ? null : { message: parsed.value.error, at: parsed.value.at },
  );
  /** The last query that parsed: the list keeps filtering by it while the box does not. */
  const applied = computed<AppliedQuery>((previous) => {
    const result = parsed.value;
    if (!result.ok) return previous ?? NO_QUERY;
    const text = canonical(result.query);
    return previous?.text === text ? previous : { query: result.query, text };
  });
  /** The query reads headers or bodies: the engine answers it (searchExchanges). */
  const searchesEngine = computed(() => needsEngine(applied.value.query));
  const shown = shallowRef<ShownQuery>(summaryShown(NO_QUERY));
  /** A search for the current query is under way and has not answered yet. */
  const searching = ref(false);

  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  /** Answers to older requests are dropped: the latest request wins. */
  let searchSeq = 0;
  /** The request under way (its sequence number), if any. */
  let inFlight: number | undefined;
  /** Exchanges arrived or changed while a search ran: its answer may miss them. */
  let staleAnswer = false;
  let lastSearchAt = Number.NEGATIVE_INFINITY;

  watch(
    applied,
    (next) => {
      if (!needsEngine(next.query)) {
        cancelSearch();
        shown.value = summaryShown(next);
        return;
      }
      // Free text first answers from the summaries, as before the engine could search
      // headers; header and body terms keep the previous rows until the engine answers.
      if (summaryAnswersFirst(next.query)) shown.value = summaryShown(next);
      searching.value = true;
      scheduleSearch(SEARCH_DEBOUNCE_MS);
    },
    { flush: 'sync' },
  );

  function cancelSearch(): void {
    clearTimeout(searchTimer);
    searchTimer = undefined;
    searchSeq++;
    inFlight = undefined;
    staleAnswer = false;
    searching.value = false;
  }

  function scheduleSearch(delay: number): void {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      searchTimer = undefined;
      void runSearch();
    }, delay);
  }

  async function runSearch(): Promise<void> {
    const query = applied.value;
    if (!needsEngine(query.query)) return;
    const seq = ++searchSeq;
    inFlight = seq;
    staleAnswer = false;
    lastSearchAt = Date.now();
    try {
      const result = await client.searchExchanges(query.text);
      if (seq !== searchSeq || applied.value.text !== query.text) return;
      shown.value = {
        kind: 'search',
        text: query.text,
        hits: new Map(result.matches.map((m) => [m.id, m.hits])),
      };
      searching.value = false;
    } catch (e) {
      if (seq !== searchSeq) return;
      searching.value = false;
      error.value = `Could not search the traffic log: ${(e as Error).message}`;
    } finally {
      if (inFlight === seq) {
        inFlight = undefined;
        if (staleAnswer) searchAgainSoon();
      }
    }
  }

  /** New or changed exchanges: search again (throttled) so the list stays right. */
  function searchAgainSoon(): void {
    if (!searchesEngine.value) return;
    if (inFlight !== undefined) {
      staleAnswer = true;
      return;
    }
    if (searchTimer !== undefined) return;
    scheduleSearch(Math.max(0, lastSearchAt + RESEARCH_INTERVAL_MS - Date.now()));
  }

  const fields = computed(() => fieldsMatcher(filter.value));
  const filtering = computed(
    () => areFieldsActive(filter.value) || applied.value.query.groups.length > 0,
  );
  /** What the list shows, newest first. */
  const visible = computed<readonly ExchangeSummary[]>(() => {
    if (!filtering.value) return entries.value;
    const inFields = fields.value;
    const query = shown.value;
    if (query.kind === 'search') {
      const hits = query.hits;
      return entries.value.filter((s) => hits.has(s.id) && inFields(s));
    }
    const matcher = query.matcher;
    return matcher === null
      ? entries.value.filter(inFields)
      : entries.value.filter((s) => inFields(s) && matcher(s) !== undefined);
  });
  /**
   * Where a listed exchange matched the query (for the list rows); undefined when no query
   * is applied or the exchange is not a match.
   */
  function matchOf(s: ExchangeSummary): MatchHit[] | undefined {
    const query = shown.value;
    if (query.kind === 'search') return query.hits.get(s.id);
    return query.matcher?.(s)?.hits;
  }
  const selected = computed<ExchangeSummary | null>(() => {
    const id = selectedId.value;
    // `entries` is read so this recomputes when the selected exchange is updated.
    return id === null || entries.value.length === 0 ? null : (byId.get(id) ?? null);
  });

  function select(id: number | null): void {
    selectedId.value = id;
  }

  function setFilter(patch: Partial<TrafficFilter>): void {
    filter.value = { ...filter.value, ...patch };
  }

  function clearFilter(): void {
    filter.value = emptyFilter();
  }

  /** Add an exchange to the compare selection, or take it out; at most two, oldest out. */
  function toggleCompare(id: number): void {
    const current = compareSelection.value;
    compareSelection.value = current.includes(id)
      ? current.filter((x) => x !== id)
      : [...current, id].slice(-2);
  }

  function clearCompare(): void {
    compareSelection.value = [];
  }

  async function act<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      const result = await action();
      error.value = null;
      return result;
    } catch (e) {
      error.value = `${what}: ${(e as Error).message}`;
      throw e;
    }
  }

  async function setPaused(value: boolean): Promise<void> {
    await act('Could not change capture', () => client.setCapturePaused(value));
    paused.value = value;
  }

  /** Empty the engine's log; the `exchangesCleared` event empties this list. */
  async function clear(): Promise<void> {
    await act('Could not clear the traffic log', () => client.clearExchanges());
    reset();
  }

  /**
   * HAR text of what the list shows ("export what I see"): the engine runs the same filter,
   * the last query that parsed and the controls beside it (everything when none is set).
   */
  function exportHar(): Promise<string> {
    const apiFilter = toApiFilter({ ...filter.value, text: applied.value.text });
    return act('Could not export HAR', () => client.exportHar(apiFilter));
  }

  /** The full record (headers, body sizes, frames); null once the ring dropped it. */
  function detail(id: number): Promise<ExchangeDetail | null> {
    return client.getExchange(id);
  }

  /** Body bytes as base64, fetched only when the user opens a body. */
  function body(id: number, side: BodySide): Promise<string | null> {
    return client.getExchangeBody(id, side);
  }

  /** What the engine knows of a gRPC call's message types (.proto files or reflection). */
  function grpcSchema(id: number): Promise<GrpcCallSchema> {
    return client.grpcSchema(id);
  }

  /** .proto files the user opened: the engine parses them and names messages with them. */
  function openProtos(files: { name: string; text: string }[]) {
    return client.openProtos(files);
  }

  function curl(id: number): Promise<string> {
    return act('Could not build the cURL command', () => client.exchangeAsCurl(id));
  }

  function replay(id: number): Promise<{ status: number }> {
    return act('Could not replay the request', () => client.replayExchange(id));
  }

  return {
    entries,
    visible,
    limit,
    paused,
    order,
    filter,
    filtering,
    queryError,
    searching,
    searchesEngine,
    matchOf,
    selectedId,
    selected,
    compareSelection,
    seenMethods,
    seenRoutes,
    seenMembers,
    error,
    start,
    resync,
    flush,
    select,
    setFilter,
    clearFilter,
    toggleCompare,
    clearCompare,
    setPaused,
    clear,
    exportHar,
    grpcSchema,
    openProtos,
    detail,
    body,
    curl,
    replay,
  };
});
