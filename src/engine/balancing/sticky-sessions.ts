/**
 * The sticky inspector's memory: per sticky balancer, the sessions seen (the cookie or URL
 * session id), the route the id names, the member that served the session last, when it
 * was first and last seen, and how many requests it made. Kept outside the runtime, like
 * MemberStats, so a reload keeps them; at most MAX_SESSIONS per balancer, the longest idle
 * forgotten first.
 */
import type { StickyRoute } from './sticky.js';

export const MAX_SESSIONS = 500;

export interface StickySessionRecord {
  session: string;
  route: string;
  source: StickyRoute['source'];
  /** The member that served its latest request. */
  member: string;
  firstSeen: number;
  lastSeen: number;
  requests: number;
}

export class StickySessions {
  readonly #byBalancer = new Map<string, Map<string, StickySessionRecord>>();

  record(balancer: string, sticky: StickyRoute, member: string, now = Date.now()): void {
    let sessions = this.#byBalancer.get(balancer);
    if (!sessions) {
      sessions = new Map();
      this.#byBalancer.set(balancer, sessions);
    }
    const known = sessions.get(sticky.session);
    // Re-inserted on every request: the Map's first entry is the longest idle.
    sessions.delete(sticky.session);
    sessions.set(sticky.session, {
      session: sticky.session,
      route: sticky.route,
      source: sticky.source,
      member,
      firstSeen: known?.firstSeen ?? now,
      lastSeen: now,
      requests: (known?.requests ?? 0) + 1,
    });
    if (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
  }

  /** The balancer's sessions, most recently seen first. */
  list(balancer: string): StickySessionRecord[] {
    return [...(this.#byBalancer.get(balancer)?.values() ?? [])].reverse().map((r) => ({ ...r }));
  }

  /** Forget balancers that no longer exist. */
  retain(names: ReadonlySet<string>): void {
    for (const name of this.#byBalancer.keys()) if (!names.has(name)) this.#byBalancer.delete(name);
  }
}
