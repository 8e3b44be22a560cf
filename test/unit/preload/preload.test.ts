/**
 * The preload as Electron loads it (src/preload/index.ts with a fake `electron`): what it
 * exposes, and how its functions talk to main.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../../support/fake-electron.js'));

import { API_EVENTS, API_METHODS } from '../../../src/shared/api.js';
import { IPC_EVENTS, IPC_METHODS, type SwitchyardBridge } from '../../../src/shared/ipc.js';
import { contextBridge, ipcMain, preloadContents } from '../../support/fake-electron.js';

await import('../../../src/preload/index.js');
const bridge = contextBridge.exposed.get('switchyard') as SwitchyardBridge;

afterEach(() => {
  ipcMain.handlers.clear();
  ipcMain.removeAllListeners();
});

describe('what the preload exposes', () => {
  it('exposes one object, window.switchyard, and nothing else', () => {
    expect([...contextBridge.exposed.keys()]).toEqual(['switchyard']);
  });

  it('has exactly one function per API method, plus on', () => {
    expect(Object.keys(bridge).sort()).toEqual([...API_METHODS, 'on'].sort());
    for (const value of Object.values(bridge)) expect(typeof value).toBe('function');
    expect(bridge).not.toHaveProperty('invoke');
    expect(bridge).not.toHaveProperty('send');
    expect(bridge).not.toHaveProperty('ipcRenderer');
  });

  it('is frozen', () => {
    expect(Object.isFrozen(bridge)).toBe(true);
    expect(() => {
      (bridge as unknown as Record<string, unknown>)['invoke'] = () => {};
    }).toThrow();
  });

  it('knows the same method and event names as the contract, without loading its schemas', () => {
    expect([...IPC_METHODS].sort()).toEqual([...API_METHODS].sort());
    expect([...IPC_EVENTS].sort()).toEqual([...API_EVENTS].sort());
  });
});

describe('methods', () => {
  it('each calls its own channel with the arguments as given', async () => {
    const seen: [string, unknown[]][] = [];
    for (const method of API_METHODS) {
      ipcMain.handle(`switchyard:${method}`, (_event, ...args) => {
        seen.push([method, args]);
        return { ok: true, result: method };
      });
    }
    for (const method of API_METHODS) {
      const call = bridge[method] as (...args: unknown[]) => Promise<unknown>;
      expect(await call('a', 2)).toBe(method);
    }
    expect(seen).toEqual(API_METHODS.map((m) => [m, ['a', 2]]));
  });

  it('rejects with a plain { error } object: no Error, no stack', async () => {
    ipcMain.handle('switchyard:getStatus', () => ({ ok: false, error: 'engine says no' }));
    const reason = await bridge.getStatus().then(
      () => undefined,
      (r: unknown) => r,
    );
    expect(reason).toStrictEqual({ error: 'engine says no' });
    expect(reason).not.toBeInstanceOf(Error);
  });

  it('turns transport failures and malformed replies into the same shape', async () => {
    await expect(bridge.getStatus()).rejects.toStrictEqual({
      error: "getStatus: No handler registered for 'switchyard:getStatus'",
    });
    ipcMain.handle('switchyard:getStatus', () => 'not an envelope');
    await expect(bridge.getStatus()).rejects.toStrictEqual({
      error: 'getStatus: unexpected reply from the app',
    });
    ipcMain.handle('switchyard:getConfig', () => ({ ok: true, result: 1 }));
    await expect(
      (bridge.getConfig as (...a: unknown[]) => Promise<unknown>)(
        () => 'a function cannot be cloned',
      ),
    ).rejects.toMatchObject({ error: expect.stringMatching(/^getConfig: /) });
  });
});

describe('on', () => {
  function subscriptions(): string[] {
    const seen: string[] = [];
    ipcMain.on('switchyard:subscribe', (_e, name: string) => seen.push(`+${name}`));
    ipcMain.on('switchyard:unsubscribe', (_e, name: string) => seen.push(`-${name}`));
    return seen;
  }

  it.each(['bogus', '__proto__', 'constructor', 'toString', 'switchyard:event', '', 42, undefined])(
    'refuses the unknown event %j without telling main',
    (name) => {
      const seen = subscriptions();
      expect(() => bridge.on(name as never, () => {})).toThrow(TypeError);
      expect(seen).toEqual([]);
    },
  );

  it('refuses a listener that is not a function', () => {
    expect(() => bridge.on('exchanges', 'alert(1)' as never)).toThrow(TypeError);
  });

  it('subscribes once per event and unsubscribes after the last listener', () => {
    const seen = subscriptions();
    const offA = bridge.on('exchanges', () => {});
    const offB = bridge.on('exchanges', () => {});
    const offC = bridge.on('balancers', () => {});
    expect(seen).toEqual(['+exchanges', '+balancers']);
    offA();
    offA(); // idempotent
    expect(seen).toEqual(['+exchanges', '+balancers']);
    offB();
    offC();
    expect(seen).toEqual(['+exchanges', '+balancers', '-exchanges', '-balancers']);
  });

  it('hands listeners the payload only, never the IPC event', () => {
    subscriptions();
    const listener = vi.fn();
    const off = bridge.on('warning', listener);
    preloadContents.send('switchyard:event', { event: 'warning', payload: { message: 'hi' } });
    preloadContents.send('switchyard:event', { event: 'health', payload: { not: 'subscribed' } });
    expect(listener.mock.calls).toEqual([[{ message: 'hi' }]]);
    off();
    preloadContents.send('switchyard:event', { event: 'warning', payload: { message: 'late' } });
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('keeps delivering to other listeners when one throws', () => {
    subscriptions();
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const good = vi.fn();
    const offBad = bridge.on('config', () => {
      throw new Error('listener bug');
    });
    const offGood = bridge.on('config', good);
    preloadContents.send('switchyard:event', { event: 'config', payload: { reason: 'x' } });
    expect(good).toHaveBeenCalledOnce();
    expect(error).toHaveBeenCalledOnce();
    offBad();
    offGood();
    error.mockRestore();
  });
});
