/**
 * The traffic filter language (issue 15): what the filter bar, the headless API and HAR
 * export ("export what I see") all read. Pure and shared: the renderer filters summaries
 * locally with it, the engine runs the same query with headers and bodies at hand.
 *
 *   status:5xx method:POST,PUT -host:*.shop.test body:"order-42" OR time>2s
 *
 * Terms separated by spaces must all match; `OR` between terms binds looser than the
 * spaces (`a b OR c` is `(a and b) or c`); `-` before a term negates it; double quotes
 * group words into one value (`body:"two words"`) and make a field-looking word plain text
 * (`"status:5xx"`). Anything that is not `field:value` is free text. QUERY_HELP lists the
 * fields.
 *
 * The parsed Query is plain data (it can be logged, sent or compared); compileQuery turns it
 * into a predicate once per filter, which then runs per exchange and says where each term
 * matched, so the list can show it.
 */
import { parseDuration } from './duration.js';
import type { BodySide } from './exchange.js';

export const QUERY_PROTOCOLS = ['h1', 'h2', 'ws', 'grpc'] as const;
export type QueryProtocol = (typeof QUERY_PROTOCOLS)[number];

export const QUERY_HAS = ['websocket', 'body', 'error', 'grpc'] as const;
export type QueryHas = (typeof QUERY_HAS)[number];

export type Comparison = '<' | '<=' | '>' | '>=';
/** Which bodies a size or body term looks at. */
export type BodyScope = BodySide | 'both';

/** What one term tests, as data. Lists (`method:GET,POST`) match when any item does. */
export type QueryTest =
  /** Inclusive ranges: `5xx` is [500, 599], `404` is [404, 404], `0` is "no response". */
  | { field: 'status'; ranges: Array<[number, number]> }
  /** Upper-cased. */
  | { field: 'method'; methods: string[] }
  /** Globs (`*`, `?`), lower-cased, matched against the whole value. */
  | { field: 'host' | 'route' | 'rule'; patterns: string[] }
  /** A case-insensitive substring. */
  | { field: 'member' | 'url' | 'text'; text: string }
  | { field: 'proto'; protocols: QueryProtocol[] }
  /** Lower-cased; an empty part matches any. */
  | { field: 'grpc'; service: string; method: string }
  | { field: 'size'; side: BodyScope; op: Comparison; bytes: number }
  | { field: 'time'; op: Comparison; ms: number }
  | { field: 'has'; what: QueryHas }
  /** A header name glob (lower-cased), and optionally a substring of its value. */
  | { field: 'header'; name: string; value?: string }
  | { field: 'body'; side: BodyScope; text: string };

export type QueryTerm = QueryTest & {
  /** The term as written, `-` included: what a Match names. */
  source: string;
  /** Where it starts in the query text. */
  at: number;
  negated: boolean;
};

/** Alternatives (OR) of terms that must all match (AND). No groups: everything matches. */
export interface Query {
  groups: QueryTerm[][];
}

export type ParseResult =
  | { ok: true; query: Query }
  | { ok: false; error: string; /** character offset in the text */ at: number };

/** Field names as written, with an example for error messages. */
const FIELDS = {
  status: '5xx',
  method: 'POST',
  host: 'api.localhost',
  url: '/api',
  route: 'shop',
  member: '9002',
  rule: 'NAME',
  proto: 'h2',
  grpc: 'Service/Method',
  size: '>100k',
  reqsize: '>100k',
  ressize: '>100k',
  time: '>500ms',
  has: 'websocket',
  header: 'x-trace',
  body: '"order-42"',
  reqbody: '"order-42"',
  resbody: '"order-42"',
} as const;
type FieldName = keyof typeof FIELDS;
const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];

class QueryError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

// ─── Parsing ────────────────────────────────────────────────────────────────────────────

export function parseQuery(text: string): ParseResult {
  try {
    return { ok: true, query: parse(text) };
  } catch (e) {
    if (e instanceof QueryError) return { ok: false, error: e.message, at: e.at };
    throw e;
  }
}

const isSpace = (c: string | undefined): boolean => c !== undefined && /\s/.test(c);
const FIELD_RE = /([A-Za-z][A-Za-z0-9_]*)(>=|<=|:|>|<)/y;
const OPERATOR_RE = /^(>=|<=|>|<)/;

function parse(text: string): Query {
  const groups: QueryTerm[][] = [];
  let group: QueryTerm[] = [];
  let orAt = -1;
  let i = 0;
  for (;;) {
    while (isSpace(text[i])) i++;
    if (i >= text.length) break;
    const start = i;
    if (text.startsWith('OR', i) && (i + 2 === text.length || isSpace(text[i + 2]))) {
      if (group.length === 0) {
        throw new QueryError('OR needs a term before it, such as status:5xx OR time>1s', i);
      }
      groups.push(group);
      group = [];
      orAt = i;
      i += 2;
      continue;
    }
    let negated = false;
    if (text[i] === '-') {
      if (i + 1 === text.length || isSpace(text[i + 1])) {
        throw new QueryError("'-' needs a term right after it, such as -status:2xx", i);
      }
      negated = true;
      i++;
    }
    const read = readTerm(text, i);
    i = read.end;
    group.push({ ...read.test, source: text.slice(start, i), at: start, negated });
  }
  if (group.length > 0) groups.push(group);
  else if (orAt >= 0)
    throw new QueryError('OR needs a term after it, such as status:5xx OR time>1s', orAt);
  return { groups };
}

/**
 * A value runs to the next space; quoted parts (`"…"`, with `\"` and `\\` inside) may hold
 * spaces and join the parts next to them, as in a shell: `x-trace="a b"` is `x-trace=a b`.
 */
function readValue(text: string, from: number): { value: string; end: number } {
  let value = '';
  let i = from;
  while (i < text.length && !isSpace(text[i])) {
    if (text[i] !== '"') {
      value += text[i++];
      continue;
    }
    const open = i++;
    for (;;) {
      if (i >= text.length) throw new QueryError('unclosed quote: add a closing "', open);
      const c = text[i++]!;
      if (c === '"') break;
      value += c === '\\' && (text[i] === '"' || text[i] === '\\') ? text[i++] : c;
    }
  }
  return { value, end: i };
}

function readTerm(text: string, at: number): { test: QueryTest; end: number } {
  FIELD_RE.lastIndex = at;
  const m = FIELD_RE.exec(text);
  if (m) {
    const name = m[1]!.toLowerCase();
    if (name in FIELDS) {
      const valueAt = at + m[0].length;
      const { value, end } = readValue(text, valueAt);
      return { test: fieldTest(name as FieldName, m[2]!, value, valueAt), end };
    }
    const close = closest(name, FIELD_NAMES);
    if (close) {
      throw new QueryError(
        `unknown field '${m[1]}' (did you mean ${close}?); quote it to search for the text`,
        at,
      );
    }
  }
  const { value, end } = readValue(text, at);
  // Only quotes can make a value empty: an unquoted one has at least its first character.
  if (value === '') throw new QueryError('empty quotes: put the text to find between them', at);
  return { test: { field: 'text', text: value.toLowerCase() }, end };
}

function fieldTest(field: FieldName, written: string, value: string, at: number): QueryTest {
  let op = written;
  // `size:>100k` is `size>100k` (status lists read their own: `status:4xx,>=500`); other
  // fields keep a leading `>` as text, so `body:>Hello` finds HTML.
  const numeric =
    field === 'size' || field === 'reqsize' || field === 'ressize' || field === 'time';
  const inValue = numeric && op === ':' ? OPERATOR_RE.exec(value) : null;
  if (inValue) {
    op = inValue[1]!;
    value = value.slice(op.length);
    at += op.length;
  }
  if (value === '') {
    throw new QueryError(
      `${field} needs a value, such as ${field}${colon(field)}${FIELDS[field]}`,
      at,
    );
  }
  const comparison = op === ':' ? undefined : (op as Comparison);
  switch (field) {
    case 'size':
    case 'reqsize':
    case 'ressize': {
      const side = field === 'size' ? 'both' : field === 'reqsize' ? 'request' : 'response';
      if (!comparison) {
        throw new QueryError(
          `${field} needs a comparison, such as ${field}>100k or ${field}<1mb`,
          at,
        );
      }
      return { field: 'size', side, op: comparison, bytes: parseBytes(field, value, at) };
    }
    case 'time': {
      if (!comparison) {
        throw new QueryError('time needs a comparison, such as time>500ms or time<2s', at);
      }
      const ms = /^\d+(\.\d+)?$/.test(value) ? Number(value) : parseDuration(value);
      if (ms === undefined) throw new QueryError('time needs a duration such as 500ms or 2s', at);
      return { field: 'time', op: comparison, ms };
    }
    case 'status':
      return { field: 'status', ranges: statusRanges(value, comparison, at) };
  }
  if (comparison) {
    throw new QueryError(
      `${field} takes ':' rather than '${op}', such as ${field}:${FIELDS[field]}`,
      at - op.length,
    );
  }
  switch (field) {
    case 'method':
      return { field, methods: list(field, value, at).map((m) => m.toUpperCase()) };
    case 'host':
    case 'route':
    case 'rule':
      return { field, patterns: list(field, value, at).map((p) => p.toLowerCase()) };
    case 'member':
    case 'url':
      return { field, text: value.toLowerCase() };
    case 'proto':
      return { field, protocols: protocols(value, at) };
    case 'grpc': {
      const slash = value.indexOf('/');
      const service = slash < 0 ? value : value.slice(0, slash);
      const method = slash < 0 ? '' : value.slice(slash + 1);
      if (service === '' && method === '') {
        throw new QueryError('grpc needs a service or method, such as grpc:Greeter/SayHello', at);
      }
      return { field, service: service.toLowerCase(), method: method.toLowerCase() };
    }
    case 'has': {
      const what = value.toLowerCase() === 'ws' ? 'websocket' : value.toLowerCase();
      if (!(QUERY_HAS as readonly string[]).includes(what)) {
        throw new QueryError(
          `has is one of ${QUERY_HAS.join(', ')}, not '${value}'${didYouMean(what, QUERY_HAS)}`,
          at,
        );
      }
      return { field, what: what as QueryHas };
    }
    case 'header': {
      const eq = value.indexOf('=');
      const name = (eq < 0 ? value : value.slice(0, eq)).toLowerCase();
      if (name === '') throw new QueryError('header needs a name, such as header:x-trace=abc', at);
      return eq < 0 ? { field, name } : { field, name, value: value.slice(eq + 1).toLowerCase() };
    }
    case 'body':
    case 'reqbody':
    case 'resbody': {
      const side = field === 'body' ? 'both' : field === 'reqbody' ? 'request' : 'response';
      return { field: 'body', side, text: value.toLowerCase() };
    }
  }
}

const colon = (field: FieldName): string => (OPERATOR_RE.test(FIELDS[field]) ? '' : ':');

function list(field: string, value: string, at: number): string[] {
  const items = value.split(',');
  let offset = 0;
  for (const item of items) {
    if (item === '') throw new QueryError(`${field}: empty item in the list`, at + offset);
    offset += item.length + 1;
  }
  return items;
}

const BYTE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

function parseBytes(field: string, value: string, at: number): number {
  const m = /^(\d+(?:\.\d+)?)([a-z]*)$/i.exec(value);
  const unit = BYTE_UNITS[(m?.[2] || 'b').toLowerCase()];
  if (!m || unit === undefined) {
    throw new QueryError(`${field} needs a number such as 100k (b, k, kb, m, mb: 1024-based)`, at);
  }
  return Math.round(Number(m[1]) * unit);
}

function statusRanges(
  value: string,
  comparison: Comparison | undefined,
  at: number,
): Array<[number, number]> {
  if (comparison) return [statusBound(comparison, value, at)];
  let offset = 0;
  return list('status', value, at).map((item) => {
    const itemAt = at + offset;
    offset += item.length + 1;
    const op = OPERATOR_RE.exec(item)?.[1] as Comparison | undefined;
    if (op) return statusBound(op, item.slice(op.length), itemAt + op.length);
    let m = /^([0-5])xx$/i.exec(item);
    if (m) return m[1] === '0' ? [0, 0] : [Number(m[1]) * 100, Number(m[1]) * 100 + 99];
    m = /^(\d{1,3})(?:-(\d{3}))?$/.exec(item);
    if (m) return [Number(m[1]), Number(m[2] ?? m[1])];
    throw new QueryError(`status takes 404, 5xx, 4xx,5xx, 500-504 or >=500, not '${item}'`, itemAt);
  });
}

/** `<` and `<=` start at 100: "no response" (0) is asked for by name (`status:0`). */
function statusBound(op: Comparison, value: string, at: number): [number, number] {
  if (!/^\d{1,3}$/.test(value)) {
    throw new QueryError(`status${op} needs a status code such as ${op}500, not '${value}'`, at);
  }
  const n = Number(value);
  if (op === '>') return [n + 1, 999];
  if (op === '>=') return [n, 999];
  if (op === '<') return [100, n - 1];
  return [100, n];
}

const PROTOCOL_ALIASES: Record<string, QueryProtocol> = {
  h1: 'h1',
  http1: 'h1',
  'http/1.1': 'h1',
  '1.1': 'h1',
  h2: 'h2',
  http2: 'h2',
  '2': 'h2',
  ws: 'ws',
  websocket: 'ws',
  grpc: 'grpc',
};

function protocols(value: string, at: number): QueryProtocol[] {
  let offset = 0;
  return value.split(/[,|]/).map((item) => {
    const itemAt = at + offset;
    offset += item.length + 1;
    const p = PROTOCOL_ALIASES[item.toLowerCase()];
    if (!p) {
      throw new QueryError(
        `proto is h1, h2, ws or grpc, not '${item}'${didYouMean(item.toLowerCase(), QUERY_PROTOCOLS)}`,
        itemAt,
      );
    }
    return p;
  });
}

const didYouMean = (word: string, options: readonly string[]): string => {
  const close = closest(word, options);
  return close ? ` (did you mean ${close}?)` : '';
};

/**
 * The option a word is a typo of: at most one edit (a swap of neighbours counts as one)
 * for short words, two for longer ones. Kept tight so that `localhost:8080` or `http://x`
 * stay plain text instead of being "corrected" into a field.
 */
function closest(word: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = word.length <= 4 ? 2 : 3;
  for (const option of options) {
    const d = editDistance(word, option);
    if (d < bestDistance) [best, bestDistance] = [option, d];
  }
  return best;
}

/** Optimal string alignment distance (Levenshtein with transpositions). */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[0]!.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]!.push(d);
    }
  }
  return rows[a.length]![b.length]!;
}

export { QUERY_HELP } from './traffic-query-help.js';
export {
  compileQuery,
  queryNeeds,
  type Match,
  type MatchHit,
  type QueryAccess,
  type QueryMatcher,
  type QuerySubject,
} from './traffic-query-match.js';
