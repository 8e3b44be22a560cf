/** How an HTTP/2 member's session reads in the balancer table. */
import type { MemberStatus } from '../../stores/balancers.js';
import { ago } from './relative-time.js';

export interface SessionView {
  /** "HTTP/2 · connected · 3 streams in flight (max 100)" */
  text: string;
  /** Longer explanation (tooltip). */
  detail: string;
  tone: 'ok' | 'muted' | 'warning';
}

function streams(n: number): string {
  return `${n} ${n === 1 ? 'stream' : 'streams'} in flight`;
}

/** Nothing for HTTP/1.1 members; a line for h2c:// and h2:// ones. */
export function memberSession(member: MemberStatus, now: number): SessionView | undefined {
  const session = member.http2;
  if (!session) return undefined;
  const limit =
    session.maxConcurrentStreams === null ? 'no limit' : `max ${session.maxConcurrentStreams}`;
  const goaways =
    session.goaways === 0 ? '' : ` · ${session.goaways} GOAWAY${session.goaways === 1 ? '' : 's'}`;
  const notes: string[] = [];
  if (session.connectedAt !== undefined)
    notes.push(`Session opened ${ago(session.connectedAt, now)}.`);
  if (session.lastGoaway) {
    notes.push(
      `Last GOAWAY ${ago(session.lastGoaway.at, now)} (error code ${session.lastGoaway.code}${session.lastGoaway.code === 0 ? ', graceful' : ''}).`,
    );
  }
  switch (session.state) {
    case 'none':
      return {
        text: 'HTTP/2 · no session yet',
        detail: 'The first request to this member opens one multiplexed session.',
        tone: 'muted',
      };
    case 'connecting':
      return {
        text: `HTTP/2 · connecting · ${streams(session.streams)}`,
        detail: "Waiting for the backend's SETTINGS.",
        tone: 'muted',
      };
    case 'connected':
      return {
        text: `HTTP/2 · connected · ${streams(session.streams)} (${limit})${goaways}`,
        detail: [
          'One multiplexed session; requests are streams on it.',
          `The backend allows ${limit === 'no limit' ? 'any number of' : `at most ${session.maxConcurrentStreams}`} concurrent streams.`,
          ...notes,
        ].join(' '),
        tone: 'ok',
      };
    case 'closed':
      return {
        text: `HTTP/2 · closed${session.streams > 0 ? ` · ${streams(session.streams)}` : ''}${goaways}`,
        detail: ['The next request opens a new session.', ...notes].join(' '),
        tone: session.lastGoaway && session.lastGoaway.code !== 0 ? 'warning' : 'muted',
      };
  }
}
