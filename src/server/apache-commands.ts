/**
 * The Apache-facing commands of `switchyard`:
 *
 *   switchyard import apache FILE                  the routing file for an Apache config
 *   switchyard export apache|nginx|caddy|haproxy|kubernetes [--config FILE] [--data-dir DIR]
 *
 * and the `--apache FILE` loader used by `switchyard` itself. Output goes to stdout so it
 * can be redirected into a file; warnings and errors go to stderr.
 */
import { parseArgs } from 'node:util';
import { formatProblems, loadRoutingFile, type ConfigLoadResult } from '../engine/config-file.js';
import { importApacheFile } from '../engine/apache/load.js';
import { importToYaml } from '../engine/apache/to-yaml.js';
import { EXPORT_TARGETS, exportConfig, type ExportTarget } from '../engine/export/export.js';
import type { CliIo } from './cli-io.js';
import { defaultDataDir } from './data-dir.js';

const IMPORT_USAGE = 'usage: switchyard import apache FILE > switchyard.yaml';
const EXPORT_USAGE =
  'usage: switchyard export apache|nginx|caddy|haproxy|kubernetes [--config FILE] [--data-dir DIR] > FILE';

/** For `switchyard --apache FILE`: the routing config, with the import's warnings on stderr. */
export async function loadApacheForServe(file: string, io: CliIo): Promise<ConfigLoadResult> {
  const result = await importApacheFile(file);
  if (!result.ok) return result;
  const { warnings } = result.value;
  if (warnings.length > 0) {
    io.err(
      `switchyard: ${file}: ${warnings.length} thing${warnings.length > 1 ? 's' : ''} could not be mapped exactly (see \`switchyard import apache ${file}\`):`,
    );
    io.err(formatProblems(warnings));
  }
  return { ok: true, config: result.value.config };
}

async function importCommand(args: string[], io: CliIo): Promise<number> {
  const [kind, file, ...extra] = args;
  if (kind !== 'apache' || file === undefined || extra.length > 0) {
    io.err(`switchyard: ${IMPORT_USAGE}`);
    return 2;
  }
  const result = await importApacheFile(file);
  if (!result.ok) {
    io.err(`switchyard: ${file} cannot be imported:`);
    io.err(formatProblems(result.problems));
    return 1;
  }
  io.out(importToYaml(result.value, file).trimEnd());
  if (result.value.warnings.length > 0) {
    io.err(`switchyard: ${file}: what could not be mapped exactly (also listed in the output):`);
    io.err(formatProblems(result.value.warnings));
  }
  return 0;
}

async function exportCommand(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        'data-dir': { type: 'string' },
      },
    });
  } catch (error) {
    io.err(`switchyard: ${(error as Error).message}`);
    io.err(EXPORT_USAGE);
    return 2;
  }
  const [target, ...extra] = parsed.positionals;
  if (!EXPORT_TARGETS.includes(target as ExportTarget) || extra.length > 0) {
    io.err(`switchyard: ${EXPORT_USAGE}`);
    return 2;
  }
  const file = parsed.values.config ?? 'switchyard.yaml';
  const loaded = await loadRoutingFile(file);
  if (!loaded.ok) {
    io.err(`switchyard: ${file} has problems:`);
    io.err(formatProblems(loaded.problems));
    return 1;
  }
  io.out(
    exportConfig(target as ExportTarget, loaded.config, {
      dataDir: parsed.values['data-dir'] ?? defaultDataDir(),
      source: file,
    }).trimEnd(),
  );
  return 0;
}

/** `switchyard import …` and `switchyard export …`; argv starts with the command. */
export function apacheCommandMain(argv: string[], io: CliIo): Promise<number> {
  const [command, ...args] = argv;
  if (args.includes('-h') || args.includes('--help')) {
    io.out(command === 'import' ? IMPORT_USAGE : EXPORT_USAGE);
    return Promise.resolve(0);
  }
  return command === 'import' ? importCommand(args, io) : exportCommand(args, io);
}
