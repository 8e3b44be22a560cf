/**
 * The decision for one request: refuse it, answer it locally, or proxy it — and to which
 * route and backend. Pure apart from reading the request; the exchange handler acts on it.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { AccessList } from './access.js';
import type { Balancer } from './balancing/balancer.js';
import type { ClientTimeouts } from './client-timeouts.js';
import type { ProxyError } from './error-page.js';
import { isLoop, type ForwardingFacts } from './headers.js';
import { PIN_PATH, pinAnswer } from './balancing/pin-link.js';
import { localAnswer, type LocalAnswer } from './local-answers.js';
import { decodeSlashes, hasEncodedSlash, splitRequestTarget } from './paths.js';
import { checkRequest } from './request-checks.js';
import { combineQuery, fillTemplate, type RouteRequest } from './route-forms.js';
import {
  hostnameOf,
  type BalancerTarget,
  type CompiledRoute,
  type Router,
  type UrlTarget,
} from './router.js';

/** What the handler needs of a configuration; built once per apply. */
export interface Runtime {
  router: Router;
  access: AccessList;
  balancers: ReadonlyMap<string, Balancer>;
  clientTimeouts: ClientTimeouts;
}

/** The listener a request arrived on; `closing` once a reload removed it. */
export interface ListenerSlot {
  name: string;
  secure: boolean;
  closing: boolean;
}

export interface Identity {
  /** Via pseudonym of this instance, such as `switchyard-3f9a1c`. */
  via: string;
  /** X-Forwarded-Server value. */
  serverName: string;
}

/** A request that passed every check and matched a proxy route. */
export interface Accepted {
  route: CompiledRoute;
  /** The backend, its path filled in for a pattern route. */
  target: UrlTarget | BalancerTarget;
  /** Public path (after dot-segment removal). */
  path: string;
  /** Query for the backend: the client's, the target's own, or both. */
  query: string;
  incoming: IncomingHttpHeaders;
  httpVersion: string;
  facts: ForwardingFacts;
  /** Lowercased hostname the request was routed by. */
  host: string;
}

export type Decision =
  Accepted | { error: ProxyError; close?: boolean } | { local: LocalAnswer; route: CompiledRoute };

/** `127.0.0.1:8080`: where a client reached us, for requests that name no Host. */
function localAuthority(socket: Socket): string {
  const address = socket.localAddress ?? '';
  return `${address.includes(':') ? `[${address}]` : address}:${socket.localPort ?? ''}`;
}

/**
 * Everything both plain requests and WebSocket handshakes go through, in order: refuse
 * what is malformed, find the route, check the client against the route's access list (or
 * the file's), then answer locally (redirect, respond) or fill in the backend to proxy to.
 */
export function decide(
  runtime: Runtime,
  listener: ListenerSlot,
  req: IncomingMessage,
  upgrade: boolean,
  identity: Identity,
): Decision {
  const refusal = checkRequest(req);
  if (refusal) return { error: refusal, close: true };
  const target = splitRequestTarget(req.url ?? '');
  if (!target) {
    return {
      close: true,
      error: {
        status: 400,
        title: 'Bad Request',
        detail: `'${(req.url ?? '').slice(0, 100)}' is not a path. Switchyard is a reverse proxy and does not forward requests for other sites.`,
      },
    };
  }
  const peer = req.socket;
  if (isLoop(req.headers, identity.via)) {
    return {
      error: {
        status: 508,
        title: 'Loop Detected',
        detail: `This request already passed through this Switchyard (Via: ${req.headers.via ?? ''}). A route points back at one of Switchyard's own listeners.`,
      },
    };
  }
  const host = hostnameOf(req.headers.host);
  const publicHost = req.headers.host || localAuthority(peer);
  const facts: RouteRequest = {
    listener: listener.name,
    hostname: host,
    authority: publicHost,
    path: target.path,
    query: target.query,
    secure: listener.secure,
    headers: req.headers,
  };
  let found = runtime.router.match(facts);
  if (hasEncodedSlash(target.path) && found?.route.encodedSlashes !== 'passthrough') {
    // The route decides, as AllowEncodedSlashes does per vhost: the one the raw path
    // matches, or — when none does, as for `/app%2Fx` — the one the decoded path matches.
    const decoded = decodeSlashes(target.path);
    const byDecoded = runtime.router.match({ ...facts, path: decoded });
    const deciding = (found ?? byDecoded)?.route;
    if (deciding?.encodedSlashes !== 'decode') {
      const name = deciding ? `route '${deciding.name}'` : 'no route';
      return {
        error: {
          status: 404,
          title: 'Encoded slash refused',
          ...(deciding ? { route: deciding.name } : {}),
          detail: `The path '${target.path.slice(0, 200)}' contains an encoded slash (%2F or %5C), which a backend may decode into a path outside its route; ${name} allows them. Set encodedSlashes: decode or passthrough on the route to allow them (Apache AllowEncodedSlashes On / NoDecode).`,
        },
      };
    }
    target.path = decoded;
    facts.path = decoded;
    found = byDecoded;
  }
  // The route's own list when it has one (Apache <Proxy URL-prefix>), else the file's:
  // judged once the route is known, and before a 404 says which paths have none.
  const access = found?.route.access ?? runtime.access;
  if (!access.allowsSocket(peer)) {
    const which = found?.route.access ? `route '${found.route.name}'` : 'the file';
    return {
      error: {
        status: 403,
        title: 'Forbidden',
        detail: `Client ${peer.remoteAddress ?? 'unknown'} is not in the access list of ${which} (access.allow).`,
        ...(found ? { route: found.route.name } : {}),
      },
    };
  }
  if (!found) {
    return {
      error: {
        status: 404,
        title: 'No route',
        detail: `No route matches host '${host}' and path '${target.path}' on listener '${listener.name}'. Add a route for it to the routing file.`,
      },
    };
  }
  const { route, captures } = found;
  const { action } = route;
  if (
    target.path.endsWith(PIN_PATH) &&
    action.kind === 'proxy' &&
    action.target.kind === 'balancer'
  )
    return { route, local: pinAnswer(runtime.balancers.get(action.target.name), target.query) };
  if (action.kind !== 'proxy')
    return { route, local: localAnswer(route, action, captures, facts, runtime.balancers) };
  let backend = action.target;
  let query = route.keepQuery ? target.query : '';
  if (action.template !== undefined) {
    const filled = combineQuery(
      fillTemplate(action.template, captures, facts),
      target.query,
      route.keepQuery,
    );
    const q = filled.indexOf('?');
    backend = { ...backend, path: q === -1 ? filled : filled.slice(0, q) };
    query = q === -1 ? '' : filled.slice(q);
  }
  if (upgrade && !route.websocket) {
    return {
      error: {
        status: 501,
        title: 'WebSocket not enabled',
        route: route.name,
        backend: backend.origin + backend.path,
        detail: `Route '${route.name}' has websocket: false, so upgrades are not tunnelled.`,
      },
    };
  }
  return {
    route,
    target: backend,
    path: target.path,
    query,
    incoming: req.headers,
    httpVersion: req.httpVersion,
    host,
    facts: {
      clientAddress: peer.remoteAddress ?? '',
      secure: listener.secure,
      via: identity.via,
      serverName: identity.serverName,
      publicHost,
    },
  };
}
