/**
 * One exchange, from the client's request to the backend's answer: refuse what is
 * malformed or not allowed, find the route, build the upstream request (ProxyPass mapping
 * and header rules), hand it to the forwarder and turn failures into error pages that
 * name the route and the backend. The runtime (router, access list) is the one in force
 * when the request arrived, so a reload never changes an exchange halfway.
 */
import type {
  IncomingHttpHeaders,
  IncomingMessage,
  OutgoingHttpHeaders,
  ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import { formatDuration } from '../shared/duration.js';
import type { ProxyError } from './error-page.js';
import { sendError, sendErrorOnSocket } from './error-page.js';
import type { ForwardFailure, Forwarder, UpstreamRequest } from './forwarder.js';
import {
  applyHeaderOps,
  endToEndHeaders,
  isLoop,
  upstreamHeaders,
  type ForwardingFacts,
} from './headers.js';
import { mapToBackend, splitRequestTarget } from './paths.js';
import { checkRequest } from './request-checks.js';
import { reverseHeaders } from './reverse.js';
import type { AccessList } from './access.js';
import { hostnameOf, type CompiledRoute, type Router } from './router.js';

/** What the handler needs of a configuration; built once per apply. */
export interface Runtime {
  router: Router;
  access: AccessList;
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

type Decision =
  | { route: CompiledRoute; upstream: UpstreamRequest; host: string; publicHost: string }
  | { error: ProxyError; close?: boolean };

/**
 * Connections on which a request was refused as malformed or ambiguous. Requests pipelined
 * after it on the same connection are not trusted (their framing is exactly what was in
 * doubt), so they are dropped rather than forwarded while the 400 closes the connection.
 */
const refusedConnections = new WeakSet<Socket>();

/** `127.0.0.1:8080`: where a client reached us, for requests that name no Host. */
function localAuthority(socket: Socket): string {
  const address = socket.localAddress ?? '';
  return `${address.includes(':') ? `[${address}]` : address}:${socket.localPort ?? ''}`;
}

function backendLabel(route: CompiledRoute): string {
  return route.target.origin + route.target.path;
}

/** What the client receives of a backend's response headers (plain or handshake answer). */
function clientResponseHeaders(
  route: CompiledRoute,
  listener: ListenerSlot,
  publicHost: string,
  host: string,
): (proxyRes: IncomingMessage) => OutgoingHttpHeaders {
  const publicOrigin = {
    origin: `${listener.secure ? 'https' : 'http'}://${publicHost}`,
    hostname: host,
  };
  return (proxyRes) => {
    const headers = endToEndHeaders(proxyRes.headers);
    if (route.reverse) reverseHeaders(headers, route, publicOrigin);
    applyHeaderOps(headers, route.responseHeaders);
    return headers;
  };
}

function failureToError(failure: ForwardFailure, route: CompiledRoute): ProxyError {
  const backend = backendLabel(route);
  const base = { route: route.name, backend };
  switch (failure.kind) {
    case 'timeout':
      return {
        ...base,
        status: 504,
        title: 'Backend timed out',
        detail: `${route.target.origin} did not answer within ${formatDuration(route.timeoutMs)} (the route's timeout). Raise the timeout of route '${route.name}' if it needs longer.`,
      };
    case 'refused':
      return {
        ...base,
        status: 502,
        title: 'Backend refused the connection',
        detail: `Nothing accepted a connection on ${route.target.origin}. Start the backend, or point route '${route.name}' at the right port.`,
      };
    case 'reset':
      return {
        ...base,
        status: 502,
        title: 'Backend closed the connection',
        detail: `${route.target.origin} closed the connection before sending a complete response (${failure.error.message}).`,
      };
    case 'unresolved':
      return {
        ...base,
        status: 502,
        title: 'Backend host not found',
        detail: `The name ${route.target.hostname} could not be resolved.`,
      };
    case 'protocol':
      return {
        ...base,
        status: 502,
        title: 'Backend sent an invalid response',
        detail: `${route.target.origin} answered with something that is not valid HTTP (${failure.error.message}).`,
      };
    default:
      return { ...base, status: 502, title: 'Bad Gateway', detail: failure.error.message };
  }
}

export class ExchangeHandler {
  readonly #forwarder: Forwarder;
  readonly #identity: Identity;

  constructor(forwarder: Forwarder, identity: Identity) {
    this.#forwarder = forwarder;
    this.#identity = identity;
  }

  /** Everything both plain requests and WebSocket handshakes go through. */
  #decide(
    runtime: Runtime,
    listener: ListenerSlot,
    req: IncomingMessage,
    upgrade: boolean,
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
    if (!runtime.access.allows(req.socket.remoteAddress)) {
      return {
        error: {
          status: 403,
          title: 'Forbidden',
          detail: `Client ${req.socket.remoteAddress ?? 'unknown'} is not in the access list (access.allow).`,
        },
      };
    }
    if (isLoop(req.headers, this.#identity.via)) {
      return {
        error: {
          status: 508,
          title: 'Loop Detected',
          detail: `This request already passed through this Switchyard (Via: ${req.headers.via ?? ''}). A route points back at one of Switchyard's own listeners.`,
        },
      };
    }
    const host = hostnameOf(req.headers.host);
    const route = runtime.router.match(listener.name, host, target.path);
    if (!route) {
      return {
        error: {
          status: 404,
          title: 'No route',
          detail: `No route matches host '${host}' and path '${target.path}' on listener '${listener.name}'. Add a route for it to the routing file.`,
        },
      };
    }
    if (upgrade && !route.websocket) {
      return {
        error: {
          status: 501,
          title: 'WebSocket not enabled',
          route: route.name,
          backend: backendLabel(route),
          detail: `Route '${route.name}' has websocket: false, so upgrades are not tunnelled.`,
        },
      };
    }
    const facts: ForwardingFacts = {
      clientAddress: req.socket.remoteAddress ?? '',
      secure: listener.secure,
      via: this.#identity.via,
      serverName: this.#identity.serverName,
      publicHost: req.headers.host || localAuthority(req.socket),
    };
    return {
      route,
      host,
      publicHost: facts.publicHost,
      upstream: {
        target: route.target,
        path: mapToBackend(target.path, route.prefix, route.target.path) + target.query,
        headers: upstreamHeaders(req, route, facts, upgrade),
        timeoutMs: route.timeoutMs,
      },
    };
  }

  request(
    runtime: Runtime,
    listener: ListenerSlot,
    req: IncomingMessage,
    res: ServerResponse,
  ): void {
    const clientHeaders: IncomingHttpHeaders = req.headers;
    if (refusedConnections.has(req.socket)) {
      res.destroy();
      return;
    }
    if (listener.closing) res.shouldKeepAlive = false;
    const decision = this.#decide(runtime, listener, req, false);
    if ('error' in decision) {
      if (decision.close) {
        res.shouldKeepAlive = false;
        refusedConnections.add(req.socket);
      }
      sendError(res, clientHeaders, decision.error);
      return;
    }
    const { route, upstream, host, publicHost } = decision;
    this.#forwarder.web(req, res, upstream, {
      responseHeaders: clientResponseHeaders(route, listener, publicHost, host),
      onFailure: (failure) => {
        if (failure.kind === 'client') return;
        sendError(res, clientHeaders, failureToError(failure, route));
      },
    });
  }

  upgrade(
    runtime: Runtime,
    listener: ListenerSlot,
    req: IncomingMessage,
    socket: Socket,
    head: Buffer,
    onOpen: (client: Socket) => void,
  ): void {
    const clientHeaders: IncomingHttpHeaders = req.headers;
    if (refusedConnections.has(socket)) {
      // Let the refused request's 400 flush, then close.
      socket.destroySoon();
      return;
    }
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket' || req.method !== 'GET') {
      sendErrorOnSocket(socket, clientHeaders, {
        status: 501,
        title: 'Not Implemented',
        detail: `Only WebSocket upgrades are tunnelled, not '${req.headers.upgrade ?? ''}'.`,
      });
      return;
    }
    const decision = this.#decide(runtime, listener, req, true);
    if ('error' in decision) {
      sendErrorOnSocket(socket, clientHeaders, decision.error);
      return;
    }
    const { route, upstream, host, publicHost } = decision;
    this.#forwarder.tunnel(req, socket, head, upstream, {
      responseHeaders: clientResponseHeaders(route, listener, publicHost, host),
      onOpen: () => onOpen(socket),
      onFailure: (failure) =>
        sendErrorOnSocket(socket, clientHeaders, failureToError(failure, route)),
    });
  }
}
