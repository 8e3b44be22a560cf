/**
 * What the HTTP/2 transport can say about its session to one backend origin, for the
 * balancer view ("HTTP/2 · connected · 3 streams in flight (max 100)").
 *
 * Everything is read when someone asks (the UI polls once a second while it shows the
 * balancers): the state and the peer's SETTINGS come from the session object itself. The
 * only thing counted per request is the stream count — one increment when a stream opens
 * and one decrement in the `close` listener the transport has anyway — because
 * node:http2 does not expose its stream table. GOAWAYs are counted per origin, across
 * sessions, since a GOAWAY ends the session that received it and the next request opens
 * another.
 */
import type { ClientHttp2Session } from 'node:http2';

export type Http2SessionState = 'none' | 'connecting' | 'connected' | 'closed';

export interface Http2SessionStatus {
  /**
   * `none`: no session was opened yet; `connecting`: waiting for the backend's SETTINGS;
   * `connected`: takes new streams; `closed`: GOAWAY received, idle-closed or failed (the
   * next request opens a new session).
   */
  state: Http2SessionState;
  /** Streams opened on the current session and not yet closed (queued ones included). */
  streams: number;
  /** The backend's SETTINGS_MAX_CONCURRENT_STREAMS; null before its SETTINGS or when unlimited. */
  maxConcurrentStreams: number | null;
  /** Epoch ms when the current session received the backend's first SETTINGS. */
  connectedAt?: number;
  /** GOAWAY frames received from this origin since the engine started. */
  goaways: number;
  /** The last one: when, its error code (0 = NO_ERROR, a graceful shutdown). */
  lastGoaway?: { at: number; code: number };
}

/** The live facts of one session, as the transport keeps them. */
export interface SessionFacts {
  readonly session: ClientHttp2Session;
  readonly ready: boolean;
  readonly closed: boolean;
  readonly streams: number;
  readonly connectedAt: number | undefined;
}

/** 2^32 − 1: what nghttp2 reports when the peer set no limit. */
const UNLIMITED = 0xffff_ffff;

/** One backend origin: its current session and the GOAWAYs its sessions received. */
export class OriginSessions {
  current: SessionFacts | undefined;
  goaways = 0;
  lastGoaway: { at: number; code: number } | undefined;

  goaway(code: number, now = Date.now()): void {
    this.goaways++;
    this.lastGoaway = { at: now, code };
  }

  status(): Http2SessionStatus {
    const current = this.current;
    const base = {
      goaways: this.goaways,
      ...(this.lastGoaway ? { lastGoaway: { ...this.lastGoaway } } : {}),
    };
    if (!current) return { state: 'none', streams: 0, maxConcurrentStreams: null, ...base };
    const closed = current.closed || current.session.destroyed || current.session.closed;
    const max = current.ready ? current.session.remoteSettings.maxConcurrentStreams : undefined;
    return {
      state: closed ? 'closed' : current.ready ? 'connected' : 'connecting',
      streams: current.streams,
      maxConcurrentStreams: max === undefined || max >= UNLIMITED ? null : max,
      ...(current.connectedAt === undefined ? {} : { connectedAt: current.connectedAt }),
      ...base,
    };
  }
}

/** For an origin no request has gone to yet. */
export function noSession(): Http2SessionStatus {
  return { state: 'none', streams: 0, maxConcurrentStreams: null, goaways: 0 };
}
