/**
 * An EngineApi reached the way the browser reaches it in headless mode: through the UI
 * server on 127.0.0.1 (a free port, a fresh token), the WebSocket bridge, and the
 * renderer's WebSocket client, with the `ws` package standing in for the browser's
 * WebSocket. The contract suite runs the same tests through this and directly.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { EngineApi } from '../../src/engine/engine-api.js';
import { startUiServer, type UiServer } from '../../src/server/http.js';
import type { WsBridgeOptions } from '../../src/server/ws-bridge.js';
import { createWsClient, type WsClient } from '../../src/renderer/src/api/ws-client.js';

export interface BridgedClient {
  client: WsClient;
  server: UiServer;
  close(): Promise<void>;
}

export async function startBridgedClient(
  api: EngineApi,
  bridge: WsBridgeOptions = {},
): Promise<BridgedClient> {
  // No renderer build is needed for the API; an empty folder keeps tests independent of it.
  const root = await mkdtemp(join(tmpdir(), 'switchyard-ui-'));
  const server = await startUiServer({ api, root, port: 0, bridge });
  const client = createWsClient(server.apiUrl, server.token, {
    WebSocket,
    minRetryMs: 20,
    maxRetryMs: 200,
  });
  try {
    await client.opened();
  } catch (error) {
    await server.close();
    throw error;
  }
  return {
    client,
    server,
    async close() {
      client.close();
      await server.close();
    },
  };
}
