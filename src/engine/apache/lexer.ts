/**
 * Apache configuration text → logical lines of words, as httpd's own reader sees them:
 * `#` comment lines, a backslash at the end of a line joining it with the next, words
 * split on whitespace, and "double" or 'single' quoted words with backslash escapes.
 * Section lines (`<Proxy balancer://x>`, `</Proxy>`) are told apart from directives here;
 * nesting is the parser's job.
 */

export interface Line {
  kind: 'directive' | 'open' | 'close';
  /** Directive or section name as written (`ProxyPass`, `VirtualHost`). */
  name: string;
  args: string[];
  /** First physical line of this logical line (1-based). */
  line: number;
  /** The logical line as written, continuations joined, for comments and messages. */
  text: string;
  /**
   * Words from a `#` after the directive. httpd has no trailing comments: it would read
   * them as more arguments. Kept so the caller can say so instead of guessing.
   */
  trailingComment?: string;
}

export interface LexProblem {
  line: number;
  message: string;
}

export interface Lexed {
  lines: Line[];
  problems: LexProblem[];
  /** What httpd reads without complaint but the user should know (an unclosed quote). */
  warnings: LexProblem[];
}

/**
 * Split one logical line into words. A quote left open runs to the end of the line, as in
 * httpd's ap_getword_conf, which serves such a file; `unclosed` says so.
 */
function splitWords(text: string): { words: string[]; comment?: string; unclosed?: string } {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#' && words.length > 0) return { words, comment: text.slice(i).trim() };
    if (c === '"' || c === "'") {
      let word = '';
      let j = i + 1;
      let closed = false;
      while (j < text.length) {
        const d = text[j] as string;
        if (d === '\\' && j + 1 < text.length && (text[j + 1] === c || text[j + 1] === '\\')) {
          word += text[j + 1];
          j += 2;
          continue;
        }
        if (d === c) {
          closed = true;
          j++;
          break;
        }
        word += d;
        j++;
      }
      words.push(word);
      if (!closed) return { words, unclosed: c === '"' ? 'double' : 'single' };
      i = j;
      continue;
    }
    let j = i;
    while (j < text.length && text[j] !== ' ' && text[j] !== '\t') j++;
    words.push(text.slice(i, j));
    i = j;
  }
  return { words };
}

/** Physical lines → logical lines: continuations joined, blank and comment lines dropped. */
function logicalLines(text: string): { text: string; line: number }[] {
  const physical = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const out: { text: string; line: number }[] = [];
  let pending: { text: string; line: number } | undefined;
  physical.forEach((raw, index) => {
    const trimmed = raw.replace(/\s+$/, '');
    const continues = trimmed.endsWith('\\');
    const body = continues ? trimmed.slice(0, -1) : trimmed;
    if (pending) pending.text += ` ${body.trim()}`;
    else pending = { text: body.trim(), line: index + 1 };
    if (continues) return;
    if (pending.text !== '' && !pending.text.startsWith('#')) out.push(pending);
    pending = undefined;
  });
  if (pending && pending.text !== '' && !pending.text.startsWith('#')) out.push(pending);
  return out;
}

export function lex(text: string): Lexed {
  const lines: Line[] = [];
  const problems: LexProblem[] = [];
  const warnings: LexProblem[] = [];
  for (const logical of logicalLines(text)) {
    const { line } = logical;
    let body = logical.text;
    let kind: Line['kind'] = 'directive';
    let sectionComment: string | undefined;
    if (body.startsWith('</')) {
      kind = 'close';
      body = body.slice(2);
    } else if (body.startsWith('<')) {
      kind = 'open';
      body = body.slice(1);
    }
    if (kind !== 'directive') {
      const end = body.lastIndexOf('>');
      if (end === -1) {
        problems.push({ line, message: `'${logical.text}' has no closing '>'` });
        continue;
      }
      const after = body.slice(end + 1).trim();
      if (after !== '' && !after.startsWith('#')) {
        problems.push({ line, message: `unexpected text '${after}' after '>'` });
        continue;
      }
      body = body.slice(0, end);
      if (after !== '') sectionComment = after;
    }
    const split = splitWords(body);
    if (split.unclosed) {
      warnings.push({
        line,
        message: `the ${split.unclosed} quote is not closed; read to the end of the line, as httpd does`,
      });
    }
    const [name, ...args] = split.words;
    if (name === undefined) {
      problems.push({ line, message: `'${logical.text}' names no section` });
      continue;
    }
    const entry: Line = { kind, name, args, line, text: logical.text };
    const comment = split.comment ?? sectionComment;
    if (comment !== undefined) entry.trailingComment = comment;
    lines.push(entry);
  }
  return { lines, problems, warnings };
}
