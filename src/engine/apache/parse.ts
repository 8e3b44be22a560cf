/**
 * Apache configuration text → a tree of directives and sections, each with its line.
 * Only structure is checked here (quotes, `<Section>` … `</Section>` pairs); what the
 * directives mean is to-routing.ts's business.
 */
import { lex, type LexProblem } from './lexer.js';

export interface Directive {
  /** As written: `ProxyPass`, `VirtualHost`. */
  name: string;
  /** Lowercased name: Apache directive names are case-insensitive. */
  key: string;
  args: string[];
  line: number;
  /** The line as written (continuations joined). */
  text: string;
  trailingComment?: string;
  /** Present for sections (`<Proxy …>`), possibly empty. */
  children?: Directive[];
  /** Line of the closing `</Section>`. */
  endLine?: number;
}

export type ParseResult =
  | { ok: true; directives: Directive[]; warnings: LexProblem[] }
  | { ok: false; problems: LexProblem[] };

export function parseApache(text: string): ParseResult {
  const { lines, problems, warnings } = lex(text);
  const root: Directive[] = [];
  const open: Directive[] = [];
  for (const l of lines) {
    const children = open.at(-1)?.children ?? root;
    if (l.kind === 'close') {
      const section = open.at(-1);
      if (!section) {
        problems.push({ line: l.line, message: `</${l.name}> closes no open section` });
        continue;
      }
      if (section.key !== l.name.toLowerCase()) {
        problems.push({
          line: l.line,
          message: `</${l.name}> does not match <${section.name}> opened on line ${section.line}`,
        });
        continue;
      }
      section.endLine = l.line;
      open.pop();
      continue;
    }
    const node: Directive = {
      name: l.name,
      key: l.name.toLowerCase(),
      args: l.args,
      line: l.line,
      text: l.text,
    };
    if (l.trailingComment !== undefined) node.trailingComment = l.trailingComment;
    children.push(node);
    if (l.kind === 'open') {
      node.children = [];
      open.push(node);
    }
  }
  for (const section of open) {
    problems.push({
      line: section.line,
      message: `<${section.name}> is never closed (add </${section.name}>)`,
    });
  }
  if (problems.length > 0) {
    problems.sort((a, b) => a.line - b.line);
    return { ok: false, problems };
  }
  return { ok: true, directives: root, warnings };
}

/** Every directive of a subtree in file order, sections included (for summaries). */
export function flatten(directives: readonly Directive[]): Directive[] {
  const out: Directive[] = [];
  for (const d of directives) {
    out.push(d);
    if (d.children) out.push(...flatten(d.children));
  }
  return out;
}
