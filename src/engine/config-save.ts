/**
 * Writing the routing file back (balancer-manager changes, later the app's editor). The
 * file is a team's shared, commented document, so the new configuration is merged into
 * the existing YAML: only values that differ are written, comments and layout elsewhere
 * survive, defaults the user never wrote stay unwritten. The write is atomic (temporary
 * file + rename) and the previous file is kept as `<file>.bak`.
 */
import { copyFile, readFile, rename, writeFile } from 'node:fs/promises';
import { Document, isMap, isSeq, parseDocument } from 'yaml';
import { routingConfigSchema, type RoutingConfig } from '../shared/config.js';

type Path = (string | number)[];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What `path` holds in `value`. */
function getIn(value: unknown, path: Path): unknown {
  return path.reduce<unknown>(
    (v, key) => (v as Record<string | number, unknown> | undefined)?.[key],
    value,
  );
}

/**
 * A new list item as a user writes it: without the fields whose value is what the schema
 * fills in anyway (`{ name: db, port: 5432 }`, not every default spelled out).
 */
function leanItem(config: RoutingConfig, path: Path, item: unknown): unknown {
  if (!isPlainObject(item)) return item;
  const lean: Record<string, unknown> = { ...item };
  for (const key of Object.keys(item)) {
    const trial = { ...lean };
    delete trial[key];
    const candidate = structuredClone(config) as unknown as Record<string, unknown>;
    const parent = getIn(candidate, path.slice(0, -1)) as Record<string | number, unknown>;
    parent[path[path.length - 1]!] = trial;
    const parsed = routingConfigSchema.safeParse(candidate);
    if (parsed.success && JSON.stringify(getIn(parsed.data, path)) === JSON.stringify(item))
      delete lean[key];
  }
  return lean;
}

/** Write into `doc` at `path` what `next` has and `current` (the file as parsed) lacks. */
function merge(
  doc: Document,
  path: Path,
  current: unknown,
  next: unknown,
  lean: (path: Path, item: unknown) => unknown,
): void {
  if (JSON.stringify(current) === JSON.stringify(next)) return;
  const node = path.length === 0 ? doc.contents : doc.getIn(path, true);
  if (isPlainObject(next) && isPlainObject(current) && isMap(node)) {
    for (const key of Object.keys(next)) merge(doc, [...path, key], current[key], next[key], lean);
    for (const key of Object.keys(current)) if (!(key in next)) doc.deleteIn([...path, key]);
    return;
  }
  if (
    Array.isArray(next) &&
    Array.isArray(current) &&
    isSeq(node) &&
    next.length === current.length
  ) {
    next.forEach((item, i) => merge(doc, [...path, i], current[i], item, lean));
    return;
  }
  if (Array.isArray(next) && Array.isArray(current) && isSeq(node)) {
    // One item added at the end, or one taken out: the others keep their comments.
    const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
    if (next.length > current.length && current.every((item, i) => same(item, next[i]))) {
      next.slice(current.length).forEach((item, i) => {
        node.add(doc.createNode(lean([...path, current.length + i], item)));
      });
      return;
    }
    if (next.length === current.length - 1) {
      const gone = current.findIndex((item, i) => !same(item, next[i]));
      if (next.every((item, i) => same(item, current[i < gone ? i : i + 1]))) {
        node.delete(gone);
        return;
      }
    }
  }
  doc.setIn(path, doc.createNode(next));
}

/** The YAML text of `config`, merged into `existingText` when there is one. */
export function renderRoutingFile(config: RoutingConfig, existingText?: string): string {
  const doc = existingText === undefined ? undefined : parseDocument(existingText);
  if (!doc || doc.errors.length > 0 || !isMap(doc.contents)) {
    return new Document(config).toString();
  }
  const parsed = routingConfigSchema.safeParse(doc.toJS());
  // A file that does not parse as a config is replaced whole; its backup keeps it.
  if (!parsed.success) return new Document(config).toString();
  merge(doc, [], parsed.data, config, (path, item) => leanItem(config, path, item));
  return doc.toString();
}

export async function saveRoutingFile(path: string, config: RoutingConfig): Promise<void> {
  let existing: string | undefined;
  try {
    existing = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const text = renderRoutingFile(config, existing);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: 0o644 });
  if (existing !== undefined) await copyFile(path, `${path}.bak`);
  await rename(temporary, path);
}
