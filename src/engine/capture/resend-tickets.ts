/**
 * How a resent request finds its way: the engine sends it through the listener like any
 * client would, with one header, `x-switchyard-resend: TICKET`, naming a one-time ticket
 * issued here. The exchange handler takes the header off before anything else sees it (it
 * never reaches a backend or the recorded headers), links the new exchange to the one it
 * was resent from, and — for fan-out — sends it to the ticket's member, bypassing
 * stickiness and failover. A header without a valid ticket is dropped and does nothing, so
 * a client cannot steer the balancer with it.
 */
import { randomBytes } from 'node:crypto';

export const RESEND_HEADER = 'x-switchyard-resend';
const TICKET_TTL_MS = 60_000;

export interface ResendTicket {
  /** The exchange this one was resent from. */
  from: number;
  /** Balancer member URL to send it to, bypassing the balancer's choice. */
  member?: string;
  /** Hears the new exchange's id once it is recorded. */
  recorded(id: number): void;
}

export class ResendTickets {
  readonly #open = new Map<string, ResendTicket & { expires: number }>();

  /** A ticket and the promise of the id of the exchange that uses it. */
  issue(from: number, member?: string): { ticket: string; exchange: Promise<number> } {
    this.#sweep();
    const ticket = randomBytes(16).toString('hex');
    let recorded: (id: number) => void = () => {};
    const exchange = new Promise<number>((resolve) => {
      recorded = resolve;
    });
    this.#open.set(ticket, {
      from,
      ...(member === undefined ? {} : { member }),
      recorded,
      expires: Date.now() + TICKET_TTL_MS,
    });
    return { ticket, exchange };
  }

  /** The ticket, once: a header seen again, or late, is worth nothing. */
  take(ticket: string): ResendTicket | undefined {
    const found = this.#open.get(ticket);
    if (!found) return undefined;
    this.#open.delete(ticket);
    return found.expires >= Date.now() ? found : undefined;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [key, t] of this.#open) if (t.expires < now) this.#open.delete(key);
  }
}

/** rawHeaders without the resend header (only built for the requests that carried it). */
export function withoutResendHeader(rawHeaders: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === RESEND_HEADER) continue;
    out.push(rawHeaders[i]!, rawHeaders[i + 1]!);
  }
  return out;
}
