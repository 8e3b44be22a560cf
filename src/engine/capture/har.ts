/**
 * HAR 1.2 export and import of the traffic log (SPEC §4).
 *
 * Bodies are written as the proxy moved them: text when they are valid UTF-8, base64
 * otherwise, still content-encoded if the backend compressed them (the log keeps the
 * bytes on the wire). A body cut at the capture cap carries a comment saying so.
 *
 * What HAR has no field for is kept in `_` custom fields (route, member, why, outcome,
 * the raw timings, …), so `fromHar(toHar(x))` gives back the exchanges, and HAR files
 * from other tools (Chrome, Firefox) import with defaults for what they lack.
 */
import { STATUS_CODES } from 'node:http';
import type {
  BodyInfo,
  ExchangeDetail,
  ExchangeSummary,
  FrameRecord,
  HeaderPairs,
} from '../../shared/exchange.js';
import {
  headerValues,
  queryString,
  requestCookies,
  responseCookies,
  splitUrl,
} from './har-fields.js';
import type {
  Har,
  HarCreator,
  HarEntry,
  HarNameValue,
  HarRequest,
  HarResponse,
  HarTimings,
  HarWebSocketMessage,
} from './har-types.js';
import { decodeBody, encodeBody } from './text.js';

export type * from './har-types.js';

/** One exchange with the bodies kept for it (absent: not captured or not exported). */
export interface HarSource {
  detail: ExchangeDetail;
  requestBody?: Buffer;
  responseBody?: Buffer;
}

export function toHar(entries: readonly HarSource[], creator: HarCreator): Har {
  return { log: { version: '1.2', creator, pages: [], entries: entries.map(toEntry) } };
}

export function fromHar(har: Har): HarSource[] {
  return har.log.entries.map(fromEntry);
}

// ---- export ----------------------------------------------------------------------

function toEntry({ detail: d, requestBody, responseBody }: HarSource): HarEntry {
  const timings = toTimings(d.timings);
  // HAR's `time` is the sum of the phases that apply (ssl is inside connect).
  const { blocked, dns, connect, send, wait, receive } = timings;
  const time = [blocked, dns, connect, send, wait, receive].reduce<number>(
    (sum, t) => sum + (t !== undefined && t > 0 ? t : 0),
    0,
  );
  const entry: HarEntry = {
    startedDateTime: new Date(d.startedAt).toISOString(),
    time,
    request: toRequest(d, requestBody),
    response: toResponse(d, responseBody),
    cache: {},
    timings,
    _id: d.id,
    _listener: d.listener,
    _client: d.client,
    _attempts: d.attempts,
    _outcome: d.outcome,
    _timings: { ...d.timings },
  };
  if (d.host === '') entry._host = '';
  if (!d.url.startsWith('/')) entry._target = d.url;
  if (d.route !== undefined) entry._route = d.route;
  if (d.member !== undefined) entry._member = d.member;
  if (d.why !== undefined) entry._why = d.why;
  if (d.error !== undefined) entry._error = d.error;
  if (d.websocket) {
    entry._resourceType = 'websocket';
    entry._websocket = { ...d.websocket };
  }
  if (d.frames) entry._websocketMessages = d.frames.map((f) => toMessage(d.startedAt, f));
  if (d.framesDropped !== undefined) entry._framesDropped = d.framesDropped;
  return entry;
}

function absoluteUrl(d: ExchangeDetail): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(d.url)) return d.url;
  const scheme = d.websocket ? (d.secure ? 'wss' : 'ws') : d.secure ? 'https' : 'http';
  // A Host-less request still needs an authority for the URL to be absolute.
  const origin = `${scheme}://${d.host === '' ? 'localhost' : d.host}`;
  return d.url.startsWith('/') ? origin + d.url : `${origin}/`;
}

const pairs = (headers: HeaderPairs): HarNameValue[] =>
  headers.map(([name, value]) => ({ name, value }));

function mimeType(info: BodyInfo, headers: HeaderPairs): string {
  return info.contentType ?? headerValues(headers, 'content-type')[0] ?? '';
}

/** Why the exported body is not the whole body, if it is not. */
function bodyComment(info: BodyInfo, body: Buffer | undefined): string | undefined {
  const kept = body?.length ?? 0;
  if (kept >= info.size) return undefined;
  return body
    ? `truncated: ${kept} of ${info.size} bytes kept`
    : `not captured: ${info.size} bytes`;
}

function toRequest(d: ExchangeDetail, body: Buffer | undefined): HarRequest {
  const request: HarRequest = {
    method: d.method,
    url: absoluteUrl(d),
    httpVersion: `HTTP/${d.httpVersion}`,
    cookies: requestCookies(d.requestHeaders),
    headers: pairs(d.requestHeaders),
    queryString: queryString(d.url),
    headersSize: -1,
    bodySize: d.requestBody.size,
  };
  const comment = bodyComment(d.requestBody, body);
  if (body && body.length > 0) {
    request.postData = {
      mimeType: mimeType(d.requestBody, d.requestHeaders),
      ...encodeBody(body),
      ...(comment === undefined ? {} : { comment }),
    };
  } else if (comment !== undefined) {
    request.comment = comment;
  }
  return request;
}

function toResponse(d: ExchangeDetail, body: Buffer | undefined): HarResponse {
  const comment = bodyComment(d.responseBody, body);
  return {
    status: d.status,
    statusText: STATUS_CODES[d.status] ?? '',
    httpVersion: `HTTP/${d.httpVersion}`,
    cookies: responseCookies(d.responseHeaders),
    headers: pairs(d.responseHeaders),
    content: {
      size: d.responseBody.size,
      mimeType: mimeType(d.responseBody, d.responseHeaders),
      ...(body && body.length > 0 ? encodeBody(body) : {}),
      ...(comment === undefined ? {} : { comment }),
    },
    redirectURL: headerValues(d.responseHeaders, 'location')[0] ?? '',
    headersSize: -1,
    bodySize: d.responseBody.size,
  };
}

/**
 * Phases from the exchange's milestones. Unknown optional phases are -1 (HAR's "does
 * not apply"); `wait` and `receive` are required to be ≥ 0, so unknown is 0 there.
 * Waiting ends at the first byte, or at the end for an exchange that never got one.
 */
function toTimings(t: ExchangeSummary['timings']): HarTimings {
  const since = (end: number | undefined, start: number) =>
    end === undefined ? 0 : Math.max(0, end - start);
  const connected = t.upstreamConnected;
  return {
    blocked: -1,
    dns: -1,
    connect: connected === undefined ? -1 : Math.max(0, connected),
    send: 0,
    wait: since(t.firstByte ?? t.done, connected ?? 0),
    receive: t.firstByte === undefined ? 0 : since(t.done, t.firstByte),
    ssl: -1,
  };
}

function toMessage(startedAt: number, f: FrameRecord): HarWebSocketMessage {
  const preview = Buffer.from(f.preview, 'base64');
  return {
    type: f.direction === 'up' ? 'send' : 'receive',
    time: (startedAt + f.at) / 1000,
    opcode: f.opcode,
    // Chrome shows text frames as text; a preview cut mid-character is still shown.
    data: f.opcode === 1 ? preview.toString('utf8') : f.preview,
    _at: f.at,
    _size: f.size,
    _preview: f.preview,
  };
}

// ---- import ----------------------------------------------------------------------

function fromEntry(e: HarEntry, index: number): HarSource {
  const startedAt = Date.parse(e.startedDateTime);
  const url = splitUrl(e.request.url);
  const requestHeaders = e.request.headers.map((h): [string, string] => [h.name, h.value]);
  const responseHeaders = e.response.headers.map((h): [string, string] => [h.name, h.value]);
  const post = e.request.postData;
  const requestBody = post?.text ? decodeBody(post.text, post.encoding) : undefined;
  const content = e.response.content;
  const responseBody = content.text ? decodeBody(content.text, content.encoding) : undefined;
  const requestSize = e.request.bodySize >= 0 ? e.request.bodySize : (requestBody?.length ?? 0);
  const responseSize = content.size >= 0 ? content.size : (responseBody?.length ?? 0);
  const frames = e._websocketMessages?.map((m) => fromMessage(startedAt, m));
  const detail: ExchangeDetail = {
    id: e._id ?? index + 1,
    startedAt: Number.isNaN(startedAt) ? 0 : startedAt,
    listener: e._listener ?? '',
    client: e._client ?? '',
    method: e.request.method,
    url: e._target ?? url.target,
    host: e._host ?? url.authority,
    secure: url.scheme === 'https' || url.scheme === 'wss',
    attempts: e._attempts ?? 1,
    status: e.response.status,
    outcome: e._outcome ?? (e.response.status > 0 ? 'completed' : 'errored'),
    timings: e._timings ? { ...e._timings } : fromTimings(e.timings),
    requestBytes: requestSize,
    responseBytes: e.response.bodySize >= 0 ? e.response.bodySize : responseSize,
    requestHeaders,
    responseHeaders,
    httpVersion: e.request.httpVersion.replace(/^HTTP\//i, ''),
    // Without postData the body's type is still in the request's headers.
    requestBody: bodyInfo(
      requestSize,
      requestBody,
      post?.mimeType || headerValues(requestHeaders, 'content-type')[0],
    ),
    responseBody: bodyInfo(responseSize, responseBody, content.mimeType),
  };
  if (e._route !== undefined) detail.route = e._route;
  if (e._member !== undefined) detail.member = e._member;
  if (e._why !== undefined) detail.why = e._why;
  if (e._error !== undefined) detail.error = e._error;
  const websocket = e._websocket ?? websocketSummary(e, frames);
  if (websocket) detail.websocket = { ...websocket };
  if (frames) detail.frames = frames;
  if (e._framesDropped !== undefined) detail.framesDropped = e._framesDropped;
  return {
    detail,
    ...(requestBody ? { requestBody } : {}),
    ...(responseBody ? { responseBody } : {}),
  };
}

function bodyInfo(size: number, body: Buffer | undefined, mime: string | undefined): BodyInfo {
  const captured = body?.length ?? 0;
  return {
    size,
    captured,
    truncated: captured < size,
    ...(mime ? { contentType: mime } : {}),
  };
}

/** Milestones back from phases, for HARs without `_timings` (other tools' exports). */
function fromTimings(t: HarTimings): ExchangeSummary['timings'] {
  const positive = (n: number | undefined) => (n !== undefined && n > 0 ? n : 0);
  const before = positive(t.blocked) + positive(t.dns) + positive(t.connect);
  const firstByte = before + positive(t.send) + positive(t.wait);
  return {
    ...(t.connect !== undefined && t.connect >= 0 ? { upstreamConnected: before } : {}),
    firstByte,
    done: firstByte + positive(t.receive),
  };
}

function fromMessage(startedAt: number, m: HarWebSocketMessage): FrameRecord {
  const preview =
    m._preview ?? (m.opcode === 1 ? Buffer.from(m.data, 'utf8').toString('base64') : m.data);
  return {
    at: m._at ?? m.time * 1000 - startedAt,
    direction: m.type === 'send' ? 'up' : 'down',
    opcode: m.opcode,
    size: m._size ?? Buffer.from(preview, 'base64').length,
    preview,
  };
}

function websocketSummary(
  e: HarEntry,
  frames: FrameRecord[] | undefined,
): ExchangeSummary['websocket'] {
  if (e._resourceType !== 'websocket' && !frames) return undefined;
  const up = frames?.filter((f) => f.direction === 'up') ?? [];
  const down = frames?.filter((f) => f.direction === 'down') ?? [];
  const bytes = (fs: FrameRecord[]) => fs.reduce((sum, f) => sum + f.size, 0);
  return {
    open: false,
    framesUp: up.length,
    framesDown: down.length,
    bytesUp: bytes(up),
    bytesDown: bytes(down),
  };
}
