/**
 * The WebSocket wire format between the headless UI (src/renderer/src/api/ws-client.ts)
 * and the bridge that serves the engine's API (src/server/ws-bridge.ts). Every message is
 * one JSON text frame:
 *
 *   client → bridge   { id, method, params }     call one API method (params: its tuple)
 *                     { subscribe: [events] }    the complete set of events wanted; sending
 *                                                it again replaces the set ([] = none)
 *   bridge → client   { id, result }             the method's result (absent for void)
 *                     { id, error }              a message for the user, never a stack
 *                     { id: null, error }        a message that could not be correlated
 *                                                (not JSON, no id, bad subscribe)
 *                     { event, payload }         an event the client subscribed to
 *
 * Messages are handled in order, so a request sent after a `subscribe` is answered after
 * the subscription took effect. Payloads are checked with the schemas of src/shared/api.ts
 * on both sides; these schemas only check the envelope.
 */
import { z } from 'zod';

/** Path of the API on the UI server. */
export const WS_API_PATH = '/api';
/** Query parameter of the upgrade request that carries the access token. */
export const WS_TOKEN_PARAM = 'token';
/** Fragment key of the printed UI URL (`#token=…`): fragments never reach logs or Referer. */
export const URL_TOKEN_KEY = 'token';

/** Close code the bridge uses when the server stops (RFC 6455 "going away"). */
export const CLOSE_GOING_AWAY = 1001;

export const wsRequestSchema = z.object({
  id: z.number().int().nonnegative(),
  method: z.string(),
  params: z.array(z.unknown()).default([]),
});
export type WsRequest = z.input<typeof wsRequestSchema>;

export const wsSubscribeSchema = z.object({ subscribe: z.array(z.string()) });
export type WsSubscribe = z.infer<typeof wsSubscribeSchema>;

export const wsReplySchema = z.union([
  z.object({ id: z.number().nullable(), error: z.string() }),
  // `result` is absent for methods that return nothing (JSON has no undefined).
  z.object({ id: z.number(), result: z.unknown().optional() }),
]);
export type WsReply = z.infer<typeof wsReplySchema>;

export const wsEventSchema = z.object({ event: z.string(), payload: z.unknown() });
export type WsEvent = z.infer<typeof wsEventSchema>;
