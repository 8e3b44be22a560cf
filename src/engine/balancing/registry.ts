/** Every method the routing file can name, typed so a missing one does not compile. */
import type { BalancerMethod } from '../../shared/config.js';
import { byBusyness } from './bybusyness.js';
import { byRequests } from './byrequests.js';
import { byTraffic } from './bytraffic.js';
import type { BalancingMethod } from './method.js';

export const BALANCING_METHODS = {
  byrequests: byRequests,
  bytraffic: byTraffic,
  bybusyness: byBusyness,
} as const satisfies Record<BalancerMethod, BalancingMethod>;
