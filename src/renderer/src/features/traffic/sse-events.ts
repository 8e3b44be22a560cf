/**
 * A captured `text/event-stream` body as its events (the HTML Living Standard's parsing
 * rules: lines end in CRLF, LF or CR; a blank line dispatches; `:` starts a comment; one
 * space after the colon is dropped; `data` lines join with newlines). Parsed on bytes so
 * that each event's end is a byte offset, which the capture's chunk arrival times turn into
 * the moment the event arrived.
 */

export interface SseEvent {
  index: number;
  /** The `id` in force for this event (the last one sent), if any. */
  id?: string;
  /** `message` unless the event named another type. */
  event: string;
  data: string;
  /** `retry:` milliseconds, when this event set it. */
  retry?: number;
  /** Milliseconds since the exchange was accepted, when the capture kept arrival times. */
  at?: number;
  /** Not yet ended by a blank line: the stream is still open, or was cut there. */
  open: boolean;
}

export interface SseParse {
  events: SseEvent[];
  /** Comment lines seen (keep-alives, mostly). */
  comments: number;
}

/** Events listed at most: a body of bare blank lines is not a reason to hang the UI. */
export const MAX_EVENTS = 5_000;

/** The time the byte at `offset` arrived: the last chunk starting at or before it. */
function arrivalOf(arrivals: readonly number[], offset: number): number | undefined {
  let at: number | undefined;
  for (let i = 0; i + 1 < arrivals.length && arrivals[i]! <= offset; i += 2) at = arrivals[i + 1];
  return at;
}

export function parseSse(bytes: Uint8Array, arrivals: readonly number[] = []): SseParse {
  const decoder = new TextDecoder('utf-8');
  const events: SseEvent[] = [];
  let comments = 0;
  let lastId: string | undefined;
  let type = '';
  let data: string[] = [];
  let retry: number | undefined;
  let started = false;
  const dispatch = (end: number, open: boolean) => {
    if (started && data.length > 0 && events.length < MAX_EVENTS) {
      const at = arrivalOf(arrivals, Math.max(0, end - 1));
      events.push({
        index: events.length,
        ...(lastId === undefined ? {} : { id: lastId }),
        event: type === '' ? 'message' : type,
        data: data.join('\n'),
        ...(retry === undefined ? {} : { retry }),
        ...(at === undefined ? {} : { at }),
        open,
      });
    }
    type = '';
    data = [];
    retry = undefined;
    started = false;
  };
  let at = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (at < bytes.length && events.length < MAX_EVENTS) {
    let end = at;
    while (end < bytes.length && bytes[end] !== 10 && bytes[end] !== 13) end++;
    if (end === bytes.length) {
      // A last line with no line end yet: part of an event still arriving.
      const line = decoder.decode(bytes.subarray(at, end));
      if (!line.startsWith(':')) field(line);
      break;
    }
    const line = decoder.decode(bytes.subarray(at, end));
    const next = bytes[end] === 13 && bytes[end + 1] === 10 ? end + 2 : end + 1;
    if (line === '') dispatch(next, false);
    else if (line.startsWith(':')) comments++;
    else field(line);
    at = next;
  }
  dispatch(bytes.length, true);
  return { events, comments };

  function field(line: string): void {
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    started = true;
    if (name === 'data') data.push(value);
    else if (name === 'event') type = value;
    else if (name === 'id' && !value.includes('\0')) lastId = value;
    else if (name === 'retry' && /^\d+$/.test(value)) retry = Number(value);
  }
}
