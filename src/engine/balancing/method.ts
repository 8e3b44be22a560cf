/**
 * The interface every balancing method implements: given the members that may take this
 * request (already filtered by state and health), pick one. Methods read and update only
 * MemberStats, so their running state survives reloads.
 */
import type { MemberConfig } from '../../shared/config.js';
import type { MemberStats } from './member-stats.js';

export interface Candidate {
  readonly config: MemberConfig;
  readonly stats: MemberStats;
}

export interface BalancingMethod {
  pick<C extends Candidate>(candidates: readonly C[]): C | undefined;
}

/**
 * Apache's weighted scheme (mod_lbmethod_byrequests), the same "smooth weighted round
 * robin" nginx uses: each candidate earns its loadFactor in credit, the richest wins and
 * pays the total back. Over any window, shares match loadFactors without bursts.
 */
export function smoothWeighted<C extends Candidate>(candidates: readonly C[]): C | undefined {
  let best: C | undefined;
  let total = 0;
  for (const c of candidates) {
    c.stats.lbStatus += c.config.loadFactor;
    total += c.config.loadFactor;
    if (!best || c.stats.lbStatus > best.stats.lbStatus) best = c;
  }
  if (best) best.stats.lbStatus -= total;
  return best;
}
