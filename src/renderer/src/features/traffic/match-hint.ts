/**
 * "Where it matched", for a list row: each hit of the query as its field and, for header
 * and body matches, the snippet with the searched text marked
 * (`response body: …"id":"order-42"…`). The engine's snippet does not say where the match
 * is, so the term is read again to know what to mark.
 */
import { parseQuery, type MatchHit } from '../../../../shared/traffic-query.js';

export interface HintPart {
  text: string;
  /** The text the term searched for. */
  mark: boolean;
}

export interface MatchHint {
  field: string;
  /** The snippet in parts; empty when the hit has none (a summary field such as status). */
  parts: HintPart[];
}

/** What a term searched for inside a snippet, or undefined when nothing in particular. */
function needle(term: string): { text: string } | { headerName: true } | undefined {
  const parsed = parseQuery(term);
  const test = parsed.ok ? parsed.query.groups[0]?.[0] : undefined;
  switch (test?.field) {
    case 'text':
    case 'body':
    case 'url':
    case 'member':
      return { text: test.text };
    case 'header':
      // No value: the header's name is what matched, and the snippet starts with it.
      return test.value === undefined || test.value === ''
        ? { headerName: true }
        : { text: test.value };
    default:
      return undefined;
  }
}

/** Every case-insensitive occurrence of `text` in `snippet`, marked. */
export function markText(snippet: string, text: string): HintPart[] {
  // Snippets fold runs of white space into one space; the searched text may hold several.
  const wanted = text.replace(/\s+/g, ' ').toLowerCase();
  if (wanted === '') return [{ text: snippet, mark: false }];
  const lower = snippet.toLowerCase();
  const parts: HintPart[] = [];
  let from = 0;
  for (let at = lower.indexOf(wanted); at >= 0; at = lower.indexOf(wanted, from)) {
    if (at > from) parts.push({ text: snippet.slice(from, at), mark: false });
    parts.push({ text: snippet.slice(at, at + wanted.length), mark: true });
    from = at + wanted.length;
  }
  if (from < snippet.length) parts.push({ text: snippet.slice(from), mark: false });
  return parts;
}

export function matchHint(hit: MatchHit): MatchHint {
  const { field, snippet } = hit;
  if (snippet === undefined || snippet === '') return { field, parts: [] };
  const searched = needle(hit.term);
  if (searched === undefined) return { field, parts: [{ text: snippet, mark: false }] };
  if ('headerName' in searched) {
    const colon = snippet.indexOf(': ');
    return colon < 0
      ? { field, parts: [{ text: snippet, mark: true }] }
      : {
          field,
          parts: [
            { text: snippet.slice(0, colon), mark: true },
            { text: snippet.slice(colon), mark: false },
          ],
        };
  }
  return { field, parts: markText(snippet, searched.text) };
}

/** The hints of a row, snippets first: they say more than a field name the row shows. */
export function matchHints(hits: readonly MatchHit[]): MatchHint[] {
  const hints = hits.map(matchHint);
  return [...hints.filter((h) => h.parts.length > 0), ...hints.filter((h) => h.parts.length === 0)];
}

/** The hints as one line of plain text (a tooltip, an accessible name). */
export function hintText(hints: readonly MatchHint[]): string {
  return hints
    .map((h) =>
      h.parts.length === 0 ? h.field : `${h.field}: ${h.parts.map((p) => p.text).join('')}`,
    )
    .join(' · ');
}
