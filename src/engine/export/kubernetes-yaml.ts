/**
 * Manifests as plain objects plus the comments that travel with them, written as one
 * multi-document YAML stream. Comments are where the export says what the Gateway API
 * cannot express, next to the rule they concern.
 */
import { Document } from 'yaml';

export interface Manifest {
  /** Comment lines above the document. */
  notes: string[];
  body: Record<string, unknown>;
  /** Comment lines above an item inside the body (`['spec', 'rules', 2]`). */
  itemNotes: { path: (string | number)[]; notes: string[] }[];
}

export function manifest(body: Record<string, unknown>, notes: string[] = []): Manifest {
  return { notes, body, itemNotes: [] };
}

function commentText(lines: readonly string[]): string {
  return lines
    .flatMap((l) => l.split('\n'))
    .map((l) => (l === '' ? '' : ` ${l}`))
    .join('\n');
}

function renderOne(m: Manifest): string {
  // No anchors and aliases: each manifest reads on its own, as kubectl users expect.
  const doc = new Document(m.body, { aliasDuplicateObjects: false });
  if (m.notes.length > 0) doc.commentBefore = commentText(m.notes);
  for (const { path, notes } of m.itemNotes) {
    const node = doc.getIn(path, true) as { commentBefore?: string | null } | undefined;
    if (node && notes.length > 0) {
      node.commentBefore = [node.commentBefore, commentText(notes)].filter(Boolean).join('\n');
    }
  }
  return doc.toString({ lineWidth: 0 });
}

/** `header` as a comment at the top, then each manifest after a `---`. */
export function renderManifests(header: readonly string[], manifests: readonly Manifest[]): string {
  const top = header
    .flatMap((l) => l.split('\n'))
    .map((l) => (l === '' ? '#' : `# ${l}`))
    .join('\n');
  return `${top}\n${manifests.map((m) => `---\n${renderOne(m)}`).join('')}`;
}
