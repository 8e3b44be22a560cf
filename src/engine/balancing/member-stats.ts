/**
 * MemberStats: the live side of a member — counters, health and the balancing method's
 * running state — kept apart from its configured identity (MemberConfig) and keyed by
 * member URL, so they survive reloads of the routing file.
 */

export type Health = 'unknown' | 'healthy' | 'unhealthy';

export interface MemberStats {
  readonly url: string;
  /** Times picked to serve a request (Apache "Elected"). */
  elected: number;
  /** Requests in flight right now (Apache "Busy"). */
  busy: number;
  /** Bytes received from clients and sent upstream. */
  bytesOut: number;
  /** Bytes received from the member. */
  bytesIn: number;
  /** Failed attempts: connection errors, resets, timeouts. */
  errors: number;
  health: Health;
  /** Epoch ms until which the member is in error and skipped; 0 when not in error. */
  errorUntil: number;
  /** Why the member is in error, for the UI. */
  errorReason?: string;
  lastCheck?: { at: number; ok: boolean; detail: string };
  /** Consecutive health-check results, for passes/fails thresholds. */
  consecutivePasses: number;
  consecutiveFails: number;
  /** Smooth weighted round-robin credit (Apache lbstatus), used by byrequests/bybusyness. */
  lbStatus: number;
}

export function newMemberStats(url: string): MemberStats {
  return {
    url,
    elected: 0,
    busy: 0,
    bytesOut: 0,
    bytesIn: 0,
    errors: 0,
    health: 'unknown',
    errorUntil: 0,
    consecutivePasses: 0,
    consecutiveFails: 0,
    lbStatus: 0,
  };
}

/** All members' stats by URL; the engine keeps one for its whole life. */
export class MemberStatsStore {
  readonly #byUrl = new Map<string, MemberStats>();

  get(url: string): MemberStats {
    let stats = this.#byUrl.get(url);
    if (!stats) {
      stats = newMemberStats(url);
      this.#byUrl.set(url, stats);
    }
    return stats;
  }

  /** Forget members no configuration mentions any more. */
  retain(urls: ReadonlySet<string>): void {
    for (const url of this.#byUrl.keys()) if (!urls.has(url)) this.#byUrl.delete(url);
  }

  all(): MemberStats[] {
    return [...this.#byUrl.values()];
  }
}
