/**
 * The transport layer: how one request reaches a backend and how its answer comes back,
 * whatever the protocol to the backend. The forwarder owns the client's side of every
 * exchange (its response, backpressure towards it, timeouts, retries and failures); a
 * transport owns the backend's side — connections, pooling, framing on the wire — and
 * reports what happened to a `ResponseSink`. HTTP/1.1 (http1.ts, undici) and HTTP/2
 * (http2.ts, node:http2) implement it.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { UrlTarget } from '../router.js';

export interface TransportRequest {
  target: UrlTarget;
  method: string;
  /** Path and query, as sent on the wire. */
  path: string;
  /**
   * End-to-end headers plus Host, ready to send. Framing headers say what the body is:
   * `content-length` for a body of known length, `transfer-encoding: chunked` otherwise;
   * the transport frames the body from them and never from anything else.
   */
  headers: OutgoingHttpHeaders;
  /** The request body, or null when there is none. */
  body: Readable | null;
  /** For TLS backends: verify the certificate (false accepts self-signed backends). */
  verifyTls: boolean;
  /** The client accepts trailers (`TE: trailers`); HTTP/2 passes that on, as gRPC needs. */
  trailers: boolean;
}

/** The backend's response head, as the transport parsed it. */
export interface UpstreamHead {
  status: number;
  statusText: string;
  /** Lowercased names; repeated fields as arrays. */
  headers: IncomingHttpHeaders;
}

/** What a transport knew about the connection when a request failed. */
export interface FailureFacts {
  /** A connection was established, so request bytes may have reached the backend. */
  connected: boolean;
  /** The request ran on a connection that had served earlier requests. */
  reused: boolean;
  /** The backend said it did not process the request (HTTP/2 REFUSED_STREAM, GOAWAY). */
  unprocessed?: boolean;
}

/** What the forwarder hears from a transport about one request, in this order. */
export interface ResponseSink {
  /** The request is on a connection (a new one, or one from the pool). */
  connected(): void;
  /** The response head arrived. */
  head(head: UpstreamHead): void;
  /** A body chunk. Returning false pauses the response until `resume()`. */
  data(chunk: Buffer): boolean;
  /** The response is complete; trailers when the backend sent any. */
  end(trailers: IncomingHttpHeaders | undefined): void;
  /** The request failed (before the head, or mid-body). Called at most once, and never after end. */
  error(error: NodeJS.ErrnoException, facts: FailureFacts): void;
}

/** A request in flight, as the forwarder controls it. */
export interface InFlight {
  /** Cancel it: the backend connection is closed, and the sink hears nothing more. */
  abort(): void;
  /** Resume a response paused by `ResponseSink.data` returning false. */
  resume(): void;
}

export interface Transport {
  send(request: TransportRequest, sink: ResponseSink): InFlight;
  /** Trust these CA certificates (system roots + the local CA) for TLS backends from now on. */
  trust(ca: string): void;
  /** Close every pooled connection. */
  close(): Promise<void>;
}
