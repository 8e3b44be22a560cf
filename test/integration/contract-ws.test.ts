import { proxyApiContract } from '../contract/proxy-api.contract.js';
import { startBridgedClient } from '../support/ws-api.js';

// The same contract through the headless UI server's WebSocket bridge, with the token.
proxyApiContract('WebSocket bridge', async (api) => {
  const bridged = await startBridgedClient(api);
  return { client: bridged.client, close: () => bridged.close() };
});
