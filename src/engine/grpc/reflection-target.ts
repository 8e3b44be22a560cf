/**
 * Which backend the inspector may ask by server reflection about a recorded call: only the
 * one that served it, and only while the route still names it (its own `to`, or a member
 * of its balancer) with an HTTP/2 scheme. Whatever the log says, reflection never goes to
 * an address the routing file does not configure.
 */
import type { RoutingConfig } from '../../shared/config.js';
import type { ExchangeSummary } from '../../shared/exchange.js';
import { sampleOf } from '../../shared/route-forms.js';

const HTTP2_SCHEMES: Record<string, string> = { 'h2c:': 'http:', 'h2:': 'https:' };

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** `http://host:port` (h2c) or `https://host:port` (h2), or undefined. */
export function reflectionTarget(
  config: RoutingConfig | undefined,
  summary: Pick<ExchangeSummary, 'route' | 'member'>,
): string | undefined {
  if (!config || summary.route === undefined || summary.member === undefined) return undefined;
  const route = config.routes.find((r) => r.name === summary.route);
  const to = route?.to === undefined ? undefined : parse(sampleOf(route.to));
  if (!to) return undefined;
  const configured =
    to.protocol === 'balancer:'
      ? (config.balancers.find((b) => b.name === to.hostname)?.members ?? []).map((m) =>
          parse(m.url),
        )
      : [to];
  const served = parse(summary.member);
  for (const url of configured) {
    const scheme = url ? HTTP2_SCHEMES[url.protocol] : undefined;
    if (!url || !scheme || !served || served.host !== url.host) continue;
    return `${scheme}//${url.host}`;
  }
  return undefined;
}
