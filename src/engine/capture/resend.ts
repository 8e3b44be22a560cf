/**
 * Edit and resend, and fan-out: a recorded request sent again through the listener it came
 * in on, as a client would (replay.ts), carrying a one-time ticket (resend-tickets.ts) so
 * the new exchange is linked to its origin and, for a fan-out, goes to one named member.
 * Both give back the new exchanges' ids: what they did is in the traffic log like any
 * other exchange, with its timings, bodies and why-sentence.
 */
import type { ExchangeDetail, HeaderPairs } from '../../shared/exchange.js';
import { IDEMPOTENT_METHODS } from '../request-semantics.js';
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
