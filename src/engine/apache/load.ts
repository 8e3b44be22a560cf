/**
 * `switchyard --apache httpd.conf`: read an Apache configuration from disk and turn it
 * into a validated routing file, with the warnings the user should see before it runs.
 */
import { readFile } from 'node:fs/promises';
import type { RoutingConfig } from '../../shared/config.js';
import type { ConfigProblem } from '../config-file.js';
import { importApacheText, type ApacheImportResult } from './to-routing.js';

export type ApacheLoadResult =
  | { ok: true; config: RoutingConfig; warnings: ConfigProblem[] }
  | { ok: false; problems: ConfigProblem[] };

/** The file's text, or the one problem that kept it from being read. */
export async function readApacheFile(
  path: string,
): Promise<{ text: string } | { problem: ConfigProblem }> {
  try {
    return { text: await readFile(path, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory, not an Apache configuration file'
            : `cannot be read (${code ?? String(err)})`;
    return { problem: { file: path, path: '', message: reason } };
  }
}

export async function importApacheFile(path: string): Promise<ApacheImportResult> {
  const read = await readApacheFile(path);
  if ('problem' in read) return { ok: false, problems: [read.problem] };
  return importApacheText(read.text, path);
}

export async function loadApacheConfig(path: string): Promise<ApacheLoadResult> {
  const result = await importApacheFile(path);
  if (!result.ok) return result;
  return { ok: true, config: result.value.config, warnings: result.value.warnings };
}
