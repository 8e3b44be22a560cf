/**
 * Apps (local services at https://NAME.localhost) as the renderer holds them: the list the
 * engine sends whole with every `apps` event, the controls (start, stop, restart one app
 * or all), and the output of the one app whose log is open.
 *
 * The log follows STYLE 8: `appLog` batches are queued and applied once per animation
 * frame into one `shallowRef` array of at most APP_LOG_LIMIT lines (the engine's own ring
 * size), the oldest dropped. Only the open app's lines are kept, and only while a log is
 * open; another app's log is read from the engine again when opened.
 */
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { APP_LOG_LIMIT, type ProxyEvents } from '../../../shared/api.js';
import type { AppLogLine, AppStatus } from '../../../shared/apps.js';
import { useProxyClient } from '../api/inject.js';
import { sharedSubscription } from './shared-subscription';

export type AppControl = 'start' | 'stop' | 'restart';

/** The busy key of a control aimed at every app. */
const ALL = '*';

const VERBS: Record<AppControl, string> = { start: 'start', stop: 'stop', restart: 'restart' };

export const useAppsStore = defineStore('apps', () => {
  const client = useProxyClient();

  const apps = shallowRef<readonly AppStatus[]>([]);
  const loaded = ref(false);
  /** A failure to load the list, for the view's alert (control failures go to messages). */
  const error = ref<string | null>(null);
  /** App names with a control in flight, and `*` for start/stop all. */
  const busy = ref<ReadonlySet<string>>(new Set());

  /** The app whose log is open. */
  const logName = ref<string | null>(null);
  /** The last app whose log was opened, to open again when the view comes back. */
  const lastLogName = ref<string | null>(null);
  /** Its lines, oldest first, at most `logLimit`. Replaced, never mutated. */
  const logLines = shallowRef<readonly AppLogLine[]>([]);
  const logLimit = ref(APP_LOG_LIMIT);
  const logLoading = ref(false);
  const logError = ref<string | null>(null);

  function receive(list: readonly AppStatus[]): void {
    apps.value = list;
    loaded.value = true;
  }

  async function refresh(): Promise<void> {
    try {
      receive(await client.listApps());
      error.value = null;
    } catch (e) {
      error.value = `Could not load apps: ${(e as Error).message}`;
    }
  }

  /** Listen for app changes; returns the function that stops listening. */
  const start = sharedSubscription(() => {
    const off = client.on('apps', receive);
    void refresh();
    return off;
  });

  function isBusy(name: string | null): boolean {
    return busy.value.has(name ?? ALL) || busy.value.has(ALL);
  }

  function setBusy(key: string, on: boolean): void {
    const next = new Set(busy.value);
    if (on) next.add(key);
    else next.delete(key);
    busy.value = next;
  }

  /**
   * Start, stop or restart one app (its name) or every app (null). Rejects with a sentence
   * for the user; the engine emits `apps` as states change, and the list is read back so
   * the buttons settle even on a transport that dropped an event while reconnecting.
   */
  async function control(name: string | null, action: AppControl): Promise<void> {
    const key = name ?? ALL;
    setBusy(key, true);
    try {
      await client.controlApp(name, action);
      receive(await client.listApps());
    } catch (e) {
      const what = name === null ? `${VERBS[action]} all apps` : `${VERBS[action]} ${name}`;
      throw new Error(`Could not ${what}: ${(e as Error).message}`, { cause: e });
    } finally {
      setBusy(key, false);
    }
  }

  /** Add or move an alias (port), or remove it (null); kept in the routing file. */
  async function setAlias(name: string, port: number | null): Promise<void> {
    setBusy(name, true);
    try {
      await client.setAppAlias(name, port);
      receive(await client.listApps());
    } catch (e) {
      const what = port === null ? `remove the alias ${name}` : `add the alias ${name}`;
      throw new Error(`Could not ${what}: ${(e as Error).message}`, { cause: e });
    } finally {
      setBusy(name, false);
    }
  }

  // The open log: lines queued between frames, a generation so a late answer for an app
  // that is no longer open is ignored, and where the snapshot ended so lines that arrived
  // while it loaded are not shown twice.
  let offLog: (() => void) | undefined;
  let queued: AppLogLine[] = [];
  let frame: number | undefined;
  let generation = 0;
  /**
   * The snapshot's last line; null while it loads (lines wait in the queue). A line is new
   * when its seq or its time is later: the time keeps a log the engine started afresh
   * (seq from 1 again) from being taken for old lines.
   */
  let cut: { seq: number; at: number } | null = null;

  function flush(): void {
    frame = undefined;
    if (queued.length === 0 || cut === null) return;
    const { seq, at } = cut;
    const fresh = queued.filter((l) => l.seq > seq || l.at > at);
    queued = [];
    if (fresh.length === 0) return;
    const limit = logLimit.value;
    const joined = logLines.value.concat(fresh);
    logLines.value = joined.length > limit ? joined.slice(joined.length - limit) : joined;
  }

  function onLog({ name, lines }: ProxyEvents['appLog']): void {
    if (name !== logName.value || lines.length === 0) return;
    queued.push(...lines);
    // Bounded even when frames do not run (a hidden window): keep the newest only.
    if (queued.length > logLimit.value) queued = queued.slice(queued.length - logLimit.value);
    if (cut !== null) frame ??= requestAnimationFrame(flush);
  }

  function closeLog(): void {
    offLog?.();
    offLog = undefined;
    if (frame !== undefined) cancelAnimationFrame(frame);
    frame = undefined;
    queued = [];
    generation++;
    logName.value = null;
    logLines.value = [];
    logError.value = null;
    logLoading.value = false;
  }

  /** Show one app's output: the engine's newest lines, then live ones. */
  async function openLog(name: string): Promise<void> {
    if (logName.value === name && offLog) return;
    closeLog();
    const mine = generation;
    logName.value = name;
    lastLogName.value = name;
    cut = null;
    // Subscribe first, then load: lines written meanwhile are queued, not lost.
    offLog = client.on('appLog', onLog);
    logLoading.value = true;
    try {
      const snapshot = await client.getAppLog(name, { limit: logLimit.value });
      if (mine !== generation) return;
      logLines.value = snapshot.slice(-logLimit.value);
      const last = snapshot.at(-1);
      cut = last ? { seq: last.seq, at: last.at } : { seq: 0, at: 0 };
      flush();
    } catch (e) {
      if (mine !== generation) return;
      logError.value = `Could not read the output of ${name}: ${(e as Error).message}`;
      // Live lines still show.
      cut = { seq: 0, at: 0 };
      flush();
    } finally {
      if (mine === generation) logLoading.value = false;
    }
  }

  /** Empty the panel (the engine keeps its lines; reopening the log shows them again). */
  function clearLog(): void {
    logLines.value = [];
  }

  return {
    apps,
    loaded,
    error,
    busy,
    logName,
    lastLogName,
    logLines,
    logLimit,
    logLoading,
    logError,
    start,
    refresh,
    isBusy,
    control,
    setAlias,
    openLog,
    closeLog,
    clearLog,
    flush,
  };
});
