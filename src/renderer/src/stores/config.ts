/**
 * The routing configuration as the Routes view edits it. Three versions exist at once and
 * the UI must never blur them:
 *
 * - `applied`: what the engine runs (getConfig), refreshed on every `config` event;
 * - `draft`: what the user is editing here; table, form and map all edit this one object;
 * - the routing file on disk: `status.unsaved` says whether `applied` differs from it.
 *
 * The draft is replaced, never mutated: each edit stores the previous draft on the undo
 * stack, so undo is a pointer swap and the stack cannot be corrupted by a form still
 * holding a reference. The draft is validated with the shared zod schema on every change,
 * so a field shows the engine's own message before the user presses Apply.
 */
import { defineStore } from 'pinia';
import { computed, onScopeDispose, ref, shallowRef } from 'vue';
import { stringify } from 'yaml';
import type { ConfigProblem, EngineStatus } from '../../../shared/api';
import { routingConfigSchema, type RouteConfig, type RoutingConfig } from '../../../shared/config';
import { useProxyClient } from '../api/inject';
import { draftProblems } from '../features/routes/config-problems';
import { isDemo } from '../features/routes/demo-mode';
import * as edits from '../features/routes/route-edits';

/** Undo steps kept; older ones fall off (a draft is a few KiB). */
const HISTORY_LIMIT = 100;

export type ConfigBusy = 'loading' | 'applying' | 'saving';

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function parseConfig(data: unknown, source: string): RoutingConfig {
  const parsed = routingConfigSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  throw new Error(`${source} is not a valid configuration: ${first?.message ?? 'unknown problem'}`);
}

export const useConfigStore = defineStore('config', () => {
  const client = useProxyClient();

  const status = shallowRef<EngineStatus>();
  const applied = shallowRef<RoutingConfig>();
  /** The routing file's text as on disk (or the applied config rendered, without a file). */
  const fileText = ref('');
  const draft = shallowRef<RoutingConfig>();
  const past = shallowRef<RoutingConfig[]>([]);
  const future = shallowRef<RoutingConfig[]>([]);
  /** Text typed in the YAML view; undefined while the view shows the draft untouched. */
  const yamlEdit = ref<string>();
  /** The YAML the edit started from, to notice when the draft moved on underneath it. */
  const yamlBase = ref<string>();
  const yamlProblems = shallowRef<ConfigProblem[]>([]);
  /** Warnings the engine returned for the last apply (CA constraints, say). */
  const warnings = shallowRef<string[]>([]);
  const busy = ref<ConfigBusy>();
  const error = ref<string>();
  const savedPath = ref<string>();
  /** Why the configuration in force changed while the draft had unapplied edits. */
  const staleReason = ref<string>();
  const loaded = ref(false);

  const problems = computed(() => (draft.value ? draftProblems(draft.value) : []));
  const dirty = computed(
    () => !!draft.value && !!applied.value && !edits.sameConfig(draft.value, applied.value),
  );
  /** What the YAML view starts from: the file's own text (comments and all) unless edited. */
  const yamlSource = computed(() =>
    dirty.value && draft.value ? stringify(draft.value) : fileText.value,
  );
  const yamlText = computed(() => yamlEdit.value ?? yamlSource.value);
  const yamlDirty = computed(
    () => yamlEdit.value !== undefined && yamlEdit.value !== yamlBase.value,
  );
  const yamlOutdated = computed(
    () => yamlDirty.value && yamlBase.value !== undefined && yamlBase.value !== yamlSource.value,
  );
  /** Work that exists only in this window: closing it would lose it. */
  const hasUnappliedWork = computed(() => dirty.value || yamlDirty.value);
  /** Applied in the engine but not written to the routing file. */
  const fileUnsaved = computed(() => status.value?.unsaved ?? false);
  const canUndo = computed(() => past.value.length > 0);
  const canRedo = computed(() => future.value.length > 0);
  const demo = computed(() => isDemo(status.value, applied.value));

  // Each refresh gets a number so a slow answer never overwrites a newer one.
  let refreshes = 0;

  async function fetchState(): Promise<RoutingConfig | undefined> {
    const seq = ++refreshes;
    const [nextStatus, view] = await Promise.all([client.getStatus(), client.getConfig()]);
    if (seq !== refreshes) return undefined;
    const config = parseConfig(view.config, 'the configuration in force');
    status.value = nextStatus;
    fileText.value = view.text;
    return config;
  }

  function record(previous: RoutingConfig): void {
    past.value = [...past.value, previous].slice(-HISTORY_LIMIT);
    future.value = [];
  }

  /** Take `next` as the configuration in force, and decide what happens to the draft. */
  function adopt(next: RoutingConfig, reason: string): void {
    const before = applied.value;
    const wasDirty = dirty.value;
    applied.value = next;
    if (!draft.value) {
      draft.value = edits.cloneConfig(next);
      return;
    }
    if (!wasDirty) {
      // Nothing of the user's is at stake: follow the engine, but as an undoable step.
      if (!edits.sameConfig(draft.value, next)) {
        record(draft.value);
        draft.value = edits.cloneConfig(next);
      }
      return;
    }
    const changed = before !== undefined && !edits.sameConfig(before, next);
    if (changed && !edits.sameConfig(draft.value, next)) staleReason.value = reason;
  }

  async function refresh(reason = 'reloaded'): Promise<void> {
    busy.value ??= 'loading';
    try {
      const next = await fetchState();
      if (next) adopt(next, reason);
      loaded.value = true;
      error.value = undefined;
    } catch (e) {
      error.value = messageOf(e);
    } finally {
      if (busy.value === 'loading') busy.value = undefined;
    }
  }

  /** Replace the draft with `next` as one undo step. */
  function edit(next: RoutingConfig): void {
    if (!draft.value || edits.sameConfig(next, draft.value)) return;
    record(draft.value);
    draft.value = next;
  }

  function current(): RoutingConfig {
    if (!draft.value) throw new Error('the configuration is not loaded yet');
    return draft.value;
  }

  function undo(): void {
    const previous = past.value.at(-1);
    if (!previous || !draft.value) return;
    future.value = [...future.value, draft.value];
    past.value = past.value.slice(0, -1);
    draft.value = previous;
  }

  function redo(): void {
    const next = future.value.at(-1);
    if (!next || !draft.value) return;
    past.value = [...past.value, draft.value];
    future.value = future.value.slice(0, -1);
    draft.value = next;
  }

  /** Throw the draft away for the configuration in force (undoable, so never lost). */
  function discard(): void {
    if (applied.value && draft.value && dirty.value) {
      record(draft.value);
      draft.value = edits.cloneConfig(applied.value);
    }
    staleReason.value = undefined;
    resetYaml();
  }

  async function apply(): Promise<boolean> {
    const config = draft.value;
    if (!config) return false;
    if (problems.value.length > 0) {
      error.value = `fix ${problems.value.length} problem(s) before applying`;
      return false;
    }
    busy.value = 'applying';
    error.value = undefined;
    try {
      const result = await client.applyConfig(config);
      warnings.value = result.warnings;
      const next = await fetchState();
      if (next) applied.value = next;
      staleReason.value = undefined;
      return true;
    } catch (e) {
      error.value = messageOf(e);
      return false;
    } finally {
      busy.value = undefined;
    }
  }

  /** Write the configuration in force to the routing file, applying the draft first. */
  async function save(): Promise<boolean> {
    if (dirty.value && !(await apply())) return false;
    busy.value = 'saving';
    error.value = undefined;
    try {
      savedPath.value = (await client.saveConfig()).path;
      status.value = await client.getStatus();
      return true;
    } catch (e) {
      error.value = messageOf(e);
      return false;
    } finally {
      busy.value = undefined;
    }
  }

  // ---- YAML view ------------------------------------------------------------------------

  function editYaml(text: string): void {
    if (yamlEdit.value === undefined) yamlBase.value = yamlSource.value;
    yamlEdit.value = text;
  }

  function resetYaml(): void {
    yamlEdit.value = undefined;
    yamlBase.value = undefined;
    yamlProblems.value = [];
  }

  /** Ask the engine to check the text: its problems carry line numbers of this text. */
  async function validateYaml(text = yamlText.value): Promise<RoutingConfig | undefined> {
    try {
      const result = await client.validateConfig(text);
      if (text !== yamlText.value) return undefined; // the user typed on; a newer check follows
      yamlProblems.value = result.problems;
      return result.ok && result.config ? parseConfig(result.config, 'the YAML') : undefined;
    } catch (e) {
      error.value = messageOf(e);
      return undefined;
    }
  }

  /** Take the YAML as the new draft without applying it. */
  async function loadYamlIntoDraft(): Promise<boolean> {
    const config = await validateYaml();
    if (!config) return false;
    edit(config);
    resetYaml();
    return true;
  }

  async function applyYaml(): Promise<boolean> {
    const config = await validateYaml();
    if (!config) return false;
    edit(config);
    const ok = await apply();
    if (ok) resetYaml();
    return ok;
  }

  // ---- route edits (each one undo step) -------------------------------------------------

  const addRoute = (route: RouteConfig, index?: number): void =>
    edit(edits.insertRoute(current(), route, index));
  const updateRoute = (index: number, route: RouteConfig): void =>
    edit(edits.withRoute(current(), index, route));
  const duplicateRoute = (index: number): void => edit(edits.duplicateRoute(current(), index));
  const deleteRoute = (index: number): void => edit(edits.deleteRoute(current(), index));
  const moveRoute = (from: number, to: number): void => edit(edits.moveRoute(current(), from, to));

  // ---- subscriptions for the store's lifetime --------------------------------------------

  const unsubscribe = client.on('config', ({ reason }) => {
    // Our own apply refreshes when it returns; a second fetch here would race it.
    if (!loaded.value || busy.value === 'applying') return;
    void refresh(reason);
  });

  // The draft lives only in this window: leaving the page would lose it without a word.
  const guard = (event: BeforeUnloadEvent): void => {
    if (!hasUnappliedWork.value) return;
    event.preventDefault();
    // Older Chromium (Electron) still needs returnValue set to show the prompt.
    event.returnValue = '';
  };
  window.addEventListener('beforeunload', guard);

  onScopeDispose(() => {
    unsubscribe();
    window.removeEventListener('beforeunload', guard);
  });

  return {
    status,
    applied,
    fileText,
    draft,
    problems,
    dirty,
    fileUnsaved,
    hasUnappliedWork,
    canUndo,
    canRedo,
    demo,
    warnings,
    busy,
    error,
    savedPath,
    staleReason,
    loaded,
    yamlText,
    yamlDirty,
    yamlOutdated,
    yamlProblems,
    refresh,
    edit,
    undo,
    redo,
    discard,
    apply,
    save,
    editYaml,
    resetYaml,
    validateYaml,
    loadYamlIntoDraft,
    applyYaml,
    addRoute,
    updateRoute,
    duplicateRoute,
    deleteRoute,
    moveRoute,
  };
});
