import { proxyApiContract } from '../contract/proxy-api.contract.js';
import { localClient } from '../support/local-client.js';

proxyApiContract('engine in process', async (api) => ({
  client: localClient(api),
  close: async () => {},
}));
