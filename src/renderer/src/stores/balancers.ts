/**
 * Balancers and their members as balancer-manager shows them (SPEC §5 Balancers): the
 * configured identity (URL, route, loadFactor, state) with live statistics.
 *
 * The engine polls statistics only while someone listens to `balancers` (once a second),
 * so the view holds the subscription only while it is shown: `start()` returns the
 * unsubscribe function and the view calls it on unmount.
 */
import { sharedSubscription } from './shared-subscription';
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { BalancerStatus, ProxyEvents } from '../../../shared/api.js';
import type { MemberState } from '../../../shared/config.js';
import { useProxyClient } from '../api/inject.js';

export type MemberStatus = BalancerStatus['members'][number];
export type HealthChange = ProxyEvents['health'] & { at: number };

export interface MemberChange {
  state?: MemberState;
  loadFactor?: number;
}

/** Health changes kept for the view's log, newest first. */
const HEALTH_LOG_SIZE = 20;

export const useBalancersStore = defineStore('balancers', () => {
  const client = useProxyClient();

  const balancers = shallowRef<readonly BalancerStatus[]>([]);
  const healthLog = shallowRef<readonly HealthChange[]>([]);
  const loaded = ref(false);
  const error = ref<string | null>(null);
  /** `${balancer} ${url}` of members with a change in flight (their controls show it). */
  const busy = ref<ReadonlySet<string>>(new Set());
  /**
   * Balancers whose sticky-sessions section is open: kept here rather than in the card, so
   * it stays open when the user looks at Traffic and comes back.
   */
  const sessionsOpen = ref<ReadonlySet<string>>(new Set());

  function receive(list: readonly BalancerStatus[]): void {
    balancers.value = list;
    loaded.value = true;
  }

  /**
   * A health event lands between two statistics ticks: show it on the member at once
   * (replacing that one member object, as the shallow list requires) and log it.
   */
  function applyHealth(change: ProxyEvents['health']): void {
    const at = Date.now();
    healthLog.value = [{ ...change, at }, ...healthLog.value].slice(0, HEALTH_LOG_SIZE);
    balancers.value = balancers.value.map((b) =>
      b.name !== change.balancer
        ? b
        : {
            ...b,
            members: b.members.map((m) =>
              m.url !== change.member
                ? m
                : {
                    ...m,
                    stats: {
                      ...m.stats,
                      health: change.health,
                      lastCheck: { at, ok: change.health === 'healthy', detail: change.detail },
                    },
                  },
            ),
          },
    );
  }

  async function refresh(): Promise<void> {
    try {
      receive(await client.listBalancers());
      error.value = null;
    } catch (e) {
      error.value = `Could not load balancers: ${(e as Error).message}`;
    }
  }

  /** Listen for statistics and health; returns the function that stops listening. */
  const start = sharedSubscription(() => {
    const offBalancers = client.on('balancers', receive);
    const offHealth = client.on('health', applyHealth);
    const close = (): void => {
      offBalancers();
      offHealth();
    };
    void refresh();

    return close;
  });

  function key(balancer: string, url: string): string {
    return `${balancer} ${url}`;
  }

  function isBusy(balancer: string, url: string): boolean {
    return busy.value.has(key(balancer, url));
  }

  function toggleSessions(balancer: string): void {
    const next = new Set(sessionsOpen.value);
    if (!next.delete(balancer)) next.add(balancer);
    sessionsOpen.value = next;
  }

  /** Change a member live (balancer-manager's "Edit balancer member"). */
  async function setMember(balancer: string, url: string, change: MemberChange): Promise<void> {
    const k = key(balancer, url);
    busy.value = new Set([...busy.value, k]);
    try {
      await client.setMember(balancer, url, change);
      error.value = null;
      // The engine also emits `balancers` after a change; reading back here makes the
      // control settle even on a transport that drops events while reconnecting.
      receive(await client.listBalancers());
    } catch (e) {
      error.value = `Could not change ${url}: ${(e as Error).message}`;
      throw e;
    } finally {
      const next = new Set(busy.value);
      next.delete(k);
      busy.value = next;
    }
  }

  return {
    balancers,
    healthLog,
    loaded,
    error,
    busy,
    sessionsOpen,
    toggleSessions,
    start,
    refresh,
    isBusy,
    setMember,
  };
});
