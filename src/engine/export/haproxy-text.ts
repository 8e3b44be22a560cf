/**
 * HAProxy's three layers of quoting, and the routing file's tests and placeholders in
 * HAProxy's terms (ACL terms, sample expressions, log-format strings).
 *
 * A configuration word is read first by the file parser (double quotes: `\` escapes, `$`
 * expands environment variables; single quotes: nothing is interpreted), then, for sample
 * expressions, by the argument parser (`regsub('…','…')`), and for log-format strings
 * (`set-header`, `redirect location`, `return lf-string`) `%` starts a sample: `%%` is a
 * literal percent sign.
 */
import type { ConditionConfig, SimpleConditionConfig } from '../../shared/config.js';
import { compilePattern, TEMPLATE_PATTERN } from '../../shared/route-forms.js';

/** A configuration word in double quotes: `\`, `"` and `$` escaped, newlines as `\n`. */
export function dq(value: string): string {
  const escaped = value
    .replace(/[\\"$]/g, '\\$&')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t');
  return `"${escaped}"`;
}

/** Literal text inside a log-format string. */
export function lfText(value: string): string {
  return value.replace(/%/g, '%%');
}

/** A regular expression as a configuration word: strong quotes, a quote as `\x27`. */
export function re(pattern: string): string {
  return `'${pattern.replace(/'/g, '\\x27')}'`;
}

/** A converter argument (regsub's regex or substitution), to sit in a dq() word. */
export function arg(text: string): string {
  return `'${text.replace(/'/g, '\\x27')}'`;
}

/** `path,regsub(…)` that yields group N of the first match of `pattern` in the subject. */
export function groupOf(subject: string, pattern: string, ignoreCase: boolean, n: number): string {
  // Anchored on both ends so regsub replaces the whole value: what it leaves is the group.
  // A lazy prefix finds the leftmost match, as RE2's find() does.
  const whole = `${ignoreCase ? '(?i)' : ''}^.*?(?:${pattern}).*$`;
  return `${subject},regsub(${arg(whole)},${arg(`\\${n}`)})`;
}

/** Sample expression for a condition's subject. */
export function subjectOf(on: string): string {
  if (on === 'host') return 'var(txn.sy_host)';
  if (on === 'path') return 'path';
  if (on === 'scheme') return 'ssl_fc,iif(https,http)';
  return `req.fhdr(${on.slice('header:'.length).toLowerCase()})`;
}

/** One ACL term for a test on a subject: `{ path -m reg '^/x' }`. */
function term(subject: string, c: SimpleConditionConfig): string {
  const flags = c.ignoreCase ? '-i ' : '';
  const value =
    c.matches !== undefined ? `-m reg ${re(c.matches)}` : `-m str ${dq(c.equals ?? '')}`;
  return `{ ${subject} ${flags}${value} }`;
}

/** Would the test hold for an empty value (what Switchyard tests when a header is absent)? */
function holdsForEmpty(c: SimpleConditionConfig): boolean {
  if (c.equals !== undefined) return c.equals === '';
  const compiled = compilePattern(c.matches ?? '', c.ignoreCase);
  return 'pattern' in compiled && compiled.pattern.matcher('').find();
}

/**
 * A test as alternatives (OR) of ACL terms (AND). HAProxy's test on an absent header fails
 * where Switchyard tests an empty value, so a test that an empty value passes also holds
 * when the header is missing.
 */
export function testTerms(c: SimpleConditionConfig): string[][] {
  const subject = subjectOf(c.on);
  if (subject === 'ssl_fc,iif(https,http)' && c.equals !== undefined && !c.ignoreCase) {
    const https = c.equals === 'https';
    if (https || c.equals === 'http') return [[https !== c.not ? '{ ssl_fc }' : '!{ ssl_fc }']];
  }
  const match = term(subject, c);
  const absent = c.on.startsWith('header:') && holdsForEmpty(c);
  const missing = `!{ ${subject} -m found }`;
  if (!c.not) return absent ? [[match], [missing]] : [[match]];
  return absent ? [[`!${match}`, `{ ${subject} -m found }`]] : [[`!${match}`]];
}

/** A `when` entry as alternatives of ANDed terms. */
export function conditionTerms(c: ConditionConfig): string[][] {
  if (c.anyOf) return c.anyOf.flatMap(testTerms);
  return testTerms(c as SimpleConditionConfig);
}

/** What `$N` and `{{when.N}}` become: log-format references to captured variables. */
export interface Captured {
  group(n: number): string;
  when(n: number): string;
}

/** A template (to, redirect.to, respond.body) as a log-format string. */
export function templateFormat(template: string, captured: Captured): string {
  let out = '';
  let last = 0;
  for (const m of template.matchAll(TEMPLATE_PATTERN)) {
    out += lfText(template.slice(last, m.index));
    last = m.index + m[0].length;
    const group = m[1];
    const name = m[2] ?? '';
    if (group !== undefined) out += captured.group(Number(group));
    else if (name.startsWith('when.')) out += captured.when(Number(name.slice(5)));
    else if (name.startsWith('request.header.'))
      out += `%[req.fhdr(${name.slice('request.header.'.length).toLowerCase()})]`;
    else
      out +=
        {
          'request.host': '%[var(txn.sy_host)]',
          'request.authority': '%[req.hdr(host)]',
          'request.path': '%[path]',
          'request.query': '%[query]',
          'request.scheme': '%[ssl_fc,iif(https,http)]',
        }[name] ?? '';
  }
  return out + lfText(template.slice(last));
}

/** The numbers of `$N` placeholders a template uses. */
export function groupsUsed(template: string): number[] {
  return [...template.matchAll(/\$([0-9])/g)].map((m) => Number(m[1]));
}

/** The numbers of `{{when.N}}` placeholders a template uses. */
export function whenUsed(template: string): number[] {
  return [...template.matchAll(/\{\{\s*when\.([0-9])\s*\}\}/g)].map((m) => Number(m[1]));
}

/** `http` or `https`, as the client reached HAProxy. */
export const SCHEME = '%[ssl_fc,iif(https,http)]';
