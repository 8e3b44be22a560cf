/**
 * A parsed JSON value as a tree the inspector can show a few rows of at a time. Nodes are
 * made only when their parent is open, and a container lists at most a page of children
 * until asked for more, so a 5 MB body with 100,000 array items costs one JSON.parse and
 * the rows on screen, not 100,000 components. The rows are one flat list (depth gives the
 * indent): cheap to compute again on every toggle and easy to walk with a keyboard.
 */

export type JsonKind = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';

export interface JsonNode {
  /** The JSONPath of this value: `$`, `$.items[2].price`, `$["content-type"]`. */
  readonly path: string;
  /** The member name or array index under its parent; undefined for the root. */
  readonly key: string | number | undefined;
  readonly value: unknown;
  readonly kind: JsonKind;
  /** Members or items of an object or array; 0 for a leaf. */
  readonly count: number;
}

export type JsonRow =
  | { kind: 'node'; node: JsonNode; depth: number; open: boolean }
  /** Children of `parent` not listed yet. */
  | { kind: 'more'; parent: JsonNode; depth: number; hidden: number };

/** Children listed per container before "show more"; each click lists this many more. */
export const CHILD_PAGE = 1000;
/** "Expand all" stops opening containers once this many rows would show. */
export const EXPAND_ALL_ROWS = 5000;
/** Strings longer than this are cut in the tree (the Text view shows them whole). */
export const STRING_SHOWN = 10_000;

/** RFC 9535's member-name shorthand (ASCII only here); anything else goes in brackets. */
const SHORTHAND = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function jsonPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return SHORTHAND.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

function kindOf(value: unknown): JsonKind {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'object':
      return 'object';
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    default:
      return 'boolean';
  }
}

/**
 * Keys of objects, made once per object and only when it is opened (Object.keys of an
 * object with 100,000 members is not free, and rows are computed again on every toggle).
 */
const keysCache = new WeakMap<object, string[]>();
/** Child nodes by parent value, made as they are first listed. */
const childCache = new WeakMap<object, JsonNode[]>();

function keysOf(value: object): string[] {
  let keys = keysCache.get(value);
  if (!keys) {
    keys = Object.keys(value);
    keysCache.set(value, keys);
  }
  return keys;
}

function makeNode(path: string, key: string | number | undefined, value: unknown): JsonNode {
  const kind = kindOf(value);
  const count =
    kind === 'array'
      ? (value as unknown[]).length
      : kind === 'object'
        ? keysOf(value as object).length
        : 0;
  return { path, key, value, kind, count };
}

export function rootNode(value: unknown): JsonNode {
  return makeNode('$', undefined, value);
}

export function isContainer(node: JsonNode): boolean {
  return node.kind === 'object' || node.kind === 'array';
}

/** The first `limit` children of a container (none for a leaf). */
export function childNodes(node: JsonNode, limit: number = CHILD_PAGE): JsonNode[] {
  if (!isContainer(node)) return [];
  const parent = node.value as object;
  let made = childCache.get(parent);
  if (!made) {
    made = [];
    childCache.set(parent, made);
  }
  const end = Math.min(limit, node.count);
  if (node.kind === 'array') {
    const items = parent as unknown[];
    for (let i = made.length; i < end; i++)
      made.push(makeNode(jsonPath(node.path, i), i, items[i]));
  } else {
    const keys = keysOf(parent);
    const record = parent as Record<string, unknown>;
    for (let i = made.length; i < end; i++) {
      const key = keys[i]!;
      made.push(makeNode(jsonPath(node.path, key), key, record[key]));
    }
  }
  return made.slice(0, end);
}

/**
 * The rows to show: the root, and the children of every open container (paths in `open`),
 * at most `shown.get(path) ?? CHILD_PAGE` of them each, then a "more" row.
 */
export function visibleRows(
  root: JsonNode,
  open: ReadonlySet<string>,
  shown: ReadonlyMap<string, number> = new Map(),
): JsonRow[] {
  const rows: JsonRow[] = [];
  // An explicit stack, not recursion: a deeply nested body must not overflow the call
  // stack. Entries are rows waiting their turn; a node pops as itself and pushes its
  // children (and the "more" row after them) in reverse, so they come out in order.
  const stack: JsonRow[] = [{ kind: 'node', node: root, depth: 0, open: false }];
  while (stack.length > 0) {
    const row = stack.pop()!;
    if (row.kind === 'more') {
      rows.push(row);
      continue;
    }
    const { node, depth } = row;
    const isOpen = isContainer(node) && open.has(node.path);
    rows.push({ kind: 'node', node, depth, open: isOpen });
    if (!isOpen) continue;
    const children = childNodes(node, shown.get(node.path) ?? CHILD_PAGE);
    const hidden = node.count - children.length;
    if (hidden > 0) stack.push({ kind: 'more', parent: node, depth: depth + 1, hidden });
    for (let i = children.length - 1; i >= 0; i--) {
      stack.push({ kind: 'node', node: children[i]!, depth: depth + 1, open: false });
    }
  }
  return rows;
}

/**
 * The containers "expand all" opens: breadth first, so the shallow levels open before any
 * deep one, and stopping before the rows shown pass `budget` (a 5 MB body fully open would
 * be hundreds of thousands of rows). `complete` says whether every container fit.
 */
export function expandAll(
  root: JsonNode,
  budget: number = EXPAND_ALL_ROWS,
): { open: Set<string>; complete: boolean } {
  const open = new Set<string>();
  let rows = 1;
  const queue: JsonNode[] = [root];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    if (!isContainer(node)) continue;
    const listed = Math.min(node.count, CHILD_PAGE) + (node.count > CHILD_PAGE ? 1 : 0);
    if (rows + listed > budget) return { open, complete: false };
    rows += listed;
    open.add(node.path);
    for (const child of childNodes(node)) if (isContainer(child)) queue.push(child);
  }
  return { open, complete: true };
}

/** How a node reads after its key: a leaf as JSON, a container by its size. */
export function valueText(node: JsonNode): string {
  switch (node.kind) {
    case 'object':
      return `{${node.count} ${node.count === 1 ? 'key' : 'keys'}}`;
    case 'array':
      return `[${node.count} ${node.count === 1 ? 'item' : 'items'}]`;
    case 'string': {
      const text = node.value as string;
      if (text.length <= STRING_SHOWN) return JSON.stringify(text);
      const more = text.length - STRING_SHOWN;
      return `${JSON.stringify(text.slice(0, STRING_SHOWN))}… (${more.toLocaleString('en')} more characters)`;
    }
    default:
      return String(node.value);
  }
}

/** A JSON value from text, or undefined when it is not JSON. */
export function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}
