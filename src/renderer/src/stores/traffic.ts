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
import { computed, ref, shallowRef } from 'vue';
import type { BodySide, ExchangeDetail, ExchangeSummary } from '../../../shared/exchange.js';
import type { GrpcCallSchema } from '../../../shared/protobuf-schema.js';
import { useProxyClient } from '../api/inject.js';
import {
  emptyFilter,
  exchangeMatcher,
  isFilterActive,
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
    };
    // Subscribe first, then load: a batch that lands meanwhile is queued and kept
    // (`newer` sorts out a batch older than the snapshot).
    void resync();

    return close;
  });

  const matcher = computed(() => exchangeMatcher(filter.value));
  const filtering = computed(() => isFilterActive(filter.value));
  /** What the list shows, newest first. */
  const visible = computed<readonly ExchangeSummary[]>(() =>
    filtering.value ? entries.value.filter(matcher.value) : entries.value,
  );
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

  /** HAR text of the rows the list shows (all of them when no filter is set). */
  function exportHar(): Promise<string> {
    const ids = filtering.value ? visible.value.map((s) => s.id) : undefined;
    return act('Could not export HAR', () =>
      client.exportHar(ids === undefined ? undefined : { ids }),
    );
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
    selectedId,
    selected,
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
