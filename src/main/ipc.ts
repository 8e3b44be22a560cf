/**
 * The IPC bridge between the renderer and the engine (STYLE 7: one handler per API
 * method, a sender check and payload validation on every call). Each call:
 *   1. comes from our window's main frame showing our page, or is refused;
 *   2. has its arguments checked with the method's zod tuple (API[method].params);
 *   3. runs on the host API (the EngineApi, with elevated CA trust in the app);
 *   4. has its result checked with API[method].result, which also strips what the
 *      contract does not list, so only contract data is cloned to the renderer.
 * Failures answer `{ ok: false, error: message }`: the message a user can act on, never
 * a stack.
 *
 * Events go out through an EventForwarder per page, only those the page subscribed to.
 */
import { ipcMain, type IpcMainEvent, type IpcMainInvokeEvent, type WebContents } from 'electron';
import type { z } from 'zod';
import { API, API_METHODS, isApiEvent, type ApiMethod, type ProxyApi } from '../shared/api.js';
import {
  SUBSCRIBE_CHANNEL,
  UNSUBSCRIBE_CHANNEL,
  methodChannel,
  type IpcReply,
} from '../shared/ipc.js';
import { EventForwarder, type ApiEventEmitter } from './event-forwarder.js';

export interface IpcBridgeOptions {
  api: ProxyApi;
  events: ApiEventEmitter;
  /** Whether the message comes from our page (security.ts `senderCheck`). */
  isTrustedSender: (event: IpcMainEvent | IpcMainInvokeEvent) => boolean;
  /** Least time between two event flushes to a page, ms. */
  eventIntervalMs?: number;
  /** Where refused calls and internal errors are logged (main's console by default). */
  log?: (message: string, error?: unknown) => void;
}

export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const [index, ...rest] = issue.path;
      const where =
        typeof index === 'number'
          ? `argument ${index + 1}${rest.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`
          : 'arguments';
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Registers every handler; returns the function that removes them again. */
export function registerIpc(options: IpcBridgeOptions): () => void {
  const { api, events, isTrustedSender } = options;
  const log =
    options.log ?? ((message, error) => console.error(`switchyard: ${message}`, error ?? ''));
  const forwarders = new Map<WebContents, EventForwarder>();

  async function call(
    method: ApiMethod,
    event: IpcMainInvokeEvent,
    args: unknown[],
  ): Promise<IpcReply> {
    if (!isTrustedSender(event)) {
      log(`refused ${method} from ${event.senderFrame?.url ?? 'a frame that is gone'}`);
      return { ok: false, error: `${method}: refused: the caller is not the Switchyard window` };
    }
    const params = API[method].params.safeParse(args);
    if (!params.success) {
      return { ok: false, error: `${method}: ${describeIssues(params.error.issues)}` };
    }
    let value: unknown;
    try {
      value = await (api[method] as (...a: unknown[]) => Promise<unknown>)(...params.data);
    } catch (error) {
      return { ok: false, error: messageOf(error) };
    }
    const result = API[method].result.safeParse(value);
    if (!result.success) {
      log(
        `${method} returned data outside the API contract: ${describeIssues(result.error.issues)}`,
      );
      return {
        ok: false,
        error: `${method}: the engine answered with data the app does not expect`,
      };
    }
    return { ok: true, result: result.data };
  }

  for (const method of API_METHODS) {
    ipcMain.handle(methodChannel(method), (event, ...args: unknown[]) => call(method, event, args));
  }

  function forwarderFor(contents: WebContents): EventForwarder {
    const existing = forwarders.get(contents);
    if (existing) return existing;
    const created = new EventForwarder(events, contents, options.eventIntervalMs);
    forwarders.set(contents, created);
    // A new document starts with no subscriptions; its preload subscribes again.
    contents.on('did-navigate', () => created.reset());
    contents.once('destroyed', () => {
      created.close();
      forwarders.delete(contents);
    });
    return created;
  }

  const onSubscribe = (event: IpcMainEvent, name: unknown): void => {
    if (!isTrustedSender(event) || !isApiEvent(name)) {
      log(`refused a subscription to ${JSON.stringify(String(name))}`);
      return;
    }
    forwarderFor(event.sender).subscribe(name);
  };
  const onUnsubscribe = (event: IpcMainEvent, name: unknown): void => {
    if (!isTrustedSender(event) || !isApiEvent(name)) return;
    forwarders.get(event.sender)?.unsubscribe(name);
  };
  ipcMain.on(SUBSCRIBE_CHANNEL, onSubscribe);
  ipcMain.on(UNSUBSCRIBE_CHANNEL, onUnsubscribe);

  return () => {
    for (const method of API_METHODS) ipcMain.removeHandler(methodChannel(method));
    ipcMain.removeListener(SUBSCRIBE_CHANNEL, onSubscribe);
    ipcMain.removeListener(UNSUBSCRIBE_CHANNEL, onUnsubscribe);
    for (const forwarder of forwarders.values()) forwarder.close();
    forwarders.clear();
  };
}
