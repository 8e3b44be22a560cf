/**
 * The hosts-file block of the opt-in hosts sync: lines that make NAME.localhost resolve to
 * loopback for programs whose resolver does not know .localhost. Switchyard owns only the
 * lines between its two marker lines; every other line of the file stays as it was, and so
 * do its line endings (CRLF on Windows) and its final newline. These are text functions
 * only: reading and writing the file (with the rights it needs) is the caller's.
 */
import { win32 } from 'node:path';

export const HOSTS_BLOCK_BEGIN = '# >>> switchyard apps (managed; edit apps in Switchyard) >>>';
export const HOSTS_BLOCK_END = '# <<< switchyard apps <<<';

/** Where the hosts file is on `platform`. */
export function hostsFilePath(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (platform !== 'win32') return '/etc/hosts';
  return win32.join(env.SystemRoot ?? 'C:\\Windows', 'System32', 'drivers', 'etc', 'hosts');
}

/** This machine's hosts file: /etc/hosts, or %SystemRoot%\System32\drivers\etc\hosts. */
export const HOSTS_FILE_PATH = hostsFilePath();

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** `host` in lowercase; throws unless it is a DNS name (nothing else may reach the file). */
function checkedHost(host: string): string {
  const lower = host.toLowerCase();
  if (lower.length > 253 || !lower.split('.').every((label) => LABEL.test(label))) {
    throw new Error(
      `${JSON.stringify(host)} is not a valid hostname for the hosts file: it must be DNS labels of letters, digits and dashes (not at either end), joined by dots`,
    );
  }
  return lower;
}

interface Parsed {
  lines: string[];
  eol: string;
  finalNewline: boolean;
  /** Index in `lines` where the (first) block was, once blocks are taken out. */
  blockAt: number | undefined;
  /** The lines that were inside blocks. */
  blockLines: string[];
}

function isEntry(line: string): boolean {
  return /^\s*(127\.0\.0\.1|::1)\s+\S/.test(line);
}

/**
 * The file's lines without Switchyard's blocks. A block runs from the begin marker to the
 * end marker; one whose end marker is lost ends at its last entry line, so a line someone
 * added below it survives.
 */
function parse(text: string): Parsed {
  const eol = /\r\n/.test(text) ? '\r\n' : '\n';
  const all = text.split(/\r?\n/);
  const finalNewline = text === '' || /\n$/.test(text);
  if (finalNewline) all.pop();
  const lines: string[] = [];
  const blockLines: string[] = [];
  let blockAt: number | undefined;
  for (let i = 0; i < all.length; i++) {
    const line = all[i] as string;
    if (line.trim() === HOSTS_BLOCK_END) continue;
    if (line.trim() !== HOSTS_BLOCK_BEGIN) {
      lines.push(line);
      continue;
    }
    blockAt ??= lines.length;
    let end = i + 1;
    while (end < all.length && (all[end] as string).trim() !== HOSTS_BLOCK_END) {
      if ((all[end] as string).trim() === HOSTS_BLOCK_BEGIN) break;
      end++;
    }
    if (end >= all.length || (all[end] as string).trim() !== HOSTS_BLOCK_END) {
      // No end marker: the block is the entry lines right after the begin marker.
      end = i + 1;
      while (end < all.length && isEntry(all[end] as string)) end++;
      blockLines.push(...all.slice(i + 1, end));
      i = end - 1;
    } else {
      blockLines.push(...all.slice(i + 1, end));
      i = end;
    }
  }
  return { lines, eol, finalNewline, blockAt, blockLines };
}

/** The hosts in Switchyard's block of `text`, sorted. */
export function hostsBlockOf(text: string): string[] {
  const hosts = new Set<string>();
  for (const line of parse(text).blockLines) {
    const words = line.replace(/#.*/, '').trim().split(/\s+/);
    for (const host of words.slice(1)) if (host !== '') hosts.add(host.toLowerCase());
  }
  return [...hosts].sort();
}

/**
 * `text` with Switchyard's block listing `hosts` (each as 127.0.0.1 and ::1, sorted, once),
 * in place of the block it had or else at the end; no hosts remove the block. Throws when
 * a host is not a DNS name.
 */
export function withHostsBlock(text: string, hosts: readonly string[]): string {
  const unique = [...new Set(hosts.map(checkedHost))].sort();
  const { lines, eol, finalNewline, blockAt } = parse(text);
  if (unique.length > 0) {
    const block = [
      HOSTS_BLOCK_BEGIN,
      ...unique.flatMap((host) => [`127.0.0.1 ${host}`, `::1 ${host}`]),
      HOSTS_BLOCK_END,
    ];
    lines.splice(blockAt ?? lines.length, 0, ...block);
  }
  if (lines.length === 0) return '';
  return lines.join(eol) + (finalNewline ? eol : '');
}
