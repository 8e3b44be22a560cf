/**
 * The traffic log's records (SPEC §4): one Exchange per request/response or WebSocket
 * session, as the engine's recorder keeps them and as the UI shows them. Plain data; the
 * summaries stream to the UI in batches, details and bodies are fetched on demand.
 */
import { z } from 'zod';

export const EXCHANGE_OUTCOMES = ['pending', 'completed', 'aborted', 'errored'] as const;
export type ExchangeOutcome = (typeof EXCHANGE_OUTCOMES)[number];

/** Milliseconds since the exchange was accepted; absent until that moment happened. */
export const exchangeTimingsSchema = z.object({
  upstreamConnected: z.number().optional(),
  firstByte: z.number().optional(),
  done: z.number().optional(),
});

export const websocketSummarySchema = z.object({
  open: z.boolean(),
  /** Frames seen, client → backend and backend → client. */
  framesUp: z.number(),
  framesDown: z.number(),
  bytesUp: z.number(),
  bytesDown: z.number(),
});

export const exchangeSummarySchema = z.object({
  id: z.number().int(),
  /** Epoch milliseconds when the request was accepted. */
  startedAt: z.number(),
  listener: z.string(),
  client: z.string(),
  method: z.string(),
  /** Path and query exactly as the client sent them. */
  url: z.string(),
  host: z.string(),
  secure: z.boolean(),
  /** The client's protocol version: `1.1`, `1.0` or `2.0`. */
  httpVersion: z.string().optional(),
  route: z.string().optional(),
  /** Member (or single backend) that served it. */
  member: z.string().optional(),
  /** Why that member: `sticky route 2 from cookie JSESSIONID`, `picked by byrequests`. */
  why: z.string().optional(),
  /** Sent again from this exchange (edit and resend, fan-out to every member). */
  resentFrom: z.number().int().optional(),
  /** Backends tried: more than 1 after a failover. */
  attempts: z.number().int(),
  /** 0 while no response was started. */
  status: z.number().int(),
  outcome: z.enum(EXCHANGE_OUTCOMES),
  /** What went wrong, for aborted and errored exchanges and Switchyard's own error pages. */
  error: z.string().optional(),
  timings: exchangeTimingsSchema,
  /** Body bytes moved (counted in full, whatever the capture cap kept). */
  requestBytes: z.number(),
  responseBytes: z.number(),
  websocket: websocketSummarySchema.optional(),
  /** A gRPC call: what was called, its status (once known) and the messages each way. */
  grpc: z
    .object({
      service: z.string(),
      method: z.string(),
      status: z.number().int().optional(),
      message: z.string().optional(),
      messagesUp: z.number().int(),
      messagesDown: z.number().int(),
    })
    .optional(),
});
export type ExchangeSummary = z.infer<typeof exchangeSummarySchema>;

export const headerPairsSchema = z.array(z.tuple([z.string(), z.string()]));
export type HeaderPairs = z.infer<typeof headerPairsSchema>;

export const bodyInfoSchema = z.object({
  /** Bytes the body had in total. */
  size: z.number(),
  /** Bytes kept (at most the capture cap). */
  captured: z.number(),
  truncated: z.boolean(),
  contentType: z.string().optional(),
  /**
   * When the captured bytes arrived, for bodies read as a timeline (SSE, gRPC responses):
   * flat pairs of byte offset and milliseconds since the exchange was accepted, one pair
   * per chunk, at most 2,000 chunks.
   */
  arrivals: z.array(z.number()).optional(),
});
export type BodyInfo = z.infer<typeof bodyInfoSchema>;

export const FRAME_DIRECTIONS = ['up', 'down'] as const;

export const frameRecordSchema = z.object({
  /** Milliseconds since the exchange was accepted. */
  at: z.number(),
  direction: z.enum(FRAME_DIRECTIONS),
  /** WebSocket opcode: 1 text, 2 binary, 8 close, 9 ping, 10 pong, 0 continuation. */
  opcode: z.number().int(),
  size: z.number(),
  /** The first bytes of the payload (unmasked), base64. */
  preview: z.string(),
});
export type FrameRecord = z.infer<typeof frameRecordSchema>;

export const exchangeDetailSchema = exchangeSummarySchema.extend({
  requestHeaders: headerPairsSchema,
  /** As sent to the client (after reverse mapping and header rules). */
  responseHeaders: headerPairsSchema,
  httpVersion: z.string(),
  requestBody: bodyInfoSchema,
  responseBody: bodyInfoSchema,
  /** Trailers the response ended with (HTTP/2, or chunked HTTP/1.1), as sent to the client. */
  responseTrailers: headerPairsSchema.optional(),
  frames: z.array(frameRecordSchema).optional(),
  /** Frames seen beyond the frame cap (counted, not kept). */
  framesDropped: z.number().optional(),
});
export type ExchangeDetail = z.infer<typeof exchangeDetailSchema>;

export const BODY_SIDES = ['request', 'response'] as const;
export type BodySide = (typeof BODY_SIDES)[number];
