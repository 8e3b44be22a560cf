/**
 * Structural JSON diff (bodies in the exchange diff and the fan-out table): object keys
 * compared as sets, so key order never counts; arrays compared by index; paths written
 * as JSONPath (`$.items[2].price`, `$["content-type"]`) and ignorable with wildcards.
 * Pure; no Node imports.
 */

export type JsonChangeKind = 'added' | 'removed' | 'changed' | 'type';

/**
 * One difference. `added` has only `b`, `removed` only `a` (the whole subtree, not its
 * leaves); `changed` is a primitive of the same JSON type with another value; `type` is
 * a value of another JSON type (`1` → `"1"`, `{}` → `[]`, anything ↔ `null`).
 */
export interface JsonChange {
  path: string;
  kind: JsonChangeKind;
  a?: unknown;
  b?: unknown;
}

export interface JsonDiffOptions {
  /**
   * Paths left out with their subtrees: `$.meta` (and everything under it), `$.meta.*`
   * (every key of meta, not meta itself), `$.items[*].id`, `$..timestamp` (that key at
   * any depth), `$["x-trace"]`. A pattern that does not start with `$` is taken as `$..`
   * followed by it, so `updatedAt` ignores that key wherever it is.
   */
  ignorePaths?: readonly string[];
}

export type JsonType = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

export function jsonType(value: unknown): JsonType {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  const t = typeof value;
  return t === 'boolean' || t === 'number' || t === 'string' ? t : 'object';
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The JSONPath of a child: `.name` when it reads as an identifier, else `["…"]`. */
export function childPath(parent: string, segment: string | number): string {
  if (typeof segment === 'number') return `${parent}[${segment}]`;
  return IDENTIFIER.test(segment)
    ? `${parent}.${segment}`
    : `${parent}[${JSON.stringify(segment)}]`;
}

// ---- ignore patterns -------------------------------------------------------------

type Token =
  | { kind: 'key'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'any' }
  /** Zero or more segments, then the token after it. */
  | { kind: 'descend' };

function parsePattern(pattern: string): Token[] | string {
  let text = pattern.trim();
  if (text === '') return 'an empty path';
  if (!text.startsWith('$'))
    text = text.startsWith('.') || text.startsWith('[') ? `$${text}` : `$..${text}`;
  const tokens: Token[] = [];
  let i = 1;
  const fail = (why: string): string => `${why} at character ${i + 1} of '${text}'`;
  while (i < text.length) {
    if (text.startsWith('..', i)) {
      tokens.push({ kind: 'descend' });
      i += 2;
      if (text[i] === '[') continue;
    } else if (text[i] === '.') {
      i += 1;
    } else if (text[i] !== '[') {
      return fail("expected '.' or '['");
    }
    if (text[i] === '[') {
      const close = text[i + 1] === '"' || text[i + 1] === "'" ? closingQuote(text, i + 1) : i;
      if (close < 0) return fail('unclosed quote');
      const end = text.indexOf(']', close);
      if (end < 0) return fail("missing ']'");
      const inner = text.slice(i + 1, end).trim();
      i = end + 1;
      if (inner === '*') tokens.push({ kind: 'any' });
      else if (/^\d+$/.test(inner)) tokens.push({ kind: 'index', index: Number(inner) });
      else if (inner.startsWith('"')) {
        try {
          tokens.push({ kind: 'key', name: String(JSON.parse(inner)) });
        } catch {
          return fail(`bad quoted name ${inner}`);
        }
      } else if (inner.startsWith("'")) {
        tokens.push({ kind: 'key', name: inner.slice(1, -1).replace(/\\(.)/g, '$1') });
      } else return fail(`expected a number, '*' or a quoted name, not '${inner}'`);
      continue;
    }
    const start = i;
    while (i < text.length && text[i] !== '.' && text[i] !== '[') i++;
    const name = text.slice(start, i);
    if (name === '') return fail('expected a name');
    tokens.push(name === '*' ? { kind: 'any' } : { kind: 'key', name });
  }
  if (tokens[tokens.length - 1]?.kind === 'descend') return fail("expected a name after '..'");
  return tokens;
}

function closingQuote(text: string, open: number): number {
  const quote = text[open];
  for (let i = open + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === quote) return i;
  }
  return -1;
}

/** Why an ignore pattern is not understood, or undefined when it is (for a form field). */
export function checkIgnorePath(pattern: string): string | undefined {
  const parsed = parsePattern(pattern);
  return typeof parsed === 'string' ? parsed : undefined;
}

// A pattern runs as a small automaton alongside the walk: each node carries the positions
// every pattern has reached, so deciding "ignored?" costs the same at any depth.
interface State {
  tokens: Token[];
  at: number;
}

function tokenMatches(token: Token | undefined, segment: string | number): boolean {
  if (!token) return false;
  if (token.kind === 'any') return true;
  if (token.kind === 'key') return segment === token.name;
  if (token.kind === 'index') return segment === token.index;
  return false;
}

function step(states: State[], segment: string | number): State[] {
  if (states.length === 0) return states;
  const out: State[] = [];
  const add = (tokens: Token[], at: number): void => {
    if (!out.some((s) => s.tokens === tokens && s.at === at)) out.push({ tokens, at });
  };
  for (const { tokens, at } of states) {
    const token = tokens[at];
    if (token?.kind === 'descend') {
      add(tokens, at);
      if (tokenMatches(tokens[at + 1], segment)) add(tokens, at + 2);
    } else if (tokenMatches(token, segment)) add(tokens, at + 1);
  }
  return out;
}

const ignored = (states: State[]): boolean => states.some((s) => s.at === s.tokens.length);

// ---- the walk --------------------------------------------------------------------

const MISSING = Symbol('missing');

interface Item {
  a: unknown;
  b: unknown;
  path: string;
  states: State[];
}

/**
 * Differences from A to B, in document order (A's keys first, then keys only B has).
 * Arrays are compared index by index: an element inserted at the front shows as every
 * later index changed. That is the honest answer without knowing what identifies an
 * element, and it is what a developer comparing two answers to the same question reads
 * best (`$.items[2].price`); ignore a moving part with `$.items[*].field`.
 *
 * Iterative, so a deeply nested body cannot overflow the stack. Throws when an ignore
 * pattern is not understood (check user input first with `checkIgnorePath`).
 */
export function diffJson(a: unknown, b: unknown, options: JsonDiffOptions = {}): JsonChange[] {
  const initial: State[] = [];
  for (const pattern of options.ignorePaths ?? []) {
    const tokens = parsePattern(pattern);
    if (typeof tokens === 'string') throw new Error(`ignore path '${pattern}': ${tokens}`);
    initial.push({ tokens, at: 0 });
  }

  const changes: JsonChange[] = [];
  const stack: Item[] = [{ a, b, path: '$', states: initial }];
  const child = (parent: Item, segment: string | number, a: unknown, b: unknown): Item => ({
    a,
    b,
    path: childPath(parent.path, segment),
    states: step(parent.states, segment),
  });

  while (stack.length > 0) {
    const item = stack.pop()!;
    if (ignored(item.states)) continue;
    const { a, b, path } = item;
    if (a === MISSING) {
      changes.push({ path, kind: 'added', b });
      continue;
    }
    if (b === MISSING) {
      changes.push({ path, kind: 'removed', a });
      continue;
    }
    const ta = jsonType(a);
    const tb = jsonType(b);
    if (ta !== tb) {
      changes.push({ path, kind: 'type', a, b });
      continue;
    }
    const children: Item[] = [];
    if (ta === 'array') {
      const aa = a as unknown[];
      const ba = b as unknown[];
      for (let i = 0; i < Math.max(aa.length, ba.length); i++) {
        children.push(
          child(item, i, i < aa.length ? aa[i] : MISSING, i < ba.length ? ba[i] : MISSING),
        );
      }
    } else if (ta === 'object') {
      const ao = a as Record<string, unknown>;
      const bo = b as Record<string, unknown>;
      for (const key of Object.keys(ao)) {
        children.push(child(item, key, ao[key], Object.hasOwn(bo, key) ? bo[key] : MISSING));
      }
      for (const key of Object.keys(bo)) {
        if (!Object.hasOwn(ao, key)) children.push(child(item, key, MISSING, bo[key]));
      }
    } else if (a !== b) {
      changes.push({ path, kind: 'changed', a, b });
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return changes;
}
