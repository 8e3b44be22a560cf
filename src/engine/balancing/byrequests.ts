/** `byrequests`: request counts shared in proportion to loadFactor (Apache's default). */
import { smoothWeighted, type BalancingMethod } from './method.js';

export const byRequests: BalancingMethod = {
  pick: (candidates) => smoothWeighted(candidates),
};
