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
import type { BodySide, ExchangeSummary, HeaderPairs } from './exchange.js';

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

export const QUERY_HELP: ReadonlyArray<{ field: string; example: string; meaning: string }> = [
  {
    field: 'text',
    example: 'checkout',
    meaning:
      'URL, host, method, status, route, member or any header name or value contains it (any case)',
  },
  {
    field: '"…"',
    example: '"order 42"',
    meaning: 'quotes keep words together; a quoted field:value is plain text',
  },
  { field: '-', example: '-status:2xx', meaning: 'not: the term must not match' },
  {
    field: 'OR',
    example: 'status:5xx OR time>1s',
    meaning: 'either side; binds looser than the spaces between terms',
  },
  {
    field: 'status',
    example: 'status:5xx',
    meaning: 'response status: 404, 5xx, 4xx,5xx, 500-504, >=500; 0 is no response',
  },
  { field: 'method', example: 'method:POST,PUT', meaning: 'request method, any of a list' },
  {
    field: 'host',
    example: 'host:*.shop.test',
    meaning: 'Host the client asked for, with or without the port; * and ? are wildcards',
  },
  { field: 'url', example: 'url:/api/orders', meaning: 'path and query contain it' },
  {
    field: 'route',
    example: 'route:shop',
    meaning: 'name of the route that served it (wildcards allowed)',
  },
  {
    field: 'member',
    example: 'member:9002',
    meaning: 'URL of the member (or backend) that served it contains it',
  },
  {
    field: 'rule',
    example: 'rule:no-cache',
    meaning: 'a rule by that name acted on it (no rules exist yet: matches nothing today)',
  },
  {
    field: 'proto',
    example: 'proto:h2',
    meaning: 'h1, h2, ws (WebSocket) or grpc; a WebSocket is also h1, a gRPC call also h2',
  },
  {
    field: 'grpc',
    example: 'grpc:Greeter/SayHello',
    meaning:
      'gRPC service and/or method (grpc:Greeter, grpc:/SayHello); the package may be left out',
  },
  {
    field: 'size',
    example: 'size>100k',
    meaning: 'request + response body bytes; b, k, kb, m, mb (1024-based); also >=, <, <=',
  },
  { field: 'reqsize', example: 'reqsize>1mb', meaning: 'request body bytes' },
  { field: 'ressize', example: 'ressize<1k', meaning: 'response body bytes' },
  {
    field: 'time',
    example: 'time>500ms',
    meaning: 'total time (ms, s, m); pending exchanges have none yet and never match',
  },
  {
    field: 'has',
    example: 'has:websocket',
    meaning: 'websocket, body (any body bytes), error (failed, aborted or an error page) or grpc',
  },
  {
    field: 'header',
    example: 'header:x-trace=abc',
    meaning:
      'a request or response header by that name (wildcards allowed), optionally whose value contains the text after =',
  },
  {
    field: 'body',
    example: 'body:"order-42"',
    meaning:
      'captured request or response body, decoded (gzip, br, deflate, zstd), contains it (any case)',
  },
  { field: 'reqbody', example: 'reqbody:"sku"', meaning: 'captured request body contains it' },
  { field: 'resbody', example: 'resbody:"error"', meaning: 'captured response body contains it' },
];

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

// ─── Matching ───────────────────────────────────────────────────────────────────────────

/** A summary as the matcher reads it: `rules` once rules exist (until then, absent). */
export type QuerySubject = ExchangeSummary & { rules?: readonly string[] };

/**
 * What the matcher may ask beyond the summary, each asked lazily (only when the cheaper
 * terms of an alternative all matched) and at most once per exchange and evaluation.
 * Without `headers`, free text searches the summary only and header terms match nothing;
 * without `body`, body terms match nothing (so `-body:x` matches everything).
 */
export interface QueryAccess {
  headers?(id: number): { request: HeaderPairs; response: HeaderPairs } | undefined;
  /** The body as decoded text (content-encoding undone), or undefined when there is none. */
  body?(id: number, side: BodySide): string | undefined;
}

export interface MatchHit {
  /** The term as written. */
  term: string;
  /** Where it matched: `url`, `status`, `request header x-trace`, `response body`… */
  field: string;
  /** The matching text in its context, for header and body matches. */
  snippet?: string;
}

/**
 * Where the terms of the matching alternative matched, in the order they were written.
 * Negated terms match by matching nowhere: they are not listed.
 */
export interface Match {
  hits: MatchHit[];
}

export type QueryMatcher = (summary: QuerySubject) => Match | undefined;

/** What a query needs beyond summaries: the renderer asks the engine when it needs either. */
export function queryNeeds(query: Query): { headers: boolean; bodies: boolean } {
  const terms = query.groups.flat();
  return {
    headers: terms.some((t) => t.field === 'text' || t.field === 'header'),
    bodies: terms.some((t) => t.field === 'body'),
  };
}

/** What one exchange's evaluation fetched, so two terms never fetch the same thing twice. */
class Subject {
  #headers: { request: HeaderPairs; response: HeaderPairs } | null | undefined;
  #bodies: Partial<Record<BodySide, string | null>> = {};
  constructor(
    readonly summary: QuerySubject,
    readonly access: QueryAccess,
  ) {}

  headers(): { request: HeaderPairs; response: HeaderPairs } | null {
    if (this.#headers === undefined) this.#headers = this.access.headers?.(this.summary.id) ?? null;
    return this.#headers;
  }

  body(side: BodySide): string | null {
    let text = this.#bodies[side];
    if (text === undefined) {
      text = this.access.body?.(this.summary.id, side) ?? null;
      this.#bodies[side] = text;
    }
    return text;
  }
}

type Found = Omit<MatchHit, 'term'>;
interface CompiledTerm {
  term: QueryTerm;
  /** 0: the summary alone; 1: may read headers; 2: reads bodies. */
  cost: number;
  test(subject: Subject): Found | undefined;
}

export function compileQuery(query: Query, access: QueryAccess = {}): QueryMatcher {
  if (query.groups.length === 0) return () => ({ hits: [] });
  const groups = query.groups
    .map((group) =>
      group
        .map((term, order) => ({ ...compileTerm(term), order }))
        // Cheap terms first: a body is decoded only for exchanges everything else let through.
        .sort((a, b) => a.cost - b.cost || a.order - b.order),
    )
    .sort((a, b) => maxCost(a) - maxCost(b));
  return (summary) => {
    const subject = new Subject(summary, access);
    for (const group of groups) {
      const hits: Array<MatchHit & { order: number }> = [];
      let matched = true;
      for (const c of group) {
        const found = c.test(subject);
        if (c.term.negated ? found !== undefined : found === undefined) {
          matched = false;
          break;
        }
        if (found) hits.push({ term: c.term.source, ...found, order: c.order });
      }
      if (matched) {
        return { hits: hits.sort((a, b) => a.order - b.order).map(({ order: _, ...hit }) => hit) };
      }
    }
    return undefined;
  };
}

const maxCost = (group: CompiledTerm[]): number => Math.max(...group.map((c) => c.cost));

function compileTerm(term: QueryTerm): CompiledTerm {
  const summaryTest = (test: (s: QuerySubject) => Found | undefined): CompiledTerm => ({
    term,
    cost: 0,
    test: (subject) => test(subject.summary),
  });
  switch (term.field) {
    case 'status':
      return summaryTest((s) =>
        term.ranges.some(([lo, hi]) => s.status >= lo && s.status <= hi)
          ? { field: 'status' }
          : undefined,
      );
    case 'method':
      return summaryTest((s) =>
        term.methods.includes(s.method.toUpperCase()) ? { field: 'method' } : undefined,
      );
    case 'host': {
      const globs = term.patterns.map(glob);
      return summaryTest((s) => {
        const hostname = s.host.replace(/:\d+$/, '');
        return globs.some((g) => g.test(s.host) || g.test(hostname))
          ? { field: 'host' }
          : undefined;
      });
    }
    case 'route': {
      const globs = term.patterns.map(glob);
      return summaryTest((s) =>
        s.route !== undefined && globs.some((g) => g.test(s.route!))
          ? { field: 'route' }
          : undefined,
      );
    }
    case 'rule': {
      const globs = term.patterns.map(glob);
      return summaryTest((s) => {
        const rule = s.rules?.find((r) => globs.some((g) => g.test(r)));
        return rule === undefined ? undefined : { field: 'rule', snippet: rule };
      });
    }
    case 'member': {
      const re = substring(term.text);
      return summaryTest((s) =>
        s.member !== undefined && re.test(s.member) ? { field: 'member' } : undefined,
      );
    }
    case 'url': {
      const re = substring(term.text);
      return summaryTest((s) => (re.test(s.url) ? { field: 'url' } : undefined));
    }
    case 'proto':
      return summaryTest((s) => {
        const p = term.protocols.find((p) => isProtocol(s, p));
        return p === undefined ? undefined : { field: 'proto', snippet: p };
      });
    case 'grpc':
      return summaryTest((s) => {
        if (!s.grpc) return undefined;
        const service = s.grpc.service.toLowerCase();
        const serviceOk =
          term.service === '' || service === term.service || service.endsWith(`.${term.service}`);
        const methodOk = term.method === '' || s.grpc.method.toLowerCase() === term.method;
        return serviceOk && methodOk ? { field: 'grpc' } : undefined;
      });
    case 'size': {
      const label = term.side === 'both' ? 'size' : `${term.side} size`;
      return summaryTest((s) => {
        const bytes =
          term.side === 'request'
            ? s.requestBytes
            : term.side === 'response'
              ? s.responseBytes
              : s.requestBytes + s.responseBytes;
        return compare(bytes, term.op, term.bytes) ? { field: label } : undefined;
      });
    }
    case 'time':
      return summaryTest((s) =>
        s.timings.done !== undefined && compare(s.timings.done, term.op, term.ms)
          ? { field: 'time' }
          : undefined,
      );
    case 'has':
      return summaryTest((s) => (has(s, term.what) ? { field: term.what } : undefined));
    case 'header': {
      const name = glob(term.name);
      const value = term.value === undefined ? undefined : substring(term.value);
      return {
        term,
        cost: 1,
        test: (subject) =>
          findHeader(subject, (n, v) => name.test(n) && (value === undefined || value.test(v))),
      };
    }
    case 'body': {
      const re = substring(term.text);
      const sides: BodySide[] = term.side === 'both' ? ['request', 'response'] : [term.side];
      return {
        term,
        cost: 2,
        test: (subject) => {
          for (const side of sides) {
            const text = subject.body(side);
            const m = text === null ? null : re.exec(text);
            if (m) return { field: `${side} body`, snippet: snippet(text!, m.index, m[0].length) };
          }
          return undefined;
        },
      };
    }
    case 'text': {
      const re = substring(term.text);
      return {
        term,
        cost: 1,
        test: (subject) => {
          const s = subject.summary;
          if (re.test(s.url)) return { field: 'url' };
          if (re.test(s.host)) return { field: 'host' };
          if (re.test(s.method)) return { field: 'method' };
          if (s.status !== 0 && re.test(String(s.status))) return { field: 'status' };
          if (s.route !== undefined && re.test(s.route)) return { field: 'route' };
          if (s.member !== undefined && re.test(s.member)) return { field: 'member' };
          return findHeader(subject, (n, v) => re.test(n) || re.test(v), re);
        },
      };
    }
  }
}

function findHeader(
  subject: Subject,
  test: (name: string, value: string) => boolean,
  highlight?: RegExp,
): Found | undefined {
  const headers = subject.headers();
  if (!headers) return undefined;
  for (const side of ['request', 'response'] as const) {
    for (const [name, value] of headers[side]) {
      if (!test(name, value)) continue;
      const line = `${name}: ${value}`;
      const m = highlight?.exec(line);
      return {
        field: `${side} header ${name.toLowerCase()}`,
        snippet: m ? snippet(line, m.index, m[0].length) : snippet(line, 0, 0),
      };
    }
  }
  return undefined;
}

function isProtocol(s: QuerySubject, p: QueryProtocol): boolean {
  switch (p) {
    case 'h1':
      return s.httpVersion?.startsWith('1') === true;
    case 'h2':
      return s.httpVersion?.startsWith('2') === true;
    case 'ws':
      return s.websocket !== undefined;
    case 'grpc':
      return s.grpc !== undefined;
  }
}

function has(s: QuerySubject, what: QueryHas): boolean {
  switch (what) {
    case 'websocket':
      return s.websocket !== undefined;
    case 'grpc':
      return s.grpc !== undefined;
    case 'body':
      return s.requestBytes + s.responseBytes > 0;
    case 'error':
      return s.error !== undefined || s.outcome === 'errored' || s.outcome === 'aborted';
  }
}

function compare(a: number, op: Comparison, b: number): boolean {
  return op === '>' ? a > b : op === '>=' ? a >= b : op === '<' ? a < b : a <= b;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A case-insensitive search for a literal: a RegExp with the `i` flag scans in place,
 * where lower-casing every URL or body first would copy each of them on every pass.
 */
const substring = (text: string): RegExp => new RegExp(escapeRegExp(text), 'i');

/** A whole-value glob: `*` any run, `?` one character, case-insensitive. */
const glob = (pattern: string): RegExp =>
  new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : escapeRegExp(c)))
      .join('')}$`,
    'i',
  );

const SNIPPET_CONTEXT = 30;

/** The match with some text either side, on one line, with … where it was cut. */
function snippet(text: string, index: number, length: number): string {
  const from = Math.max(0, index - SNIPPET_CONTEXT);
  const to = Math.min(text.length, index + length + SNIPPET_CONTEXT);
  const middle = text.slice(from, to).replace(/\s+/g, ' ');
  return `${from > 0 ? '…' : ''}${middle}${to < text.length ? '…' : ''}`;
}
