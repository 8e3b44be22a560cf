/**
 * Small pure pieces behind edit-and-resend, the fan-out table and the compare view: which
 * methods need a confirmation, which members an exchange can be sent to, the ignore-paths
 * field, and the words a diff cell shows.
 */
import type { BalancerStatus } from '../../../../shared/api.js';
import {
  checkIgnorePath,
  type BodyDiff,
  type ChangeCounts,
  type HeaderDiff,
} from '../../../../shared/exchange-diff.js';
import { formatBytes } from './format.js';

/**
 * RFC 9110 §9.2.2, the same list as the engine's request-semantics.ts (which the renderer
 * cannot import): sending one of these twice leaves the server as sending it once.
 */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'PUT',
  'DELETE',
]);

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.trim().toUpperCase());
}

/** The engine's prefix when a fan-out needs `confirmed: true`; the reason follows it. */
export const FAN_OUT_CONFIRM_PREFIX = 'confirm sending it to every member: ';

/** The reason in a fan-out refusal, or undefined when the error is another one. */
export function fanOutConfirmReason(message: string): string | undefined {
  const at = message.indexOf(FAN_OUT_CONFIRM_PREFIX);
  return at < 0 ? undefined : message.slice(at + FAN_OUT_CONFIRM_PREFIX.length);
}

/** The engine names a member by its URL without a trailing slash (balancer.ts memberLabel). */
const memberLabel = (url: string): string => (url.endsWith('/') ? url.slice(0, -1) : url);

/**
 * The balancer that served an exchange, found by its member, and that balancer's members:
 * the engine sends a resend to a named member only within the route's own balancer.
 */
export function balancerServing(
  balancers: readonly BalancerStatus[],
  member: string | undefined,
): { name: string; members: { url: string; state: string }[] } | undefined {
  if (member === undefined) return undefined;
  const label = memberLabel(member);
  const balancer = balancers.find((b) => b.members.some((m) => memberLabel(m.url) === label));
  if (!balancer) return undefined;
  return {
    name: balancer.name,
    members: balancer.members.map((m) => ({ url: memberLabel(m.url), state: m.state })),
  };
}

/**
 * The ignore-paths field (`$.timestamp, $..id`): patterns split on commas and new lines
 * outside brackets and quotes (`$["a,b"]` is one path), each checked, so a typo is named
 * instead of silently ignoring nothing.
 */
export function parseIgnorePaths(text: string): { paths: string[]; problems: string[] } {
  const parts: string[] = [];
  let current = '';
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') current += c + (text[++i] ?? '');
      else {
        if (c === quote) quote = null;
        current += c;
      }
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']') depth = Math.max(0, depth - 1);
    else if ((c === ',' || c === '\n') && depth === 0) {
      parts.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  parts.push(current);
  // An unclosed bracket or quote would swallow every path after it: split plainly then,
  // so each piece gets its own complaint.
  if (depth > 0 || quote) parts.splice(0, parts.length, ...text.split(/[,\n]/));
  const paths: string[] = [];
  const problems: string[] = [];
  for (const part of parts.map((p) => p.trim()).filter((p) => p !== '')) {
    const problem = checkIgnorePath(part);
    if (problem === undefined) paths.push(part);
    else problems.push(`${part}: ${problem}`);
  }
  return { paths, problems };
}

/** `+1 −0 ~2`, or `same` when nothing was added, removed or changed. */
export function formatCounts(c: ChangeCounts): string {
  return c.added + c.removed + c.changed === 0 ? 'same' : `+${c.added} −${c.removed} ~${c.changed}`;
}

export function countHeaderChanges(diffs: readonly HeaderDiff[]): ChangeCounts {
  const counts = { added: 0, removed: 0, changed: 0 };
  for (const d of diffs) if (d.kind !== 'same') counts[d.kind]++;
  return counts;
}

/** One short phrase for a body diff, for a table cell. */
export function describeBodyDiff(diff: BodyDiff | undefined): string {
  if (!diff) return '—';
  if (diff.kind === 'empty') return 'both empty';
  if (diff.same) return diff.kind === 'json' ? 'same JSON' : 'same';
  if (diff.kind === 'json') return `${diff.count} JSON path${diff.count === 1 ? '' : 's'} differ`;
  if (diff.kind === 'text') {
    return diff.text.kind === 'lines'
      ? `+${diff.text.added} −${diff.text.removed} lines`
      : diff.text.message;
  }
  return `binary: ${formatBytes(diff.a.size)} vs ${formatBytes(diff.b.size)}, hashes differ`;
}

/** A JSON value on one line, cut to `max` characters (a changed subtree can be large). */
export function shortJson(value: unknown, max = 160): string {
  const text = value === undefined ? '(absent)' : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let text = '';
  // Chunks keep String.fromCharCode's argument list under engine limits for large bodies.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

export function textToBase64(text: string): string {
  return bytesToBase64(new TextEncoder().encode(text));
}
