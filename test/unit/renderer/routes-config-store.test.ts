// @vitest-environment happy-dom
/**
 * The config store: one draft edited by table, form and map; validated by the shared
 * schema; applied, saved, undone; never silently replaced while it holds unapplied edits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RoutingConfig } from '../../../src/shared/config.js';
import { blankRoute } from '../../../src/renderer/src/features/routes/route-edits.js';
import { useConfigStore } from '../../../src/renderer/src/stores/config.js';
import { fakeFor, sampleConfig, settle, storeContext } from './routes-mount.js';

let dispose: (() => void) | undefined;
afterEach(() => dispose?.());

async function loadedStore(client = fakeFor()) {
  storeContext(client);
  const store = useConfigStore();
  dispose = () => store.$dispose();
  await store.refresh();
  return { store, client };
}

function names(config: RoutingConfig | undefined): string[] {
  return config?.routes.map((r) => r.name) ?? [];
}

describe('config store', () => {
  it('loads the configuration in force as a clean draft', async () => {
    const { store } = await loadedStore();
    expect(names(store.draft)).toEqual(['app', 'api', 'rest']);
    expect(store.dirty).toBe(false);
    expect(store.problems).toEqual([]);
    expect(store.canUndo).toBe(false);
    expect(store.yamlText).toBe('version: 1\n# the file\n');
  });

  it('records each edit for undo and redo', async () => {
    const { store } = await loadedStore();
    store.moveRoute(2, 0);
    expect(names(store.draft)).toEqual(['rest', 'app', 'api']);
    store.duplicateRoute(1);
    expect(names(store.draft)).toEqual(['rest', 'app', 'app-copy', 'api']);
    expect(store.dirty).toBe(true);
    store.undo();
    expect(names(store.draft)).toEqual(['rest', 'app', 'api']);
    store.undo();
    expect(store.dirty).toBe(false);
    expect(store.canUndo).toBe(false);
    store.redo();
    store.redo();
    expect(names(store.draft)).toEqual(['rest', 'app', 'app-copy', 'api']);
    expect(store.canRedo).toBe(false);
  });

  it('shows schema problems at their field and refuses to apply them', async () => {
    const { store, client } = await loadedStore();
    const route = { ...blankRoute(store.draft!), name: 'app', to: 'htp://x' };
    route.match = { path: 'nope' };
    store.addRoute(route);
    const paths = store.problems.map((p) => `${p.path}: ${p.message}`);
    expect(paths).toContain('routes[3].match.path: must start with /');
    expect(paths).toContain("routes[3].name: 'app' is already routes[0]");
    expect(paths.some((p) => p.startsWith('routes[3].to: must be an http(s) URL'))).toBe(true);
    expect(await store.apply()).toBe(false);
    expect(store.error).toMatch(/fix 3 problem/);
    expect(client.callsOf('applyConfig')).toEqual([]);
  });

  it('applies the draft live, shows the warnings, then offers to save', async () => {
    const { store, client } = await loadedStore();
    client.respond('applyConfig', (config) => {
      client.data.config = config;
      client.data.status.unsaved = true;
      return { listeners: [], warnings: ['CA does not cover shop.test'] };
    });
    store.deleteRoute(0);
    expect(await store.apply()).toBe(true);
    expect(names(client.callsOf('applyConfig')[0]?.[0] as RoutingConfig)).toEqual(['api', 'rest']);
    expect(store.warnings).toEqual(['CA does not cover shop.test']);
    expect(store.dirty).toBe(false);
    expect(store.fileUnsaved).toBe(true);
    expect(await store.save()).toBe(true);
    expect(store.savedPath).toBe('/p/switchyard.yaml');
    expect(store.fileUnsaved).toBe(false);
  });

  it('applies a dirty draft before saving it', async () => {
    const { store, client } = await loadedStore();
    store.deleteRoute(2);
    expect(await store.save()).toBe(true);
    expect(client.calls.map((c) => c.method)).toEqual(
      expect.arrayContaining(['applyConfig', 'saveConfig']),
    );
    const order = client.calls.map((c) => c.method).filter((m) => m.endsWith('Config'));
    expect(order.indexOf('applyConfig')).toBeLessThan(order.indexOf('saveConfig'));
  });

  it('reports an engine refusal without losing the draft', async () => {
    const { store, client } = await loadedStore();
    client.respond('applyConfig', () => {
      throw new Error('127.0.0.1:8080 is already in use by another program');
    });
    store.deleteRoute(0);
    expect(await store.apply()).toBe(false);
    expect(store.error).toMatch(/already in use/);
    expect(store.dirty).toBe(true);
    expect(names(store.draft)).toEqual(['api', 'rest']);
  });

  it('follows a change made elsewhere while the draft is clean', async () => {
    const { store, client } = await loadedStore();
    client.data.config = sampleConfig({ routes: [{ name: 'only', to: 'http://127.0.0.1:1/' }] });
    client.emit('config', { reason: 'reloaded switchyard.yaml' });
    await settle();
    expect(names(store.draft)).toEqual(['only']);
    expect(store.staleReason).toBeUndefined();
    store.undo(); // the external change is one undo step too
    expect(names(store.draft)).toEqual(['app', 'api', 'rest']);
  });

  it('keeps unapplied edits when the configuration changes underneath, and says so', async () => {
    const { store, client } = await loadedStore();
    store.deleteRoute(0);
    client.data.config = sampleConfig({ routes: [{ name: 'only', to: 'http://127.0.0.1:1/' }] });
    client.emit('config', { reason: 'member http://127.0.0.1:9001 changed' });
    await settle();
    expect(names(store.draft)).toEqual(['api', 'rest']);
    expect(store.staleReason).toBe('member http://127.0.0.1:9001 changed');
    store.discard();
    expect(names(store.draft)).toEqual(['only']);
    expect(store.staleReason).toBeUndefined();
    store.undo(); // discarding is undoable: nothing is lost silently
    expect(names(store.draft)).toEqual(['api', 'rest']);
  });

  it('does not call its own apply a change from elsewhere', async () => {
    const { store } = await loadedStore();
    store.deleteRoute(0);
    await store.apply();
    await settle();
    expect(store.staleReason).toBeUndefined();
    expect(store.dirty).toBe(false);
  });

  it('guards the page against closing with unapplied edits', async () => {
    const { store } = await loadedStore();
    const leave = (): Event => {
      const event = new Event('beforeunload', { cancelable: true });
      window.dispatchEvent(event);
      return event;
    };
    expect(leave().defaultPrevented).toBe(false);
    store.deleteRoute(0);
    expect(leave().defaultPrevented).toBe(true);
    store.editYaml('version: 1\n');
    store.undo();
    expect(store.dirty).toBe(false);
    expect(leave().defaultPrevented).toBe(true); // the YAML edit is unapplied work too
  });

  it('checks YAML with the engine and applies it only when valid', async () => {
    const { store, client } = await loadedStore();
    store.editYaml('version: 1\nroutes: [{ name: app, to: "htp://x" }]\n');
    client.data.validation = {
      ok: false,
      problems: [
        { file: 'switchyard.yaml', line: 2, column: 29, path: 'routes[0].to', message: 'bad' },
      ],
    };
    expect(await store.applyYaml()).toBe(false);
    expect(store.yamlProblems[0]?.line).toBe(2);
    expect(client.callsOf('applyConfig')).toEqual([]);
    expect(store.yamlDirty).toBe(true);

    const fixed = sampleConfig({ routes: [{ name: 'app', to: 'http://127.0.0.1:3000/' }] });
    client.data.validation = { ok: true, problems: [], config: fixed };
    store.editYaml('version: 1\nroutes: [{ name: app, to: "http://127.0.0.1:3000/" }]\n');
    expect(await store.applyYaml()).toBe(true);
    expect(client.callsOf('validateConfig').at(-1)).toEqual([
      'version: 1\nroutes: [{ name: app, to: "http://127.0.0.1:3000/" }]\n',
    ]);
    expect(names(client.callsOf('applyConfig')[0]?.[0] as RoutingConfig)).toEqual(['app']);
    expect(store.yamlDirty).toBe(false);
    expect(names(store.draft)).toEqual(['app']);
  });

  it('shows the draft as YAML once it differs from the file', async () => {
    const { store } = await loadedStore();
    store.deleteRoute(0);
    expect(store.yamlText).toMatch(/^version: 1/);
    expect(store.yamlText).not.toMatch(/name: app\n/);
    expect(store.yamlText).toMatch(/name: api/);
  });

  it('recognises the first-launch demo', async () => {
    const demoConfig = sampleConfig({
      balancers: [{ name: 'demo', members: [{ url: 'http://127.0.0.1:9001' }] }],
      routes: [{ name: 'demo', to: 'balancer://demo/' }],
    });
    const { store } = await loadedStore(fakeFor(demoConfig, null));
    expect(store.demo).toBe(true);
  });

  it('unsubscribes when disposed', async () => {
    const { store, client } = await loadedStore();
    expect(client.listenerCount('config')).toBe(1);
    store.$dispose();
    expect(client.listenerCount('config')).toBe(0);
  });
});
