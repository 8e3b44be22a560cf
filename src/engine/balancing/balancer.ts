/**
 * A balancer at run time: its members (configured identity + live MemberStats), its
 * method, sticky session and failover rules, and the one decision it makes — which member
 * takes this attempt, and why, in a sentence the UI can show.
 *
 * States follow balancer-manager: `enabled` members share the traffic; `standby` members
 * take it only when no enabled member is usable; `draining` members keep only sessions
 * already stuck to them; `disabled` members take nothing. A member in error (connection
 * failures, failed health checks) is skipped until its retry time, then tried again.
 */
import type { BalancerConfig, MemberConfig, MemberState } from '../../shared/config.js';
import { parseDuration } from '../../shared/duration.js';
import { compileUrlTarget, type UrlTarget } from '../router.js';
import type { MemberStats, MemberStatsStore } from './member-stats.js';
import type { BalancingMethod } from './method.js';
import { BALANCING_METHODS } from './registry.js';
import { StickySession } from './sticky.js';
import type { StickySessions } from './sticky-sessions.js';

export interface Member {
  readonly config: MemberConfig;
  readonly stats: MemberStats;
  readonly target: UrlTarget;
  readonly label: string;
}

export interface RequestFacts {
  path: string;
  query: string;
  cookie: string | string[] | undefined;
}

export type Choice =
  | {
      member: Member;
      why: string;
      /**
       * The member's route differs from the one the request's session named, or the
       * request named none (Apache's BALANCER_ROUTE_CHANGED): the session moves here.
       */
      routeChanged: boolean;
    }
  | { member?: undefined; why: string; retryAfterSeconds: number };

/** The member URL as written, without a trailing slash: `http://127.0.0.1:9001`. */
export function memberLabel(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}

function describeUnavailable(m: Member, now: number): string {
  if (m.config.state === 'disabled') return `${m.label} is disabled`;
  if (m.stats.errorUntil > now) {
    const reason = m.stats.errorReason ? ` (${m.stats.errorReason})` : '';
    return `${m.label} is in error${reason}`;
  }
  return `${m.label} is ${m.config.state}`;
}

export class Balancer {
  readonly name: string;
  readonly config: BalancerConfig;
  readonly members: readonly Member[];
  readonly maxAttempts: number;
  readonly retryMs: number;
  readonly #method: BalancingMethod;
  readonly #sticky: StickySession | undefined;
  readonly #sessions: StickySessions | undefined;

  /** `sessions`: where the sticky inspector learns which session went where. */
  constructor(config: BalancerConfig, stats: MemberStatsStore, sessions?: StickySessions) {
    this.#sessions = sessions;
    this.name = config.name;
    this.config = config;
    this.members = config.members.map((m) => ({
      config: m,
      stats: stats.get(memberLabel(m.url)),
      target: compileUrlTarget(m.url),
      label: memberLabel(m.url),
    }));
    this.maxAttempts = config.maxAttempts ?? this.members.length;
    this.retryMs = parseDuration(config.retry) ?? 60_000;
    this.#method = BALANCING_METHODS[config.method];
    this.#sticky =
      config.stickySession === undefined ? undefined : new StickySession(config.stickySession);
  }

  #usable(
    m: Member,
    states: readonly MemberState[],
    now: number,
    tried: ReadonlySet<Member>,
  ): boolean {
    return states.includes(m.config.state) && m.stats.errorUntil <= now && !tried.has(m);
  }

  /** Pick the member for the next attempt; `tried` holds members that already failed. */
  choose(request: RequestFacts, tried: ReadonlySet<Member>, now = Date.now()): Choice {
    const sticky = this.#sticky?.find(request.path, request.query, request.cookie);
    const choice = this.#choose(sticky, tried, now);
    if (sticky && choice.member)
      this.#sessions?.record(this.name, sticky, choice.member.label, now);
    return choice;
  }

  #choose(
    sticky: ReturnType<StickySession['find']>,
    tried: ReadonlySet<Member>,
    now: number,
  ): Choice {
    const notes: string[] = [];
    const changed = (m: Member): boolean =>
      this.#sticky !== undefined &&
      m.config.route !== undefined &&
      m.config.route !== sticky?.route;
    if (this.#sticky && sticky && tried.size === 0) {
      const stuck = this.members.find((m) => m.config.route === sticky.route);
      const from = `sticky route ${sticky.route} from ${sticky.source} ${this.#sticky.name}`;
      if (stuck && this.#usable(stuck, ['enabled', 'draining'], now, tried)) {
        return { member: stuck, why: `${from}`, routeChanged: false };
      }
      const problem = stuck
        ? describeUnavailable(stuck, now)
        : `no member has route ${sticky.route}`;
      if (stuck && !this.config.failover) {
        return {
          why: `${from}, but ${problem} and failover is off for balancer ${this.name}`,
          retryAfterSeconds: this.#retryAfter(now),
        };
      }
      notes.push(`${from}, but ${problem}`);
    }
    let candidates = this.members.filter((m) => this.#usable(m, ['enabled'], now, tried));
    let standby = false;
    if (candidates.length === 0) {
      candidates = this.members.filter((m) => this.#usable(m, ['standby'], now, tried));
      standby = candidates.length > 0;
    }
    const member = this.#method.pick(candidates);
    if (!member) {
      const states = this.members.map((m) =>
        tried.has(m) ? `${m.label} failed` : describeUnavailable(m, now),
      );
      return {
        why: `no usable member in balancer ${this.name}: ${states.join(', ')}`,
        retryAfterSeconds: this.#retryAfter(now),
      };
    }
    let why = `picked by ${this.config.method}${standby ? ' from the standby members' : ''}`;
    if (tried.size > 0)
      why = `failover attempt ${tried.size + 1} after ${[...tried].map((m) => m.label).join(', ')} failed; ${why}`;
    if (notes.length > 0) why = `${notes.join('; ')}; ${why}`;
    return { member, why, routeChanged: changed(member) };
  }

  /** Seconds until the first member in error may be tried again (at least 1). */
  #retryAfter(now: number): number {
    const waits = this.members
      .map((m) => m.stats.errorUntil - now)
      .filter((ms) => ms > 0 && Number.isFinite(ms));
    const ms = waits.length > 0 ? Math.min(...waits) : this.retryMs;
    return Math.max(1, Math.ceil(ms / 1000));
  }

  /** A successful exchange ends a passive error state early (a failed health check's stays). */
  markSuccess(member: Member): void {
    if (Number.isFinite(member.stats.errorUntil) && member.stats.errorUntil !== 0) {
      member.stats.errorUntil = 0;
      delete member.stats.errorReason;
    }
  }

  /** A connection-level failure: skip the member for the retry period. */
  markError(member: Member, reason: string, now = Date.now()): void {
    member.stats.errors++;
    if (Number.isFinite(member.stats.errorUntil)) member.stats.errorUntil = now + this.retryMs;
    member.stats.errorReason = reason;
  }
}
