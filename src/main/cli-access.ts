/**
 * The desktop app answers `switchyard run`, `alias` and `apps` as the headless command
 * does: the engine's API on a WebSocket on 127.0.0.1 (a free port, a fresh access token;
 * src/server/http.ts), announced in the data folder's instance.json, which only this user
 * can read. The same server also serves the UI to a browser that has the token.
 */
import { dirname } from 'node:path';
import type { EngineApi } from '../engine/engine-api.js';
import { startUiServer } from '../server/http.js';
import { announceInstance, removeInstance } from '../server/run/instance-file.js';

export interface CliAccessOptions {
  dataDir: string;
  version: string;
  configPath: string;
  /** The renderer's index.html. */
  rendererIndex: string;
}

/** Open the API for the CLI; returns what closes it again. */
export async function openCliAccess(
  api: EngineApi,
  options: CliAccessOptions,
): Promise<() => Promise<void>> {
  const server = await startUiServer({ api, root: dirname(options.rendererIndex), port: 0 });
  await announceInstance(options.dataDir, server, {
    version: options.version,
    configPath: options.configPath,
  });
  return async () => {
    await removeInstance(options.dataDir).catch(() => undefined);
    await server.close();
  };
}
