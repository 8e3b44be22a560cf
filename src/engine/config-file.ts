/**
 * Reading the routing file from disk: YAML with line numbers, validated by the shared zod
 * schema. Every problem is reported at once, each with file, line, column, field path and
 * reason, so a user fixes a broken file in one pass and never sees a stack trace.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, isNode, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { routingConfigSchema, type RoutingConfig } from '../shared/config.js';

export interface ConfigProblem {
  file: string;
  line?: number;
  column?: number;
  /** Field path such as `routes[2].to`; empty for the file as a whole. */
  path: string;
  message: string;
}

export type ConfigLoadResult =
  { ok: true; config: RoutingConfig } | { ok: false; problems: ConfigProblem[] };

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** `switchyard.yaml:14:5 routes[2].to: must be an http(s) URL …` one problem a line. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems
    .map((p) => {
      const where = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.column ?? 1}`;
      return p.path === '' ? `${where} ${p.message}` : `${where} ${p.path}: ${p.message}`;
    })
    .join('\n');
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value)',
};

/** The most specific node of the document that exists along a field path. */
function locate(doc: Document, path: readonly PropertyKey[]): { node: unknown; exact: boolean } {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as (string | number)[], true);
    if (isNode(node)) return { node, exact: n === path.length };
  }
  return { node: doc.contents, exact: false };
}

function issueToProblem(
  issue: z.core.$ZodIssue,
  doc: Document,
  lines: LineCounter,
  file: string,
): ConfigProblem {
  const { node, exact } = locate(doc, issue.path);
  const problem: ConfigProblem = { file, path: formatPath(issue.path), message: issue.message };
  if (isNode(node) && node.range) {
    const pos = lines.linePos(node.range[0]);
    problem.line = pos.line;
    problem.column = pos.col;
    const namesValue = issue.code === 'custom' && issue.params?.['reference'] === true;
    if (exact && issue.code !== 'invalid_type' && !namesValue) {
      const value = doc.getIn(issue.path as (string | number)[]);
      if (value !== undefined && typeof value !== 'object') {
        problem.message = `${describeValue(value)} ${issue.message}`;
      }
    }
  }
  if (issue.code === 'invalid_type') {
    const expected = EXPECTED[issue.expected] ?? issue.expected;
    const value = exact ? doc.getIn(issue.path as (string | number)[]) : undefined;
    problem.message =
      value === undefined
        ? `missing; expected ${expected}`
        : `${describeValue(value)} is not ${expected}`;
  }
  if (issue.code === 'unrecognized_keys') {
    problem.message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  }
  return problem;
}

/** Parse and validate routing-file text. `file` names it in problems. */
export function parseRoutingText(text: string, file: string): ConfigLoadResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
        return {
          file,
          line: pos.line,
          column: pos.col,
          path: '',
          message: e.message.split('\n')[0] ?? e.code,
        };
      }),
    };
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (data === null || data === undefined) {
    return {
      ok: false,
      problems: [{ file, path: '', message: 'the file is empty; it needs at least `version: 1`' }],
    };
  }
  if (typeof data === 'object' && !Array.isArray(data) && !('version' in data)) {
    return {
      ok: false,
      problems: [
        {
          file,
          line: 1,
          column: 1,
          path: 'version',
          message: 'missing; add `version: 1` at the top',
        },
      ],
    };
  }
  const parsed = routingConfigSchema.safeParse(data);
  if (parsed.success) return { ok: true, config: parsed.data };
  const problems = parsed.error.issues.map((i) => issueToProblem(i, doc, lines, file));
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return { ok: false, problems };
}

export async function loadRoutingFile(path: string): Promise<ConfigLoadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'file not found (create one with `switchyard init`)'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory, not a routing file'
            : `cannot be read (${code ?? String(err)})`;
    return { ok: false, problems: [{ file: path, path: '', message: reason }] };
  }
  return parseRoutingText(text, path);
}
