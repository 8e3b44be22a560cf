/**
 * The UI of the headless command: the EngineApi over the engine the command runs, and
 * the UI server (http.ts) that serves the built renderer and bridges the API to it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EngineApi } from '../engine/engine-api.js';
import type { Engine } from '../engine/engine.js';
import { DEFAULT_UI_PORT, startUiServer, type UiServer } from './http.js';

export interface HeadlessUiOptions {
  /** undefined: DEFAULT_UI_PORT, or a free port when that one is busy; 0: a free port. */
  port?: number;
  version: string;
  /** The routing file the UI edits and saves (none when running from an Apache file). */
  configPath?: string;
  /** Where to report a contract violation of the API (a bug). */
  onInternalError: (message: string) => void;
}

export interface HeadlessUi {
  api: EngineApi;
  server: UiServer;
  /** Problems worth telling the user, the UI still running (the renderer not built). */
  warnings: string[];
  close(): Promise<void>;
}

export async function startHeadlessUi(
  engine: Engine,
  options: HeadlessUiOptions,
): Promise<HeadlessUi> {
  const api = new EngineApi(engine, {
    host: 'headless',
    version: options.version,
    ...(options.configPath === undefined ? {} : { configPath: options.configPath }),
  });
  let server: UiServer;
  try {
    server = await startUiServer({
      api,
      port: options.port ?? DEFAULT_UI_PORT,
      portFallback: options.port === undefined,
      bridge: { onContractError: options.onInternalError },
    });
  } catch (error) {
    api.close();
    throw error;
  }
  const warnings = existsSync(join(server.root, 'index.html'))
    ? []
    : [`the UI is not built (${server.root} is empty): run \`npm run build:app\``];
  return {
    api,
    server,
    warnings,
    async close() {
      await server.close();
      api.close();
    },
  };
}
