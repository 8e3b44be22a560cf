/**
 * Which backend an attempt goes to: the route's URL, the member its balancer picks (with
 * the why-sentence and the sticky cookie to set), or — for a fan-out — the member named on
 * purpose, bypassing stickiness, member state and failover.
 */
import type { Accepted } from './decision.js';
import type { ProxyError } from './error-page.js';
import {
  memberLabel,
  type Balancer,
  type Member,
  type RequestFacts,
} from './balancing/balancer.js';
import { joinPath, prefixBase } from './paths.js';
import type { UrlTarget } from './router.js';

export type Pick =
  | { backend: UrlTarget; member?: Member; why?: string; stickyCookie?: string }
  | { error: ProxyError };

/** A member's URL with the balancer URL's path under it (`balancer://c/x` → member + /x). */
export function memberBackend(member: Member, balancerPath: string): UrlTarget {
  return { ...member.target, path: joinPath(prefixBase(member.target.path), balancerPath) };
}

/**
 * `ROUTEID=.2; path=/` for a balancer with stickyCookie whose request moved to a member —
 * undefined when the member has no route (the schema requires one with stickySession).
 */
function stickyCookieFor(balancer: Balancer, member: Member): string | undefined {
  const { stickySession, stickyCookie } = balancer.config;
  if (!stickyCookie || stickySession === undefined || member.config.route === undefined)
    return undefined;
  return `${stickySession}=.${member.config.route}; path=${stickyCookie.path}`;
}

/** The member a fan-out names, bypassing stickiness, state and failover. */
export function forcedPick(a: Accepted, balancer: Balancer | undefined, url: string): Pick {
  const label = memberLabel(url);
  const member = balancer?.members.find((m) => m.label === label);
  if (!balancer || !member || a.target.kind !== 'balancer') {
    return {
      error: {
        status: 502,
        title: 'Not a member here',
        detail: `Route '${a.route.name}' does not send to a balancer with member ${url}, so this request could not be sent to it.`,
        route: a.route.name,
      },
    };
  }
  return {
    backend: memberBackend(member, a.target.path),
    member,
    why: `sent to this member on purpose (fan-out), bypassing ${balancer.config.method}`,
  };
}

/** The backend for the next attempt: the route's URL, or the member its balancer picks. */
export function pickBackend(
  a: Accepted,
  balancer: Balancer | undefined,
  sticky: RequestFacts,
  tried: ReadonlySet<Member>,
): Pick {
  const { route, target } = a;
  if (target.kind === 'url') return { backend: target };
  if (!balancer) {
    // The schema checks that every balancer:// target names a balancer; say so anyway
    // rather than throw inside a request handler.
    return {
      error: {
        status: 500,
        title: 'Internal Server Error',
        detail: `Route '${route.name}' names balancer '${target.name}', which is not running.`,
        route: route.name,
      },
    };
  }
  const choice = balancer.choose(sticky, tried);
  if (!choice.member) {
    return {
      error: {
        status: 503,
        title: 'No usable member',
        detail: `${choice.why[0]?.toUpperCase()}${choice.why.slice(1)}.`,
        route: route.name,
        backend: `${target.origin}${target.path}`,
        retryAfter: choice.retryAfterSeconds,
      },
    };
  }
  return {
    backend: memberBackend(choice.member, target.path),
    member: choice.member,
    why: choice.why,
    ...(choice.routeChanged ? { stickyCookie: stickyCookieFor(balancer, choice.member) } : {}),
  };
}
