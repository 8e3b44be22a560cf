/**
 * `bybusyness`: the member with the fewest requests in flight (mod_lbmethod_bybusyness);
 * among equally busy members, the smooth weighted rotation by loadFactor decides.
 */
import { smoothWeighted, type BalancingMethod } from './method.js';

export const byBusyness: BalancingMethod = {
  pick(candidates) {
    let least = Infinity;
    for (const c of candidates) least = Math.min(least, c.stats.busy);
    return smoothWeighted(candidates.filter((c) => c.stats.busy === least));
  },
};
