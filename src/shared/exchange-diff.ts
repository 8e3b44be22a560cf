/**
 * Diff of two exchanges (issue 15): "compare these two" in the traffic list and each
 * member's cell of a fan-out table against the first member. Request line, headers,
 * query, timings and (when the caller has fetched them) bodies: JSON structurally, text
 * by lines, anything else by size and SHA-256. Pure data in, plain data out, so the
 * engine and the renderer share it; no Node imports.
 */
import type { ExchangeDetail, HeaderPairs } from './exchange.js';
import { diffBodies, type BodyDiff, type BodyDiffOptions, type BodyInput } from './body-diff.js';

export { DEFAULT_MAX_JSON_CHANGES, diffBodies, sha256Hex } from './body-diff.js';
export type { BinarySide, BodyDiff, BodyDiffOptions, BodyInput } from './body-diff.js';
export { checkIgnorePath, diffJson, jsonType } from './json-diff.js';
export type { JsonChange, JsonChangeKind, JsonDiffOptions, JsonType } from './json-diff.js';
export { diffText, splitLines } from './text-diff.js';
export type { TextDiff, TextDiffOptions, TextHunk } from './text-diff.js';

// ---- headers ---------------------------------------------------------------------

/**
 * Headers that differ between any two answers (clocks, request and trace ids, proxy
 * stamps), for comparing members' answers to the same request. Never applied unless
 * passed as `ignore`: in a diff of two exchanges the user asked for, they are facts.
 */
export const DEFAULT_VOLATILE_HEADERS: readonly string[] = [
  'date',
  'age',
  'expires',
  'x-request-id',
  'x-correlation-id',
  'request-id',
  'x-trace-id',
  'traceparent',
  'tracestate',
  'x-b3-*',
  'b3',
  'x-amzn-requestid',
  'x-amzn-trace-id',
  'x-amz-request-id',
  'x-amz-id-2',
  'x-cloud-trace-context',
  'cf-ray',
  'x-runtime',
  'x-response-time',
  'server-timing',
];

export type HeaderChangeKind = 'added' | 'removed' | 'changed' | 'same';

/**
 * One header name with all its values on each side (a repeated header is one entry, its
 * values in the order sent). `a` is absent when added, `b` when removed.
 */
export interface HeaderDiff {
  /** As first spelled (in A, else in B); compared case-insensitively. */
  name: string;
  kind: HeaderChangeKind;
  a?: string[];
  b?: string[];
}

export interface HeaderDiffOptions {
  /** Names left out of the result, any case; `x-b3-*` ends in a wildcard. */
  ignore?: readonly string[];
}

/**
 * Headers of A against B in order of first appearance (A's, then those only B has).
 * Repeated values are compared as ordered lists: the order of a field's lines is part of
 * its value (RFC 9110 §5.3), so `Vary: a` then `Vary: b` against the reverse is a change.
 */
export function diffHeaders(
  a: HeaderPairs,
  b: HeaderPairs,
  options: HeaderDiffOptions = {},
): HeaderDiff[] {
  return diffPairs(a, b, (name) => name.toLowerCase(), options.ignore ?? []);
}

function diffPairs(
  a: HeaderPairs,
  b: HeaderPairs,
  fold: (name: string) => string,
  ignore: readonly string[],
): HeaderDiff[] {
  const exact = new Set(ignore.filter((i) => !i.endsWith('*')).map(fold));
  const prefixes = ignore.filter((i) => i.endsWith('*')).map((i) => fold(i.slice(0, -1)));
  const skip = (key: string): boolean =>
    exact.has(key) || prefixes.some((prefix) => key.startsWith(prefix));

  const groups = new Map<string, { name: string; a: string[]; b: string[] }>();
  const collect = (pairs: HeaderPairs, side: 'a' | 'b'): void => {
    for (const [name, value] of pairs) {
      const key = fold(name);
      if (skip(key)) continue;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { name, a: [], b: [] }));
      group[side].push(value);
    }
  };
  collect(a, 'a');
  collect(b, 'b');

  return [...groups.values()].map(({ name, a, b }) => {
    if (a.length === 0) return { name, kind: 'added', b };
    if (b.length === 0) return { name, kind: 'removed', a };
    const same = a.length === b.length && a.every((v, i) => v === b[i]);
    return { name, kind: same ? 'same' : 'changed', a, b };
  });
}

/** Query parameters of a request target (`/p?x=1&y=2`), names case-sensitive. */
export function diffQuery(urlA: string, urlB: string): HeaderDiff[] {
  const pairs = (url: string): HeaderPairs => {
    const at = url.indexOf('?');
    if (at < 0) return [];
    const hash = url.indexOf('#', at);
    return [...new URLSearchParams(url.slice(at + 1, hash < 0 ? undefined : hash))];
  };
  return diffPairs(pairs(urlA), pairs(urlB), (name) => name, []);
}

// ---- exchanges -------------------------------------------------------------------

/** Request-line and outcome fields compared one by one, in this order. */
export const EXCHANGE_DIFF_FIELDS = [
  'method',
  'url',
  'host',
  'secure',
  'httpVersion',
  'status',
  'outcome',
  'error',
  'route',
  'member',
  'attempts',
] as const satisfies readonly (keyof ExchangeDetail)[];
export type ExchangeDiffField = (typeof EXCHANGE_DIFF_FIELDS)[number];

export interface FieldDiff {
  field: ExchangeDiffField;
  a: string | number | boolean | undefined;
  b: string | number | boolean | undefined;
  same: boolean;
}

export const TIMING_NAMES = ['upstreamConnected', 'firstByte', 'done'] as const;

/** Milliseconds since each exchange was accepted; `delta` is B − A when both happened. */
export interface TimingDiff {
  name: (typeof TIMING_NAMES)[number];
  a?: number;
  b?: number;
  delta?: number;
}

/** Body bytes moved (in full, whatever the capture kept). */
export interface SizeDiff {
  name: 'request' | 'response';
  a: number;
  b: number;
  delta: number;
}

/** Bodies fetched by the caller; content type and truncation default to the details'. */
export interface ExchangeBodies {
  request?: { a: BodyInput; b: BodyInput };
  response?: { a: BodyInput; b: BodyInput };
}

export interface ExchangeDiffOptions extends BodyDiffOptions {
  /** Header names left out on both sides, e.g. `DEFAULT_VOLATILE_HEADERS` for fan-out. */
  ignoreHeaders?: readonly string[];
  /** Fields not compared, e.g. `member` when the members are the point (fan-out). */
  ignoreFields?: readonly ExchangeDiffField[];
}

export interface ExchangeDiff {
  /** Ids of the two exchanges. */
  a: number;
  b: number;
  fields: FieldDiff[];
  query: HeaderDiff[];
  requestHeaders: HeaderDiff[];
  responseHeaders: HeaderDiff[];
  /** Empty when neither response had trailers. */
  responseTrailers: HeaderDiff[];
  timings: TimingDiff[];
  sizes: SizeDiff[];
  /** Present when the bodies were given. */
  requestBody?: BodyDiff;
  responseBody?: BodyDiff;
}

/** Everything the compare view and a fan-out cell show, A being the reference. */
export function diffExchanges(
  a: ExchangeDetail,
  b: ExchangeDetail,
  bodies: ExchangeBodies = {},
  options: ExchangeDiffOptions = {},
): ExchangeDiff {
  const skip = new Set(options.ignoreFields ?? []);
  const headerOptions = { ignore: options.ignoreHeaders ?? [] };
  const fields = EXCHANGE_DIFF_FIELDS.filter((f) => !skip.has(f)).map((field): FieldDiff => ({
    field,
    a: a[field],
    b: b[field],
    same: a[field] === b[field],
  }));
  const timings = TIMING_NAMES.map((name): TimingDiff => {
    const ta = a.timings[name];
    const tb = b.timings[name];
    return {
      name,
      ...(ta === undefined ? {} : { a: ta }),
      ...(tb === undefined ? {} : { b: tb }),
      ...(ta === undefined || tb === undefined ? {} : { delta: tb - ta }),
    };
  });
  const size = (name: 'request' | 'response', sa: number, sb: number): SizeDiff => ({
    name,
    a: sa,
    b: sb,
    delta: sb - sa,
  });
  const body = (
    pair: { a: BodyInput; b: BodyInput } | undefined,
    infoA: ExchangeDetail['requestBody'],
    infoB: ExchangeDetail['requestBody'],
  ): BodyDiff | undefined => {
    if (!pair) return undefined;
    const withInfo = (input: BodyInput, info: typeof infoA): BodyInput => ({
      bytes: input.bytes,
      contentType: input.contentType ?? info.contentType,
      truncated: input.truncated ?? info.truncated,
    });
    return diffBodies(withInfo(pair.a, infoA), withInfo(pair.b, infoB), options);
  };
  const requestBody = body(bodies.request, a.requestBody, b.requestBody);
  const responseBody = body(bodies.response, a.responseBody, b.responseBody);
  return {
    a: a.id,
    b: b.id,
    fields,
    // Ignoring the url field ignores its query too.
    query: skip.has('url') ? [] : diffQuery(a.url, b.url),
    requestHeaders: diffHeaders(a.requestHeaders, b.requestHeaders, headerOptions),
    responseHeaders: diffHeaders(a.responseHeaders, b.responseHeaders, headerOptions),
    responseTrailers: diffHeaders(
      a.responseTrailers ?? [],
      b.responseTrailers ?? [],
      headerOptions,
    ),
    timings,
    sizes: [
      size('request', a.requestBytes, b.requestBytes),
      size('response', a.responseBytes, b.responseBytes),
    ],
    ...(requestBody ? { requestBody } : {}),
    ...(responseBody ? { responseBody } : {}),
  };
}

// ---- summary ---------------------------------------------------------------------

export interface ChangeCounts {
  added: number;
  removed: number;
  changed: number;
}

export interface BodySummary {
  kind: BodyDiff['kind'];
  same: boolean;
  /** JSON paths that differ (all of them, not only those kept). */
  paths: number;
  linesAdded: number;
  linesRemoved: number;
}

/** Counts for a table cell; timings never make two exchanges differ. */
export interface DiffSummary {
  same: boolean;
  /** Request-line and outcome fields that differ. */
  fields: ExchangeDiffField[];
  query: ChangeCounts;
  requestHeaders: ChangeCounts;
  /** Response headers and trailers. */
  responseHeaders: ChangeCounts;
  /** Request and response headers together. */
  headers: ChangeCounts;
  /** JSON paths that differ over both bodies. */
  jsonPaths: number;
  requestBody?: BodySummary;
  responseBody?: BodySummary;
  /** One line: `status 200 → 503 · response headers +1 −0 ~2 · response body 3 JSON paths`. */
  text: string;
}

function countHeaders(...lists: HeaderDiff[][]): ChangeCounts {
  const counts = { added: 0, removed: 0, changed: 0 };
  for (const list of lists) for (const h of list) if (h.kind !== 'same') counts[h.kind]++;
  return counts;
}

function summarizeBody(diff: BodyDiff): BodySummary {
  const lines = diff.kind === 'text' && diff.text.kind === 'lines' ? diff.text : undefined;
  return {
    kind: diff.kind,
    same: diff.same,
    paths: diff.kind === 'json' ? diff.count : 0,
    linesAdded: lines?.added ?? 0,
    linesRemoved: lines?.removed ?? 0,
  };
}

function describeBody(label: string, diff: BodyDiff | undefined): string | undefined {
  if (!diff || diff.same) return undefined;
  if (diff.kind === 'json') return `${label} ${diff.count} JSON path${diff.count === 1 ? '' : 's'}`;
  if (diff.kind === 'text' && diff.text.kind === 'lines') {
    return `${label} +${diff.text.added} −${diff.text.removed} lines`;
  }
  if (diff.kind === 'binary') return `${label} ${diff.a.size} B vs ${diff.b.size} B`;
  return `${label} differs`;
}

const describeCounts = (label: string, c: ChangeCounts): string | undefined =>
  c.added + c.removed + c.changed === 0
    ? undefined
    : `${label} +${c.added} −${c.removed} ~${c.changed}`;

// The query's own counts say more than "url differs": the path is named only when it
// changed, and a query whose parameters only moved says so.
function describeUrl(diff: ExchangeDiff, query: ChangeCounts): string | undefined {
  const url = diff.fields.find((f) => f.field === 'url');
  if (!url || url.same) return undefined;
  const path = (v: unknown): string => String(v).split('?')[0]!;
  const parts = [
    path(url.a) === path(url.b) ? undefined : 'path differs',
    describeCounts('query', query),
  ].filter((part): part is string => part !== undefined);
  return parts.length > 0 ? parts.join(' · ') : 'query order differs';
}

export function summarizeDiff(diff: ExchangeDiff): DiffSummary {
  const fields = diff.fields.filter((f) => !f.same).map((f) => f.field);
  const query = countHeaders(diff.query);
  const requestHeaders = countHeaders(diff.requestHeaders);
  const responseHeaders = countHeaders(diff.responseHeaders, diff.responseTrailers);
  const headers = countHeaders(diff.requestHeaders, diff.responseHeaders, diff.responseTrailers);
  const requestBody = diff.requestBody && summarizeBody(diff.requestBody);
  const responseBody = diff.responseBody && summarizeBody(diff.responseBody);
  const status = diff.fields.find((f) => f.field === 'status' && !f.same);
  const others = fields.filter((f) => f !== 'status' && f !== 'url');
  const parts = [
    status ? `status ${String(status.a)} → ${String(status.b)}` : undefined,
    others.length > 0 ? `${others.join(', ')} differ${others.length === 1 ? 's' : ''}` : undefined,
    describeUrl(diff, query),
    describeCounts('request headers', requestHeaders),
    describeCounts('response headers', responseHeaders),
    describeBody('request body', diff.requestBody),
    describeBody('response body', diff.responseBody),
  ].filter((part): part is string => part !== undefined);
  return {
    same: parts.length === 0,
    fields,
    query,
    requestHeaders,
    responseHeaders,
    headers,
    jsonPaths: (requestBody?.paths ?? 0) + (responseBody?.paths ?? 0),
    ...(requestBody ? { requestBody } : {}),
    ...(responseBody ? { responseBody } : {}),
    text: parts.length === 0 ? 'same' : parts.join(' · '),
  };
}
