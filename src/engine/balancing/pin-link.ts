/**
 * "Pin me to member X": a link on the proxy itself, under a route to a sticky
 * balancer — `/shop/__switchyard/pin?route=2&back=/shop` — that sets the balancer's session
 * cookie to a session naming member route 2 and sends the browser back. The cookie lands
 * on the very host the developer tests, so their own browser then reaches that member
 * until the cookie is cleared. It sets nothing a client could not set itself, and `back`
 * must be a path on the same host (no open redirect).
 */
import type { LocalAnswer } from '../local-answers.js';
import type { Balancer } from './balancer.js';

export const PIN_PATH = '/__switchyard/pin';

function refuse(message: string): LocalAnswer {
  return {
    status: 400,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
    body: `${message}\n`,
  };
}

/** A same-host path to go back to; anything else goes back to /. */
function backPath(back: string | null): string {
  if (back === null || !back.startsWith('/') || back.startsWith('//') || back.startsWith('/\\'))
    return '/';
  return back;
}

/** The answer to a pin link on a route to `balancer`. */
export function pinAnswer(balancer: Balancer | undefined, query: string): LocalAnswer {
  if (!balancer) return refuse('This host does not send to a balancer: there is nothing to pin.');
  const { stickySession, stickyCookie } = balancer.config;
  if (stickySession === undefined)
    return refuse(
      `Balancer '${balancer.name}' has no stickySession, so a browser cannot be pinned to one member.`,
    );
  const params = new URLSearchParams(query.startsWith('?') ? query.slice(1) : query);
  const route = params.get('route');
  const member = balancer.members.find(
    (m) => m.config.route !== undefined && m.config.route === route,
  );
  if (!member)
    return refuse(
      `Balancer '${balancer.name}' has no member with route '${route ?? ''}'; its routes: ${balancer.members.map((m) => m.config.route).join(', ')}.`,
    );
  const path = stickyCookie?.path ?? '/';
  const back = backPath(params.get('back'));
  return {
    status: 302,
    headers: {
      location: back,
      'set-cookie': `${stickySession}=pinned.${member.config.route}; Path=${path}; SameSite=Lax`,
      'cache-control': 'no-store',
      'content-type': 'text/plain; charset=utf-8',
    },
    body: `Pinned to ${member.label} (route ${member.config.route}) of balancer ${balancer.name}; going back to ${back}.\n`,
  };
}
