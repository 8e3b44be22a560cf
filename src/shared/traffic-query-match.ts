/**
 * Matching for the traffic filter language (traffic-query.ts): a parsed Query compiled
 * once into a predicate that runs per exchange — cheap summary terms first, then headers,
 * then bodies, each fetched at most once — and says where each term matched.
 */
import type { BodySide, ExchangeSummary, HeaderPairs } from './exchange.js';
import type { Comparison, Query, QueryHas, QueryProtocol, QueryTerm } from './traffic-query.js';

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
