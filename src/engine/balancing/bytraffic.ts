/**
 * `bytraffic`: bytes moved shared in proportion to loadFactor (mod_lbmethod_bytraffic).
 * The member with the least traffic per unit of loadFactor is picked; ties go to the
 * smooth weighted rotation so equal members still alternate.
 */
import { smoothWeighted, type BalancingMethod, type Candidate } from './method.js';

function trafficPerWeight(c: Candidate): number {
  return (c.stats.bytesIn + c.stats.bytesOut) / c.config.loadFactor;
}

export const byTraffic: BalancingMethod = {
  pick(candidates) {
    let least = Infinity;
    for (const c of candidates) least = Math.min(least, trafficPerWeight(c));
    return smoothWeighted(candidates.filter((c) => trafficPerWeight(c) === least));
  },
};
