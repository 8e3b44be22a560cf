/**
 * The local certificate authority as the Certificates view shows it: status per trust
 * store, trust/untrust with the host's answer (and the commands to run by hand when the
 * host could not elevate), and the CA certificate for export.
 */
import { defineStore } from 'pinia';
import { onScopeDispose, ref, shallowRef } from 'vue';
import type { ApiResult, CaStatus } from '../../../shared/api';
import { useProxyClient } from '../api/inject';

export type TrustAction = 'trust' | 'untrust';

export interface TrustOutcome extends ApiResult<'trustCa'> {
  action: TrustAction;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const useCertificatesStore = defineStore('certificates', () => {
  const client = useProxyClient();

  const status = shallowRef<CaStatus>();
  const loading = ref(false);
  /** Which trust change is running; the buttons stay disabled meanwhile (it may prompt). */
  const changing = ref<TrustAction>();
  const error = ref<string>();
  const outcome = shallowRef<TrustOutcome>();

  async function refresh(): Promise<void> {
    loading.value = true;
    try {
      status.value = await client.getCaStatus();
      error.value = undefined;
    } catch (e) {
      error.value = messageOf(e);
    } finally {
      loading.value = false;
    }
  }

  async function change(action: TrustAction): Promise<void> {
    changing.value = action;
    error.value = undefined;
    try {
      const result = action === 'trust' ? await client.trustCa() : await client.untrustCa();
      outcome.value = { action, ...result };
    } catch (e) {
      error.value = messageOf(e);
    } finally {
      changing.value = undefined;
    }
    // Trusting creates the CA when there was none; either way the stores changed.
    await refresh();
  }

  const trust = (): Promise<void> => change('trust');
  const untrust = (): Promise<void> => change('untrust');

  /** The CA certificate in PEM; undefined (with `error` set) when the host refused. */
  async function exportPem(): Promise<string | undefined> {
    try {
      return await client.exportCaPem();
    } catch (e) {
      error.value = messageOf(e);
      return undefined;
    }
  }

  // A new routing file can name TLS hosts the CA does not cover (missingNames).
  const unsubscribe = client.on('config', () => {
    if (status.value) void refresh();
  });
  onScopeDispose(unsubscribe);

  return { status, loading, changing, error, outcome, refresh, trust, untrust, exportPem };
});
