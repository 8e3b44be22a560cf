/**
 * Inline validation of the draft: the same shared zod schema the engine loads the routing
 * file with, so a message shown at a field is exactly what applying would refuse with.
 * Problems are keyed by field path (`routes[2].match.path`) so each control can ask for
 * its own.
 */
import type { z } from 'zod';
import { routingConfigSchema } from '../../../../shared/config';

export interface FieldProblem {
  /** Field path such as `routes[2].to`; empty for the configuration as a whole. */
  path: string;
  message: string;
}

/** `['routes', 2, 'to']` → `routes[2].to`, the form the engine's messages use. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function messageOf(issue: z.core.$ZodIssue): string {
  // A bad header name is reported by zod as "Invalid key in record"; the inner issue
  // carries the message the schema author wrote, which tells the user what to type.
  if (issue.code === 'invalid_key') {
    const key = String(issue.path.at(-1) ?? '');
    const inner = issue.issues[0]?.message ?? issue.message;
    return `'${key}' ${inner}`;
  }
  if (issue.code === 'unrecognized_keys') {
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  }
  return issue.message;
}

/** Every problem of a draft configuration; empty when applying would be accepted. */
export function draftProblems(draft: unknown): FieldProblem[] {
  const result = routingConfigSchema.safeParse(draft);
  if (result.success) return [];
  return result.error.issues.map((issue) => ({
    path: formatPath(issue.path),
    message: messageOf(issue),
  }));
}

/** Problems at `path` itself. */
export function problemsAt(problems: readonly FieldProblem[], path: string): string[] {
  return problems.filter((p) => p.path === path).map((p) => p.message);
}

/** Problems at `prefix` or anywhere inside it (`routes[1]` covers `routes[1].match.host`). */
export function problemsUnder(problems: readonly FieldProblem[], prefix: string): FieldProblem[] {
  return problems.filter(
    (p) => p.path === prefix || p.path.startsWith(`${prefix}.`) || p.path.startsWith(`${prefix}[`),
  );
}
