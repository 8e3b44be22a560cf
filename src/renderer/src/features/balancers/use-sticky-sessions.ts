/**
 * The sticky inspector's list for one balancer, read every STICKY_POLL_MS while `active`
 * holds (its section open in a mounted view). The engine sends no event for sessions, and
 * a closed section should cost it nothing. The next read is scheduled only once the last
 * one has answered, so a slow engine never has two reads from the same list in flight.
 */
import { onScopeDispose, ref, shallowRef, watch, type Ref } from 'vue';
import type { ApiResult } from '../../../../shared/api.js';
import { useProxyClient } from '../../api/inject.js';

export type StickySession = ApiResult<'listStickySessions'>[number];

export const STICKY_POLL_MS = 2_000;

export interface StickySessionsList {
  /** Most recently seen first, as the engine lists them. */
  sessions: Ref<readonly StickySession[]>;
  /** A first answer came (so an empty list means "none yet", not "loading"). */
  loaded: Ref<boolean>;
  error: Ref<string | null>;
}

export function useStickySessions(
  balancer: () => string,
  active: Ref<boolean>,
): StickySessionsList {
  const client = useProxyClient();
  const sessions = shallowRef<readonly StickySession[]>([]);
  const loaded = ref(false);
  const error = ref<string | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Bumped by every stop: an answer that arrives after it is dropped and schedules nothing.
  let run = 0;

  async function read(mine: number): Promise<void> {
    // A hidden window (minimised, another tab) has no reader; ask again when it may.
    if (document.visibilityState !== 'hidden') {
      try {
        const list = await client.listStickySessions(balancer());
        if (mine !== run) return;
        sessions.value = list;
        loaded.value = true;
        error.value = null;
      } catch (e) {
        if (mine !== run) return;
        error.value = `Could not read the sessions: ${(e as Error).message}`;
      }
    }
    timer = setTimeout(() => void read(mine), STICKY_POLL_MS);
  }

  function stop(): void {
    run++;
    clearTimeout(timer);
    timer = undefined;
  }

  watch(
    [active, balancer],
    ([on]) => {
      stop();
      if (on) void read(run);
    },
    { immediate: true },
  );
  onScopeDispose(stop);

  return { sessions, loaded, error };
}
