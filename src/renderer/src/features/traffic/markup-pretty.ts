/**
 * HTML and XML re-indented for reading, as text: the result is shown in a <pre>, never
 * parsed into a DOM (a captured page must not run or load anything in the inspector).
 *
 * Tolerant rather than correct: one pass over the text cuts it into tags, text, comments,
 * CDATA, declarations and processing instructions; an end tag closes the nearest open
 * element of its name, and a stray one changes nothing; unclosed elements simply stay
 * open. Bounded: only the first MARKUP_MAX_CHARS are formatted and the work stops after
 * MARKUP_MAX_MS; the rest follows as sent, with a note saying so.
 */

export type MarkupFlavour = 'html' | 'xml';

export interface PrettyMarkup {
  text: string;
  /** Why part of the text is shown as sent. */
  note?: string;
}

export const MARKUP_MAX_CHARS = 2_000_000;
export const MARKUP_MAX_MS = 250;
/** Deeper elements are not indented further (a 10,000-deep document stays readable). */
const MAX_INDENT = 40;
/** An element whose only content is this much text stays on one line. */
const INLINE_TEXT = 80;

const VOID = new Set(
  'area base br col embed hr img input link meta param source track wbr keygen'.split(' '),
);
/** Their content is text up to their end tag, whatever it looks like (`a < b` in JS). */
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp']);
/** Opening one of these closes an open one of the same name (`<li>a<li>b`). */
const SELF_ENDING = new Set(['li', 'p', 'option', 'tr', 'td', 'th', 'dt', 'dd']);

type Token =
  | { kind: 'open'; name: string; source: string; closed: boolean }
  | { kind: 'close'; name: string; source: string }
  | { kind: 'text'; source: string }
  /** Comments, CDATA, doctype, processing instructions, script and style content. */
  | { kind: 'block'; source: string };

export interface PrettyOptions {
  maxChars?: number;
  maxMs?: number;
  now?: () => number;
}

export function prettyMarkup(
  source: string,
  flavour: MarkupFlavour,
  options: PrettyOptions = {},
): PrettyMarkup {
  const {
    maxChars = MARKUP_MAX_CHARS,
    maxMs = MARKUP_MAX_MS,
    now = () => performance.now(),
  } = options;
  const limit = Math.min(source.length, maxChars);
  const deadline = now() + maxMs;
  const { tokens, end } = tokenize(source, limit, flavour, () => now() > deadline);
  const text = print(tokens, flavour);
  if (end >= source.length) return { text };
  const why =
    end < limit
      ? `Formatting stopped after ${maxMs} ms`
      : `Formatted the first ${maxChars.toLocaleString('en')} characters`;
  return { text: `${text}\n${source.slice(end)}`, note: `${why}; the rest is shown as sent.` };
}

function tokenize(
  src: string,
  limit: number,
  flavour: MarkupFlavour,
  late: () => boolean,
): { tokens: Token[]; end: number } {
  const tokens: Token[] = [];
  let i = 0;
  let steps = 0;
  const upTo = (marker: string, from: number): number => {
    const at = src.indexOf(marker, from);
    return at < 0 ? src.length : at + marker.length;
  };
  while (i < limit) {
    if (++steps % 1024 === 0 && late()) break;
    const lt = src.indexOf('<', i);
    if (lt !== i) {
      const stop = lt < 0 || lt > limit ? limit : lt;
      tokens.push({ kind: 'text', source: src.slice(i, stop) });
      i = stop;
      continue;
    }
    let end: number;
    if (src.startsWith('<!--', i)) end = upTo('-->', i + 4);
    else if (src.startsWith('<![CDATA[', i)) end = upTo(']]>', i + 9);
    else if (src.startsWith('<?', i)) end = upTo(flavour === 'xml' ? '?>' : '>', i + 2);
    else if (src.startsWith('<!', i)) end = upTo('>', i + 2);
    else if (/^<\/[A-Za-z_:]/.test(src.slice(i, i + 3))) {
      end = upTo('>', i + 2);
      const source = src.slice(i, end);
      tokens.push({ kind: 'close', name: tagName(source.slice(2), flavour), source });
      i = end;
      continue;
    } else if (/^<[A-Za-z_:]/.test(src.slice(i, i + 2))) {
      end = tagEnd(src, i);
      const source = squeeze(src.slice(i, end));
      const name = tagName(source.slice(1), flavour);
      const closed = source.endsWith('/>') || (flavour === 'html' && VOID.has(name));
      tokens.push({ kind: 'open', name, source, closed });
      i = end;
      if (flavour === 'html' && RAW_TEXT.has(name) && !closed) {
        const close = new RegExp(`</${name}(?=[\\s/>])`, 'gi');
        close.lastIndex = i;
        const found = close.exec(src);
        const stop = found ? found.index : src.length;
        if (stop > i) tokens.push({ kind: 'block', source: src.slice(i, stop) });
        i = stop;
      }
      continue;
    } else {
      // A '<' that starts nothing (`a < b` in text): it is text.
      const next = src.indexOf('<', i + 1);
      const stop = next < 0 || next > limit ? limit : next;
      tokens.push({ kind: 'text', source: src.slice(i, stop) });
      i = stop;
      continue;
    }
    tokens.push({ kind: 'block', source: src.slice(i, end) });
    i = end;
  }
  return { tokens, end: i };
}

function tagName(rest: string, flavour: MarkupFlavour): string {
  const name = /^[^\s/>]*/.exec(rest)![0];
  return flavour === 'html' ? name.toLowerCase() : name;
}

/** Where a start tag ends: the first '>' outside quotes (or the first '>' at all, when a
 * quote never closes: `<a title=don't>` is common enough in the wild). */
function tagEnd(src: string, start: number): number {
  for (let i = start + 1; i < src.length; i++) {
    const c = src[i];
    if (c === '>') return i + 1;
    if (c === '"' || c === "'") {
      const close = src.indexOf(c, i + 1);
      if (close < 0) {
        const gt = src.indexOf('>', start);
        return gt < 0 ? src.length : gt + 1;
      }
      i = close;
    }
  }
  return src.length;
}

/** A tag with its whitespace runs outside quotes made single spaces (`<a\n  href="x" >`). */
function squeeze(tag: string): string {
  let out = '';
  for (let i = 0; i < tag.length; i++) {
    const c = tag[i]!;
    if (c === '"' || c === "'") {
      const close = tag.indexOf(c, i + 1);
      const stop = close < 0 ? tag.length : close + 1;
      out += tag.slice(i, stop);
      i = stop - 1;
    } else if (/\s/.test(c)) {
      if (!out.endsWith(' ')) out += ' ';
    } else out += c;
  }
  return out.replace(/ >$/, '>');
}

/** Lines of a multi-line token, their common indent removed, empty ends dropped. */
function dedent(text: string): string[] {
  const all = text.replace(/\r\n?/g, '\n').split('\n');
  let first = 0;
  let last = all.length - 1;
  while (first <= last && all[first]!.trim() === '') first++;
  while (last >= first && all[last]!.trim() === '') last--;
  const lines = all.slice(first, last + 1);
  // The first line often follows `<!--` or `<script>` directly: it does not set the indent.
  // A loop, not Math.min(...): a script of 200,000 lines is more arguments than V8 takes.
  let common = Infinity;
  for (let n = 1; n < lines.length; n++) {
    if (lines[n]!.trim() !== '') common = Math.min(common, indentOf(lines[n]!));
  }
  return lines.map((l, n) =>
    n === 0 ? l.trim() : l.slice(Math.min(common, indentOf(l))).trimEnd(),
  );
}

function indentOf(line: string): number {
  return /^[ \t]*/.exec(line)![0].length;
}

function print(tokens: Token[], flavour: MarkupFlavour): string {
  const out: string[] = [];
  const open: string[] = [];
  const pad = (): string => '  '.repeat(Math.min(open.length, MAX_INDENT));
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t]!;
    switch (token.kind) {
      case 'text':
        for (const line of token.source.split(/\r?\n/)) {
          const trimmed = line.trim();
          if (trimmed !== '') out.push(pad() + trimmed);
        }
        break;
      case 'block':
        for (const line of dedent(token.source)) out.push(pad() + line);
        break;
      case 'open': {
        if (token.closed) {
          out.push(pad() + token.source);
          break;
        }
        if (flavour === 'html' && SELF_ENDING.has(token.name) && open.at(-1) === token.name) {
          open.pop();
        }
        // <b>short text</b> and <p></p> stay on one line.
        const next = tokens[t + 1];
        const after = tokens[t + 2];
        if (next?.kind === 'close' && next.name === token.name) {
          out.push(pad() + token.source + next.source);
          t += 1;
          break;
        }
        // Text, or the content of <title> or a CDATA section, alone inside its element.
        const inline =
          next?.kind === 'text' || next?.kind === 'block' ? next.source.trim() : undefined;
        if (
          inline !== undefined &&
          inline.length <= INLINE_TEXT &&
          !inline.includes('\n') &&
          after?.kind === 'close' &&
          after.name === token.name
        ) {
          out.push(pad() + token.source + inline + after.source);
          t += 2;
          break;
        }
        out.push(pad() + token.source);
        open.push(token.name);
        break;
      }
      case 'close': {
        const at = open.lastIndexOf(token.name);
        if (at >= 0) open.length = at; // closes it and anything left open inside it
        out.push(pad() + token.source);
        break;
      }
    }
  }
  return out.join('\n');
}
