/**
 * One exchange, from the client's request to the backend's answer: refuse what is
 * malformed or not allowed, find the route, pick the backend (the route's URL, or a
 * balancer member — again after a failure when that is safe), build the upstream request
 * (ProxyPass mapping and header rules), hand it to the forwarder and turn failures into
 * error pages that name the route and the backend. The runtime is the one in force when
 * the request arrived, so a reload never changes an exchange halfway.
 */
import type {
  IncomingHttpHeaders,
  IncomingMessage,
  OutgoingHttpHeaders,
  ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import type { AccessList } from './access.js';
import type { Balancer, Member } from './balancing/balancer.js';
import { BodyReplay } from './body-replay.js';
import { sendError, sendErrorOnSocket, type ProxyError } from './error-page.js';
import type { ForwardFailure, Forwarder, UpstreamRequest } from './forwarder.js';
import {
  applyHeaderOps,
  endToEndHeaders,
  isLoop,
  upstreamHeaders,
  type ForwardingFacts,
} from './headers.js';
import { joinPath, mapToBackend, prefixBase, splitRequestTarget } from './paths.js';
import { checkRequest } from './request-checks.js';
import { reverseHeaders } from './reverse.js';
import { hostnameOf, type CompiledRoute, type Router, type UrlTarget } from './router.js';
import { failureToError } from './upstream-errors.js';

/** What the handler needs of a configuration; built once per apply. */
export interface Runtime {
  router: Router;
  access: AccessList;
  balancers: ReadonlyMap<string, Balancer>;
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

/** How an exchange ended, for whoever observes the engine (the traffic log, tests). */
export interface ExchangeReport {
  listener: string;
  method: string;
  url: string;
  route?: string;
  /** The member or backend URL that served it. */
  backend?: string;
  /** Why that member: `sticky route 2 from cookie JSESSIONID`, `picked by byrequests`. */
  why?: string;
  /** 0 when the exchange ended before a response started. */
  status: number;
  attempts: number;
}

export interface ExchangeObserver {
  /** Only then is a report built: nothing is spent on observation nobody asked for. */
  active(): boolean;
  exchange(report: ExchangeReport): void;
}

/** A request that passed every check and matched a route. */
interface Accepted {
  route: CompiledRoute;
  path: string;
  query: string;
  incoming: IncomingHttpHeaders;
  httpVersion: string;
  facts: ForwardingFacts;
  /** Lowercased hostname the request was routed by. */
  host: string;
}

type Decision = Accepted | { error: ProxyError; close?: boolean };

/** Methods a failover may send again after request bytes reached a member. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

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

/** A member's URL with the balancer URL's path under it (`balancer://c/x` → member + /x). */
function memberBackend(member: Member, balancerPath: string): UrlTarget {
  return { ...member.target, path: joinPath(prefixBase(member.target.path), balancerPath) };
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function shortReason(failure: ForwardFailure): string {
  switch (failure.kind) {
    case 'refused':
      return 'connection refused';
    case 'unresolved':
      return 'host not found';
    case 'timeout':
      return 'no connection in time';
    default:
      return failure.error.message;
  }
}

export class ExchangeHandler {
  readonly #forwarder: Forwarder;
  readonly #identity: Identity;
  readonly #observer: ExchangeObserver | undefined;

  constructor(forwarder: Forwarder, identity: Identity, observer?: ExchangeObserver) {
    this.#forwarder = forwarder;
    this.#identity = identity;
    this.#observer = observer;
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
    if (!runtime.access.allowsSocket(req.socket)) {
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
          backend: route.target.origin + route.target.path,
          detail: `Route '${route.name}' has websocket: false, so upgrades are not tunnelled.`,
        },
      };
    }
    return {
      route,
      path: target.path,
      query: target.query,
      incoming: req.headers,
      httpVersion: req.httpVersion,
      host,
      facts: {
        clientAddress: req.socket.remoteAddress ?? '',
        secure: listener.secure,
        via: this.#identity.via,
        serverName: this.#identity.serverName,
        publicHost: req.headers.host || localAuthority(req.socket),
      },
    };
  }

  #upstream(a: Accepted, backend: UrlTarget, upgrade: boolean): UpstreamRequest {
    return {
      target: backend,
      path: mapToBackend(a.path, a.route.prefix, backend.path) + a.query,
      headers: upstreamHeaders(a.incoming, a.httpVersion, a.route, a.facts, backend.host, upgrade),
      timeoutMs: a.route.timeoutMs,
    };
  }

  /** What the client receives of a backend's response headers (plain or handshake answer). */
  #responseHeaders(
    a: Accepted,
    backend: UrlTarget,
  ): (proxyRes: IncomingMessage) => OutgoingHttpHeaders {
    const { route, facts, host } = a;
    const mount = { prefix: route.prefix, backend };
    const publicOrigin = {
      origin: `${facts.secure ? 'https' : 'http'}://${facts.publicHost}`,
      hostname: host,
    };
    return (proxyRes) => {
      const headers = endToEndHeaders(proxyRes.headers);
      if (route.reverse) reverseHeaders(headers, mount, publicOrigin);
      applyHeaderOps(headers, route.responseHeaders);
      return headers;
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
    const report = this.#observer?.active() ? this.#startReport(listener, req, res) : undefined;
    const decision = this.#decide(runtime, listener, req, false);
    if ('error' in decision) {
      if (decision.close) {
        res.shouldKeepAlive = false;
        refusedConnections.add(req.socket);
      }
      sendError(res, clientHeaders, decision.error);
      return;
    }
    if (report) report.route = decision.route.name;
    const { target } = decision.route;
    if (target.kind === 'url') {
      if (report) report.backend = target.origin;
      if (report) report.attempts = 1;
      this.#forwarder.web(req, res, this.#upstream(decision, target, false), {
        responseHeaders: this.#responseHeaders(decision, target),
        onFailure: (failure) => {
          if (failure.kind === 'client') return;
          const at = {
            route: decision.route.name,
            backend: target,
            timeoutMs: decision.route.timeoutMs,
          };
          sendError(res, clientHeaders, failureToError(failure, at));
        },
      });
      return;
    }
    const balancer = runtime.balancers.get(target.name);
    if (!balancer) throw new Error(`balancer ${target.name} missing from the runtime`);
    this.#balanced(decision, balancer, req, res, report);
  }

  /** Attempts over a balancer's members, failing over when no bytes reached one (or it is safe). */
  #balanced(
    a: Accepted,
    balancer: Balancer,
    req: IncomingMessage,
    res: ServerResponse,
    report?: ExchangeReport,
  ): void {
    const { route } = a;
    const tried = new Set<Member>();
    const body = hasBody(req) ? new BodyReplay(req) : undefined;
    let current: Member | undefined;
    if (body)
      req.on('data', (chunk: Buffer) => current && (current.stats.bytesOut += chunk.length));
    const sticky = { path: a.path, query: a.query, cookie: a.incoming.cookie };

    const attempt = (): void => {
      const choice = balancer.choose(sticky, tried);
      if (report) report.why = choice.why;
      if (!choice.member) {
        sendError(res, a.incoming, {
          status: 503,
          title: 'No usable member',
          detail: `${choice.why[0]?.toUpperCase()}${choice.why.slice(1)}.`,
          route: route.name,
          backend: `${route.target.origin}${route.target.path}`,
          retryAfter: choice.retryAfterSeconds,
        });
        return;
      }
      const member = choice.member;
      current = member;
      const backend = memberBackend(member, route.target.path);
      if (report) {
        report.backend = member.label;
        report.attempts++;
      }
      member.stats.elected++;
      member.stats.busy++;
      let busy = true;
      const release = (): void => {
        if (busy) member.stats.busy--;
        busy = false;
      };
      res.once('close', release);
      const upstream = this.#upstream(a, backend, false);
      if (body) upstream.body = body.stream();
      const headersFor = this.#responseHeaders(a, backend);
      this.#forwarder.web(req, res, upstream, {
        responseHeaders: (proxyRes) => {
          balancer.markSuccess(member);
          proxyRes.on('data', (chunk: Buffer) => (member.stats.bytesIn += chunk.length));
          return headersFor(proxyRes);
        },
        onFailure: (failure) => {
          release();
          if (failure.kind === 'client') return;
          if (failure.connected) member.stats.errors++;
          else balancer.markError(member, shortReason(failure));
          const safe = !failure.connected || IDEMPOTENT.has(req.method ?? '');
          if (tried.size + 1 < balancer.maxAttempts && safe && (body?.replayable ?? true)) {
            tried.add(member);
            attempt();
            return;
          }
          const at = { route: route.name, backend, timeoutMs: route.timeoutMs, why: choice.why };
          sendError(res, a.incoming, failureToError(failure, at));
        },
      });
    };
    attempt();
  }

  #startReport(listener: ListenerSlot, req: IncomingMessage, res: ServerResponse): ExchangeReport {
    const report: ExchangeReport = {
      listener: listener.name,
      method: req.method ?? '',
      url: req.url ?? '',
      status: 0,
      attempts: 0,
    };
    res.once('close', () => {
      report.status = res.headersSent ? res.statusCode : 0;
      this.#observer?.exchange(report);
    });
    return report;
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
    const { route } = decision;
    const target = route.target;
    const balancer = target.kind === 'balancer' ? runtime.balancers.get(target.name) : undefined;
    let pick: { backend: UrlTarget; member?: Member; why?: string } | undefined;
    if (target.kind === 'url') {
      pick = { backend: target };
    } else {
      const sticky = {
        path: decision.path,
        query: decision.query,
        cookie: decision.incoming.cookie,
      };
      const choice = balancer?.choose(sticky, new Set());
      if (!choice?.member) {
        sendErrorOnSocket(socket, clientHeaders, {
          status: 503,
          title: 'No usable member',
          detail: choice?.why ?? `balancer ${target.name} is missing`,
          route: route.name,
          retryAfter: choice?.retryAfterSeconds ?? 1,
        });
        return;
      }
      choice.member.stats.elected++;
      pick = {
        backend: memberBackend(choice.member, target.path),
        member: choice.member,
        why: choice.why,
      };
    }
    const { backend, member, why } = pick;
    // No failover for handshakes: the library ends the client socket when an attempt fails.
    this.#forwarder.tunnel(req, socket, head, this.#upstream(decision, backend, true), {
      responseHeaders: this.#responseHeaders(decision, backend),
      onOpen: () => {
        if (member) balancer?.markSuccess(member);
        onOpen(socket);
      },
      onFailure: (failure) => {
        if (member && !failure.connected) balancer?.markError(member, shortReason(failure));
        const at = {
          route: route.name,
          backend,
          timeoutMs: route.timeoutMs,
          ...(why ? { why } : {}),
        };
        sendErrorOnSocket(socket, clientHeaders, failureToError(failure, at));
      },
    });
  }
}
