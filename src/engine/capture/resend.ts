/**
 * Edit and resend, and fan-out: a recorded request sent again through the listener it came
 * in on, as a client would (replay.ts), carrying a one-time ticket (resend-tickets.ts) so
 * the new exchange is linked to its origin and, for a fan-out, goes to one named member.
 * Both give back the new exchanges' ids: what they did is in the traffic log like any
 * other exchange, with its timings, bodies and why-sentence.
 */
import type { ExchangeDetail, HeaderPairs } from '../../shared/exchange.js';
import type { Engine } from '../engine.js';
import { IDEMPOTENT_METHODS } from '../request-semantics.js';
import type { Recording } from './recorder.js';
import { replay, type ReplayListener } from './replay.js';
import { RESEND_HEADER, type ResendTickets } from './resend-tickets.js';

export interface ResendEdits {
  method?: string;
  /** Path and query. */
  url?: string;
  /** Replace every request header (Host included). */
  headers?: HeaderPairs;
  /** The new body. */
  body?: Buffer;
  /** Send to this balancer member, bypassing the balancer's choice. */
  member?: string;
}

export interface Resent {
  id: number;
  status: number;
}

export interface ResendContext {
  tickets: ResendTickets;
  listener: ReplayListener;
  ca: string | undefined;
}

/** How long a resent request may take before the answer says so. */
const RESEND_TIMEOUT_MS = 60_000;

/** Send `detail` again with `edits`; resolves with the new exchange's id and status. */
export async function resend(
  detail: ExchangeDetail,
  body: Buffer,
  edits: ResendEdits,
  context: ResendContext,
): Promise<Resent> {
  const { ticket, exchange } = context.tickets.issue(detail.id, edits.member);
  const headers = (edits.headers ?? detail.requestHeaders).filter(
    ([name]) => name.toLowerCase() !== RESEND_HEADER,
  );
  const host = headers.find(([name]) => name.toLowerCase() === 'host')?.[1] ?? detail.host;
  const edited: ExchangeDetail = {
    ...detail,
    method: edits.method ?? detail.method,
    url: edits.url ?? detail.url,
    host,
    requestHeaders: [...headers, [RESEND_HEADER, ticket]],
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${RESEND_TIMEOUT_MS / 1000} s`)),
      RESEND_TIMEOUT_MS,
    );
  });
  try {
    const status = await Promise.race([
      replay(edited, edits.body ?? body, context.listener, context.ca),
      timeout,
    ]);
    // Recorded before its answer could arrive; 0 when capture was paused.
    const id = await Promise.race([exchange, Promise.resolve(0)]);
    return { id, status };
  } finally {
    clearTimeout(timer);
  }
}

/** Whether sending this request once more could change something on the server. */
export function needsConfirmation(detail: ExchangeDetail): string | undefined {
  if (!IDEMPOTENT_METHODS.has(detail.method))
    return `${detail.method} is not idempotent: sending it again may change data on the server`;
  if (detail.requestBody.size > 0)
    return `the request has a body (${detail.requestBody.size} bytes): sending it again may change data on the server`;
  return undefined;
}

export interface FanOutResult {
  member: string;
  id?: number;
  status?: number;
  error?: string;
}

/** Send the request to each member at once; one member's failure fills only its own row. */
export async function fanOut(
  detail: ExchangeDetail,
  body: Buffer,
  members: readonly string[],
  context: ResendContext,
): Promise<FanOutResult[]> {
  return Promise.all(
    members.map(async (member) => {
      try {
        return { member, ...(await resend(detail, body, { member }, context)) };
      } catch (error) {
        return { member, error: (error as Error).message };
      }
    }),
  );
}

/** What sending a recording again needs: its request, its body and its listener. */
export async function sendAgain(
  engine: Engine,
  rec: Recording,
): Promise<{ detail: ExchangeDetail; body: Buffer; context: ResendContext }> {
  const detail = rec.detail();
  if (detail.websocket) throw new Error('WebSocket sessions cannot be sent again');
  if (detail.requestBody.truncated) {
    throw new Error(
      `the request body was cut at ${detail.requestBody.captured} bytes; it cannot be sent again`,
    );
  }
  const listener = engine.listeners().find((l) => l.name === detail.listener);
  if (!listener) throw new Error(`listener '${detail.listener}' is not running any more`);
  const ca = listener.tls ? (await engine.certificateAuthority()).certPem : undefined;
  return { detail, body: rec.body('request'), context: { tickets: engine.resends, listener, ca } };
}

export async function resendRecording(
  engine: Engine,
  rec: Recording,
  edits: ResendEdits,
): Promise<Resent> {
  const { detail, body, context } = await sendAgain(engine, rec);
  try {
    return await resend(detail, body, edits, context);
  } catch (error) {
    throw new Error(`the request could not be sent again: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** The fan-out of a recording to every enabled member of its route's balancer. */
export async function fanOutRecording(
  engine: Engine,
  rec: Recording,
  confirmed: boolean,
): Promise<{ balancer: string; results: FanOutResult[] }> {
  const { detail, body, context } = await sendAgain(engine, rec);
  const name = detail.route === undefined ? undefined : engine.balancerOfRoute(detail.route);
  const balancer = engine.balancers().find((b) => b.name === name);
  if (!balancer || name === undefined) {
    const via = detail.route === undefined ? 'no route' : `route '${detail.route}'`;
    throw new Error(
      `exchange ${detail.id} went through ${via}, which sends to no balancer: there are no members to ask`,
    );
  }
  const risk = needsConfirmation(detail);
  if (risk !== undefined && !confirmed)
    throw new Error(`confirm sending it to every member: ${risk}`);
  const members = balancer.members.filter((m) => m.state === 'enabled').map((m) => m.url);
  return { balancer: name, results: await fanOut(detail, body, members, context) };
}
