// @vitest-environment happy-dom
/**
 * The apps store: the list loaded on start and replaced by each `apps` event, controls
 * through controlApp with the result read back and failures as sentences, and the open
 * app's log (snapshot, then live lines once per frame, bounded, not doubled).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useAppsStore } from '../../../src/renderer/src/stores/apps.js';
import { createFakeClient, type FakeClient } from '../../support/fake-client.js';
import { manualFrames, piniaWithClient, settle } from '../../support/renderer-mount.js';
import { fakeApp, fakeLines } from './apps-fixtures.js';

describe('apps store', () => {
  let client: FakeClient;
  let frames: ReturnType<typeof manualFrames>;

  beforeEach(() => {
    client = createFakeClient({
      apps: [fakeApp({ name: 'api', state: 'up' }), fakeApp({ name: 'shop', state: 'stopped' })],
    });
    piniaWithClient(client);
    frames = manualFrames();
  });

  afterEach(() => frames.restore());

  it('loads on start and takes every apps event as the whole list, until stopped', async () => {
    const store = useAppsStore();
    const stop = store.start();
    await settle();
    expect(store.loaded).toBe(true);
    expect(store.apps.map((a) => [a.name, a.state])).toEqual([
      ['api', 'up'],
      ['shop', 'stopped'],
    ]);
    client.emit('apps', [fakeApp({ name: 'shop', state: 'starting' })]);
    expect(store.apps.map((a) => [a.name, a.state])).toEqual([['shop', 'starting']]);
    stop();
    expect(client.listenerCount('apps')).toBe(0);
  });

  it('reports a list it could not load', async () => {
    client.respond('listApps', () => Promise.reject(new Error('engine gone')));
    const store = useAppsStore();
    store.start();
    await settle();
    expect(store.error).toBe('Could not load apps: engine gone');
  });

  it('controls one app or all of them, busy meanwhile, and reads the list back', async () => {
    const store = useAppsStore();
    store.start();
    await settle();
    const pending = store.control('shop', 'start');
    expect(store.isBusy('shop')).toBe(true);
    expect(store.isBusy('api')).toBe(false);
    await pending;
    expect(store.isBusy('shop')).toBe(false);
    expect(client.callsOf('controlApp')).toEqual([['shop', 'start']]);
    expect(store.apps.find((a) => a.name === 'shop')!.state).toBe('up');

    const all = store.control(null, 'stop');
    expect(store.isBusy('api')).toBe(true); // "all" covers every app
    await all;
    expect(client.callsOf('controlApp').at(-1)).toEqual([null, 'stop']);
    expect(store.apps.every((a) => a.state === 'stopped')).toBe(true);
  });

  it('turns a refused control into a sentence for the user', async () => {
    client.respond('controlApp', () =>
      Promise.reject(new Error("'api' runs from `switchyard run` in a terminal: stop it there")),
    );
    const store = useAppsStore();
    await expect(store.control('api', 'stop')).rejects.toThrow(
      "Could not stop api: 'api' runs from `switchyard run` in a terminal: stop it there",
    );
    await expect(store.control(null, 'restart')).rejects.toThrow('Could not restart all apps:');
    expect(store.isBusy('api')).toBe(false);
  });

  it("opens an app's log: the engine's lines, then live ones once per frame", async () => {
    client.data.appLogs.set('api', fakeLines(['one', 'two']));
    const store = useAppsStore();
    await store.openLog('api');
    expect(client.callsOf('getAppLog')).toEqual([['api', { limit: 5000 }]]);
    expect(store.logLines.map((l) => l.text)).toEqual(['one', 'two']);
    expect(client.listenerCount('appLog')).toBe(1);

    client.emit('appLog', { name: 'api', lines: fakeLines(['three'], { from: 3 }) });
    client.emit('appLog', { name: 'shop', lines: fakeLines(['not mine'], { from: 1 }) });
    client.emit('appLog', { name: 'api', lines: fakeLines(['four'], { from: 4 }) });
    expect(store.logLines).toHaveLength(2); // applied on the next frame
    expect(frames.frame()).toBe(1);
    expect(store.logLines.map((l) => l.text)).toEqual(['one', 'two', 'three', 'four']);

    store.closeLog();
    expect(client.listenerCount('appLog')).toBe(0);
    expect(store.logName).toBeNull();
    expect(store.logLines).toEqual([]);
  });

  it('does not show twice a line that arrived while the snapshot loaded', async () => {
    const early = fakeLines(['a', 'b', 'c']);
    client.data.appLogs.set('api', early);
    let answer: () => void = () => undefined;
    client.respond('getAppLog', () => new Promise((resolve) => (answer = () => resolve(early))));
    const store = useAppsStore();
    const opening = store.openLog('api');
    // b and c were sent live and are also in the snapshot; d is newer than it.
    client.emit('appLog', { name: 'api', lines: [early[1]!, early[2]!] });
    client.emit('appLog', { name: 'api', lines: fakeLines(['d'], { from: 4 }) });
    answer();
    await opening;
    frames.frame();
    expect(store.logLines.map((l) => l.text)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('keeps at most logLimit lines, dropping the oldest', async () => {
    const store = useAppsStore();
    store.logLimit = 3;
    await store.openLog('api');
    client.emit('appLog', { name: 'api', lines: fakeLines(['1', '2'], { from: 1 }) });
    frames.frame();
    client.emit('appLog', { name: 'api', lines: fakeLines(['3', '4', '5'], { from: 3 }) });
    frames.frame();
    expect(store.logLines.map((l) => l.text)).toEqual(['3', '4', '5']);
    // Frames that do not run (a hidden window) cannot make the queue grow past it either.
    for (let i = 6; i < 100; i++) {
      client.emit('appLog', { name: 'api', lines: fakeLines([String(i)], { from: i }) });
    }
    frames.frame();
    expect(store.logLines.map((l) => l.text)).toEqual(['97', '98', '99']);
  });

  it('ignores a late answer for a log that is no longer open', async () => {
    client.data.appLogs.set('api', fakeLines(['api line']));
    client.data.appLogs.set('shop', fakeLines(['shop line']));
    let answerApi: () => void = () => undefined;
    client.respond('getAppLog', (name) =>
      name === 'api'
        ? new Promise((resolve) => (answerApi = () => resolve(client.data.appLogs.get('api')!)))
        : client.data.appLogs.get(name)!,
    );
    const store = useAppsStore();
    const first = store.openLog('api');
    await store.openLog('shop');
    answerApi();
    await first;
    expect(store.logName).toBe('shop');
    expect(store.logLines.map((l) => l.text)).toEqual(['shop line']);
    expect(store.lastLogName).toBe('shop');
    expect(client.listenerCount('appLog')).toBe(1);
  });

  it('still shows live lines when the snapshot fails, and says why', async () => {
    client.respond('getAppLog', () => Promise.reject(new Error('no such app')));
    const store = useAppsStore();
    await store.openLog('api');
    expect(store.logError).toBe('Could not read the output of api: no such app');
    client.emit('appLog', { name: 'api', lines: fakeLines(['live'], { from: 7 }) });
    frames.frame();
    expect(store.logLines.map((l) => l.text)).toEqual(['live']);
  });

  it('clears the view only: later lines still come', async () => {
    client.data.appLogs.set('api', fakeLines(['old']));
    const store = useAppsStore();
    await store.openLog('api');
    store.clearLog();
    expect(store.logLines).toEqual([]);
    client.emit('appLog', { name: 'api', lines: fakeLines(['new'], { from: 2 }) });
    frames.frame();
    expect(store.logLines.map((l) => l.text)).toEqual(['new']);
  });
});
