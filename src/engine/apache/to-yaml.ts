/**
 * `switchyard import apache FILE`: the imported routing file as YAML, each listener,
 * route, balancer and member preceded by comments naming the Apache lines it came from
 * (`# httpd.conf:12 ProxyPass /app http://…`) and any mapping choice worth knowing, and
 * the import's warnings at the top, so the file can be reviewed on its own.
 */
import { Document } from 'yaml';
import { formatProblems } from '../config-file.js';
import type { ApacheImport } from './to-routing.js';

function pathOf(key: string): (string | number)[] {
  return key.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

export function importToYaml(result: ApacheImport, file: string): string {
  const doc = new Document(result.input);
  const header = [
    ` Switchyard routing file imported from ${file} (switchyard import apache).`,
    ' Comments name the Apache lines each part came from. Run it with:',
    '   switchyard --config switchyard.yaml',
  ];
  if (result.warnings.length > 0) {
    header.push('', ' What the import could not map exactly:');
    for (const line of formatProblems(result.warnings).split('\n')) header.push(`   ${line}`);
  }
  doc.commentBefore = header.join('\n');
  for (const [key, { sources, notes }] of result.provenance) {
    const node = doc.getIn(pathOf(key), true) as { commentBefore?: string | null } | undefined;
    if (!node) continue;
    const lines = [
      ...sources.map((s) => ` ${file}:${s.line} ${s.text}`),
      ...notes.map((n) => ` ${n}`),
    ];
    if (lines.length > 0) node.commentBefore = lines.join('\n');
  }
  return doc.toString({ lineWidth: 0 });
}
