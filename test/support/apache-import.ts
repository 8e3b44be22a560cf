/** Helpers for Apache import unit tests: import a text or fail with its problems. */
import { importApacheText, type ApacheImport } from '../../src/engine/apache/to-routing.js';

export function imported(text: string): ApacheImport {
  const r = importApacheText(text, 'httpd.conf');
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.line}: ${p.message}`).join('\n'));
  return r.value;
}

/** Warnings as `line: message`. */
export function warnings(value: ApacheImport): string[] {
  return value.warnings.map((w) => `${w.line ?? '-'}: ${w.message}`);
}

/** A configuration text from lines. */
export const lines = (...l: string[]): string => `${l.join('\n')}\n`;
