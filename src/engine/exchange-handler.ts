/**
 * One exchange, from the client's request to the backend's answer: act on the decision
 * (decision.ts: refused, answered locally, or a route to proxy), pick the backend (the
 * route's URL, or a balancer member — again after a failure when that is safe), build the
 * upstream request
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
import type { Balancer, Member } from './balancing/balancer.js';
import { BodyReplay } from './body-replay.js';
import type { ExchangeStart, Recorder, Recording } from './capture/recorder.js';
import {
  RESEND_HEADER,
  ResendTickets,
  withoutResendHeader,
  type ResendTicket,
} from './capture/resend-tickets.js';
import { FrameParser } from './capture/ws-frames.js';
import { forcedPick, pickBackend } from './member-pick.js';
import { watchRequestBody, type ClientTimeouts } from './client-timeouts.js';
import {
  decide,
  type Accepted,
  type Identity,
  type ListenerSlot,
  type Runtime,
} from './decision.js';
import { sendError, sendErrorOnSocket, type ProxyError } from './error-page.js';
import type {
  ForwardFailure,
  Forwarder,
  UpstreamHead,
  UpstreamRequest,
  WebHandle,
} from './forwarder/forwarder.js';
import { grpcStatusFields, isGrpc } from './grpc-errors.js';
import { applyHeaderOps, endToEndHeaders, upstreamHeaders } from './headers.js';
import { sendLocal, sendLocalOnSocket } from './local-answers.js';
import { mapToBackend } from './paths.js';
import { IDEMPOTENT_METHODS, hasBody, requestHasBody } from './request-semantics.js';
import { reverseHeaders } from './reverse.js';
import type { UrlTarget } from './router.js';
import { failureToError } from './upstream-errors.js';
import { formatDuration } from '../shared/duration.js';

export type { Identity, ListenerSlot, Runtime } from './decision.js';

/**
 * Connections on which a request was refused as malformed or ambiguous. Requests pipelined
 * after it on the same connection are not trusted (their framing is exactly what was in
 * doubt), so they are dropped rather than forwarded while the 400 closes the connection.
 */
const refusedConnections = new WeakSet<Socket>();

function startOf(
  listener: ListenerSlot,
  req: IncomingMessage,
  websocket: boolean,
  resent = false,
): ExchangeStart {
  return {
    listener: listener.name,
    client: req.socket.remoteAddress ?? '',
    method: req.method ?? '',
    url: req.url ?? '',
    host: req.headers.host ?? '',
    secure: listener.secure,
    httpVersion: req.httpVersion,
    rawHeaders: resent ? withoutResendHeader(req.rawHeaders) : req.rawHeaders,
    websocket,
    contentType: req.headers['content-type'],
  };
}

/** Switchyard's own answer (refusal, 404, 502…), recorded with what it said. */
function answer(
  res: ServerResponse,
  headers: IncomingHttpHeaders,
  error: ProxyError,
  rec?: Recording,
): void {
  sendError(res, headers, error);
  if (!rec) return;
  rec.fail(`${error.title}: ${error.detail}`);
  if (res.headersSent) rec.response(res.statusCode, res.getHeaders());
  if (isGrpc(headers)) rec.trailers(grpcStatusFields(error));
}

/** Count and sample the frames crossing an open tunnel, in both directions. */
function watchFrames(rec: Recording, client: Socket, upstream: Socket, previewBytes: number): void {
  rec.tunnelOpen();
  const up = new FrameParser('up', (f) => rec.frame('up', f.opcode, f.size, f.preview), {
    previewBytes,
  });
  const down = new FrameParser('down', (f) => rec.frame('down', f.opcode, f.size, f.preview), {
    previewBytes,
  });
  client.on('data', (chunk: Buffer) => up.push(chunk));
  upstream.on('data', (chunk: Buffer) => down.push(chunk));
}

/** Append a Set-Cookie to the client's headers, after any the backend set (Header add). */
function addSetCookie(headers: OutgoingHttpHeaders, cookie: string): void {
  const prior = headers['set-cookie'];
  headers['set-cookie'] = prior === undefined ? [cookie] : [...[prior].flat().map(String), cookie];
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
  readonly #recorder: Recorder;
  readonly #tickets: ResendTickets;

  constructor(
    forwarder: Forwarder,
    identity: Identity,
    recorder: Recorder,
    tickets: ResendTickets = new ResendTickets(),
  ) {
    this.#forwarder = forwarder;
    this.#identity = identity;
    this.#recorder = recorder;
    this.#tickets = tickets;
  }

  #upstream(a: Accepted, backend: UrlTarget, upgrade: boolean, sendTimeoutMs = 0): UpstreamRequest {
    return {
      target: backend,
      // A pattern route's target is written in full; a prefix route maps the rest of the path.
      path:
        (a.route.pattern ? backend.path : mapToBackend(a.path, a.route.prefix, backend.path)) +
        a.query,
      headers: upstreamHeaders(a.incoming, a.httpVersion, a.route, a.facts, backend.host, upgrade),
      timeoutMs: a.route.timeoutMs,
      sendTimeoutMs,
      verifyTls: a.route.tlsVerify,
    };
  }

  /** What the client receives of a backend's response headers (plain or handshake answer). */
  #responseHeaders(a: Accepted, backend: UrlTarget): (head: UpstreamHead) => OutgoingHttpHeaders {
    const { route, facts, host } = a;
    const mount = a.route.pattern
      ? { prefix: '/', backend: { ...backend, path: '/' } }
      : { prefix: route.prefix, backend };
    const publicOrigin = {
      origin: `${facts.secure ? 'https' : 'http'}://${facts.publicHost}`,
      hostname: host,
    };
    return (head) => {
      const headers = endToEndHeaders(head.headers);
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
    const withBody = requestHasBody(req);
    const resend = req.headers[RESEND_HEADER];
    let ticket: ResendTicket | undefined;
    if (resend !== undefined) {
      // Never forwarded, never recorded; worth something only with a ticket the engine issued.
      delete req.headers[RESEND_HEADER];
      ticket = this.#tickets.take(String(resend));
    }
    // No start record to build while capture is paused.
    const rec = this.#recorder.paused
      ? undefined
      : this.#recorder.begin(startOf(listener, req, false, resend !== undefined));
    if (ticket) {
      rec?.resentFrom(ticket.from);
      ticket.recorded(rec?.id ?? 0);
    }
    if (rec) {
      res.once('close', () =>
        rec.end(
          res.writableFinished ? 'completed' : 'aborted',
          res.headersSent ? res.statusCode : 0,
        ),
      );
      if (withBody) req.on('data', (chunk: Buffer) => rec.requestData(chunk));
    }
    const decision = decide(runtime, listener, req, false, this.#identity);
    if ('error' in decision) {
      if (decision.close) {
        res.shouldKeepAlive = false;
        refusedConnections.add(req.socket);
      }
      answer(res, clientHeaders, decision.error, rec);
      return;
    }
    rec?.route(decision.route.name);
    if ('local' in decision) {
      sendLocal(res, decision.local);
      rec?.response(decision.local.status, decision.local.headers);
      return;
    }
    const { target } = decision;
    const balancer = target.kind === 'balancer' ? runtime.balancers.get(target.name) : undefined;
    this.#attempts(
      decision,
      balancer,
      withBody,
      runtime.clientTimeouts,
      req,
      res,
      rec,
      ticket?.member,
    );
  }

  /** The client broke a body limit: cancel the upstream request and say so with 408. */
  #clientTooSlow(
    a: Accepted,
    req: IncomingMessage,
    res: ServerResponse,
    why: string,
    inFlight: WebHandle | undefined,
    rec?: Recording,
  ): void {
    inFlight?.abort();
    if (res.headersSent) {
      // The backend answered before the body ended; the answer cannot change now.
      rec?.fail(why);
      req.socket.destroy();
      return;
    }
    this.#closeAfter(req, res);
    answer(
      res,
      a.incoming,
      {
        status: 408,
        title: 'Request Timeout',
        route: a.route.name,
        detail: `${why} The request was cancelled before the backend answered; the backend was not at fault.`,
      },
      rec,
    );
  }

  /**
   * The answer being sent ends this connection: what follows on it (the rest of a body, a
   * pipelined request) is not trusted as a request of its own.
   */
  #closeAfter(req: IncomingMessage, res: ServerResponse): void {
    res.shouldKeepAlive = false;
    refusedConnections.add(req.socket);
  }

  /**
   * Send the request to the route's backend — for a balancer, to the member it picks, and
   * to another after a failure when no bytes reached the first or the method is idempotent.
   */
  #attempts(
    a: Accepted,
    balancer: Balancer | undefined,
    withBody: boolean,
    timeouts: ClientTimeouts,
    req: IncomingMessage,
    res: ServerResponse,
    rec?: Recording,
    forcedMember?: string,
  ): void {
    const { route } = a;
    let inFlight: WebHandle | undefined;
    const tried = new Set<Member>();
    // Sent to one member on purpose (fan-out): that member's answer, whatever it is.
    const maxAttempts = forcedMember === undefined ? (balancer?.maxAttempts ?? 1) : 1;
    const body = maxAttempts > 1 && withBody ? new BodyReplay(req) : undefined;
    let current: Member | undefined;
    if (balancer && withBody)
      req.on('data', (chunk: Buffer) => current && (current.stats.bytesOut += chunk.length));
    const sticky = { path: a.path, query: a.query, cookie: a.incoming.cookie };

    const attempt = (): void => {
      const pick =
        forcedMember === undefined
          ? pickBackend(a, balancer, sticky, tried)
          : forcedPick(a, balancer, forcedMember);
      if ('error' in pick) {
        answer(res, a.incoming, pick.error, rec);
        return;
      }
      const { backend, member, why, stickyCookie } = pick;
      current = member;
      rec?.attempt(member?.label ?? backend.origin, why);
      let release = (): void => {};
      if (member) {
        member.stats.elected++;
        member.stats.busy++;
        release = () => {
          member.stats.busy--;
          release = () => {};
        };
        res.once('close', () => release());
      }
      const upstream = this.#upstream(a, backend, false, timeouts.sendMs);
      if (body) upstream.body = body.stream();
      const headersFor = this.#responseHeaders(a, backend);
      inFlight = this.#forwarder.web(req, res, upstream, {
        onConnected: () => rec?.upstreamConnected(),
        responseHeaders: (head) => {
          const headers = headersFor(head);
          if (stickyCookie) addSetCookie(headers, stickyCookie);
          if (member) balancer?.markSuccess(member);
          rec?.response(head.status, headers);
          return headers;
        },
        ...(member || rec
          ? {
              onResponseData: (chunk: Buffer) => {
                if (member) member.stats.bytesIn += chunk.length;
                rec?.responseData(chunk);
              },
            }
          : {}),
        ...(rec ? { onTrailers: (trailers: OutgoingHttpHeaders) => rec.trailers(trailers) } : {}),
        onSendTimeout: () =>
          rec?.fail(
            `The client took none of the response for ${formatDuration(timeouts.sendMs)} (clientTimeouts.send); disconnected.`,
          ),
        onFailure: (failure) => {
          release();
          // The client's fault: no member is blamed and none is tried next.
          if (failure.kind === 'client-timeout') this.#closeAfter(req, res);
          else if (member && balancer) {
            if (failure.connected) member.stats.errors++;
            else balancer.markError(member, shortReason(failure));
            const safe = !failure.connected || IDEMPOTENT_METHODS.has(req.method ?? '');
            if (tried.size + 1 < maxAttempts && safe && (body?.replayable ?? true)) {
              tried.add(member);
              attempt();
              return;
            }
          }
          const at = {
            route: route.name,
            backend,
            timeoutMs: route.timeoutMs,
            ...(why === undefined ? {} : { why }),
          };
          answer(res, a.incoming, failureToError(failure, at), rec);
        },
      });
    };
    attempt();
    // Watched once the first attempt is reading the body: a 'data' listener added earlier
    // would start the body flowing before anything consumes it.
    if (withBody) {
      watchRequestBody(req, timeouts, (why) =>
        this.#clientTooSlow(a, req, res, why, inFlight, rec),
      );
    }
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
    const rec = this.#recorder.begin(startOf(listener, req, true));
    if (rec) socket.once('close', () => rec.end(rec.status === 101 ? 'completed' : 'aborted'));
    const refuse = (error: ProxyError): void => {
      rec?.fail(`${error.title}: ${error.detail}`);
      rec?.response(error.status, {});
      sendErrorOnSocket(socket, clientHeaders, error);
    };
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket' || req.method !== 'GET') {
      refuse({
        status: 501,
        title: 'Not Implemented',
        detail: `Only WebSocket upgrades are tunnelled, not '${req.headers.upgrade ?? ''}'.`,
      });
      return;
    }
    if (hasBody(req.headers)) {
      // The bytes after a handshake are the tunnel's; a body here would reach the backend
      // as whatever the client wants it to be once the backend answers 101 — or as a second
      // request when it does not.
      refuse({
        status: 400,
        title: 'Bad Request',
        detail: 'A WebSocket handshake cannot carry a body (Content-Length or Transfer-Encoding).',
      });
      return;
    }
    const decision = decide(runtime, listener, req, true, this.#identity);
    if ('error' in decision) {
      refuse(decision.error);
      return;
    }
    const { route } = decision;
    rec?.route(route.name);
    if ('local' in decision) {
      rec?.response(decision.local.status, decision.local.headers);
      sendLocalOnSocket(socket, decision.local);
      return;
    }
    const { target } = decision;
    const balancer = target.kind === 'balancer' ? runtime.balancers.get(target.name) : undefined;
    const sticky = { path: decision.path, query: decision.query, cookie: decision.incoming.cookie };
    const pick = pickBackend(decision, balancer, sticky, new Set());
    if ('error' in pick) {
      refuse(pick.error);
      return;
    }
    const { backend, member, why, stickyCookie } = pick;
    if (backend.http2) {
      refuse({
        status: 501,
        title: 'WebSocket not supported to HTTP/2 backends',
        route: route.name,
        backend: backend.origin + backend.path,
        detail: `Route '${route.name}' sends to ${backend.origin} over HTTP/2, which has no Upgrade. Point WebSocket paths at the backend's http:// URL in a route of their own.`,
      });
      return;
    }
    if (member) member.stats.elected++;
    rec?.attempt(member?.label ?? backend.origin, why);
    const headersFor = this.#responseHeaders(decision, backend);
    // No failover for handshakes: the library ends the client socket when an attempt fails.
    this.#forwarder.tunnel(req, socket, head, this.#upstream(decision, backend, true), {
      responseHeaders: (head) => {
        const headers = headersFor(head);
        if (stickyCookie) addSetCookie(headers, stickyCookie);
        rec?.response(head.status, headers);
        return headers;
      },
      onOpen: (upstream) => {
        if (member) balancer?.markSuccess(member);
        if (rec) watchFrames(rec, socket, upstream, this.#recorder.limits.framePreviewBytes);
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
        refuse(failureToError(failure, at));
      },
    });
  }
}
