/**
 * What collect.ts asks about the regular-expression and per-directory forms: whether RE2
 * can run a section's or a ProxyPassMatch's pattern, and the warnings for mod_rewrite and
 * mod_alias lines inside a `<Directory>` section (which the import skips as a whole).
 */
import { compilePattern } from '../../shared/route-forms.js';
import type { Findings } from './findings.js';
import { flatten, type Directive } from './parse.js';

const PER_DIRECTORY = new Set(['rewriterule', 'rewritecond', 'rewriteengine', 'rewritebase']);

/** Warns at each rewrite line of a `<Directory>` section, where rules mean something else. */
export function perDirectoryForms(d: Directive, findings: Findings): void {
  for (const inner of flatten(d.children ?? [])) {
    if (!PER_DIRECTORY.has(inner.key)) continue;
    findings.warn(
      inner.line,
      `${inner.name} in <${d.name} ${d.args.join(' ')}>: per-directory rewriting matches the path without its leading / and runs after ProxyPass has chosen, so it is not imported; move it to the <VirtualHost> (where it matches the path from /)`,
    );
  }
}

/** Does RE2 take the pattern? Otherwise warns at the line, with RE2's reason. */
export function readablePattern(d: Directive, pattern: string, findings: Findings): boolean {
  const compiled = compilePattern(pattern, false);
  if ('pattern' in compiled) return true;
  findings.warn(d.line, `${d.name} '${pattern}' ${compiled.error}; ignored`);
  return false;
}
