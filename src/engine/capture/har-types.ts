/**
 * HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/) as TypeScript, with the
 * custom fields Switchyard writes. Custom fields start with `_`, as the spec requires;
 * `_resourceType` and `_websocketMessages` are the ones Chrome uses for WebSockets, so
 * Chrome's DevTools shows the frames of an imported log.
 */
import type { ExchangeOutcome, ExchangeSummary } from '../../shared/exchange.js';

export interface HarNameValue {
  name: string;
  value: string;
  comment?: string;
}

export interface HarCookie {
  name: string;
  value: string;
  path?: string;
  domain?: string;
  /** ISO 8601. */
  expires?: string;
  httpOnly?: boolean;
  secure?: boolean;
  comment?: string;
}

export interface HarPostData {
  mimeType: string;
  params?: { name: string; value?: string; fileName?: string; contentType?: string }[];
  text?: string;
  /** Not in HAR 1.2 for postData; the same extension tools use for content. */
  encoding?: 'base64';
  comment?: string;
}

export interface HarRequest {
  method: string;
  url: string;
  httpVersion: string;
  cookies: HarCookie[];
  headers: HarNameValue[];
  queryString: HarNameValue[];
  postData?: HarPostData;
  headersSize: number;
  bodySize: number;
  comment?: string;
}

export interface HarContent {
  size: number;
  compression?: number;
  mimeType: string;
  text?: string;
  encoding?: string;
  comment?: string;
}

export interface HarResponse {
  status: number;
  statusText: string;
  httpVersion: string;
  cookies: HarCookie[];
  headers: HarNameValue[];
  content: HarContent;
  redirectURL: string;
  headersSize: number;
  bodySize: number;
  comment?: string;
}

export interface HarTimings {
  blocked?: number;
  dns?: number;
  connect?: number;
  send: number;
  wait: number;
  receive: number;
  ssl?: number;
  comment?: string;
}

/** Chrome's shape, plus the exact record so an import loses nothing. */
export interface HarWebSocketMessage {
  type: 'send' | 'receive';
  /** Seconds since the epoch (Chrome's unit). */
  time: number;
  opcode: number;
  /** Text frames as text, others base64 (only the captured first bytes). */
  data: string;
  _at?: number;
  _size?: number;
  /** The preview exactly as recorded, base64. */
  _preview?: string;
}

export interface HarEntry {
  pageref?: string;
  startedDateTime: string;
  time: number;
  request: HarRequest;
  response: HarResponse;
  /** Switchyard writes `{}`: it is not a cache. */
  cache: { beforeRequest?: unknown; afterRequest?: unknown; comment?: string };
  timings: HarTimings;
  serverIPAddress?: string;
  connection?: string;
  comment?: string;
  _id?: number;
  _listener?: string;
  _client?: string;
  /** The Host when the URL could not carry it (a request without Host). */
  _host?: string;
  /** The request target when it was not a path (`*`, absolute form). */
  _target?: string;
  _route?: string;
  _member?: string;
  _why?: string;
  /** Backends tried (more than 1 after a failover). */
  _attempts?: number;
  _outcome?: ExchangeOutcome;
  _error?: string;
  /** Milliseconds, unrounded: the HAR phases are derived from these. */
  _timings?: ExchangeSummary['timings'];
  _resourceType?: string;
  _websocket?: ExchangeSummary['websocket'];
  _websocketMessages?: HarWebSocketMessage[];
  _framesDropped?: number;
}

export interface HarCreator {
  name: string;
  version: string;
  comment?: string;
}

export interface Har {
  log: {
    version: string;
    creator: HarCreator;
    browser?: HarCreator;
    pages?: unknown[];
    entries: HarEntry[];
    comment?: string;
  };
}
