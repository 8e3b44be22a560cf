/**
 * The CLI's other app commands, next to `run`:
 * - `switchyard alias NAME PORT` adds `{ name, port }` to the routing file's apps (a name
 *   for something that already listens, such as a docker-compose service), `--remove`
 *   takes it out. The file is edited in place, comments kept, and checked before it is
 *   written; a running Switchyard applies it as it applies any edit.
 * - `switchyard apps` lists the running Switchyard's apps.
 * - `switchyard hosts sync|remove|show` keeps a marked block of NAME.localhost lines in the
 *   hosts file, for clients that do not resolve *.localhost to loopback themselves.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { isMap, isSeq, parseDocument, type YAMLMap } from 'yaml';
import { appName } from '../../shared/apps.js';
import { formatProblems, parseRoutingText } from '../../engine/config-file.js';
import { HOSTS_FILE_PATH, hostsBlockOf, withHostsBlock } from '../../engine/apps/hosts-file.js';
import type { CliIo } from '../cli-io.js';
import { defaultDataDir } from '../data-dir.js';
import { findRunning } from './background.js';
import { routingFileFor } from './user-config.js';

function options(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      remove: { type: 'boolean' },
      file: { type: 'string' },
    },
  });
}

/** The routing file to edit: --config, else the running Switchyard's, else the usual choice. */
async function fileToEdit(config: string | undefined, dataDir: string): Promise<string> {
  if (config !== undefined) return (await routingFileFor(config, dataDir)).path;
  const running = await findRunning(dataDir);
  if (running) {
    await running.connection.close();
    if (running.instance.configPath) return running.instance.configPath;
  }
  return (await routingFileFor(undefined, dataDir)).path;
}

/** The routing file with the alias set (port) or removed (undefined). */
export function editAlias(
  text: string,
  file: string,
  name: string,
  port: number | undefined,
): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0)
    throw new Error(`${file} is not valid YAML: ${doc.errors[0]?.message ?? ''}`);
  let apps = doc.get('apps');
  if (!isSeq(apps)) {
    if (port === undefined) throw new Error(`${file} has no alias named '${name}'`);
    doc.set('apps', doc.createNode([]));
    apps = doc.get('apps');
  }
  if (!isSeq(apps)) throw new Error(`${file}: apps must be a list`);
  const index = apps.items.findIndex(
    (item) => isMap(item) && (item as YAMLMap).get('name') === name,
  );
  const existing = index === -1 ? undefined : (apps.items[index] as YAMLMap);
  if (existing?.has('command'))
    throw new Error(
      `'${name}' is an app with a command in ${file}; choose another name for the alias`,
    );
  if (port === undefined) {
    if (index === -1) throw new Error(`${file} has no alias named '${name}'`);
    apps.items.splice(index, 1);
  } else if (existing) {
    existing.set('port', port);
  } else {
    apps.items.push(doc.createNode({ name, port }));
  }
  const out = doc.toString();
  const checked = parseRoutingText(out, file);
  if (!checked.ok)
    throw new Error(`the edited file would have problems:\n${formatProblems(checked.problems)}`);
  return out;
}

export async function aliasMain(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = options(argv);
  } catch (error) {
    io.err(`switchyard alias: ${(error as Error).message}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(
      'Usage: switchyard alias NAME PORT      serve 127.0.0.1:PORT at https://NAME.localhost\n       switchyard alias --remove NAME\nOptions: --config FILE, --data-dir DIR',
    );
    return 0;
  }
  const [name, portText] = positionals;
  const remove = values.remove === true;
  if (
    name === undefined ||
    (remove ? portText !== undefined : portText === undefined) ||
    positionals.length > 2
  ) {
    io.err('switchyard alias: expected NAME PORT (or --remove NAME)');
    return 2;
  }
  if (!appName.safeParse(name).success) {
    io.err(
      `switchyard alias: '${name}' is not a valid app name: ${appName.safeParse(name).error?.issues[0]?.message ?? ''}`,
    );
    return 2;
  }
  const port = remove ? undefined : Number(portText);
  if (port !== undefined && (!/^\d+$/.test(portText ?? '') || port < 1 || port > 65535)) {
    io.err(`switchyard alias: PORT must be a port number 1..65535, not '${portText ?? ''}'`);
    return 2;
  }
  const dataDir = values['data-dir'] ?? defaultDataDir();
  try {
    const file = await fileToEdit(values.config, dataDir);
    const text = await readFile(file, 'utf8');
    await writeFile(file, editAlias(text, file, name, port));
    io.out(
      remove
        ? `removed alias ${name} from ${file}`
        : `${name}.localhost → 127.0.0.1:${port} (in ${file})`,
    );
    const running = await findRunning(dataDir);
    if (!running) io.out(`Switchyard is not running; start it with: switchyard --config ${file}`);
    else await running.connection.close();
    return 0;
  } catch (error) {
    io.err(`switchyard alias: ${(error as Error).message}`);
    return 1;
  }
}

export async function appsMain(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = options(argv);
  } catch (error) {
    io.err(`switchyard apps: ${(error as Error).message}`);
    return 2;
  }
  const running = await findRunning(parsed.values['data-dir'] ?? defaultDataDir());
  if (!running) {
    io.err(
      'switchyard apps: Switchyard is not running (start it with `switchyard up` or `switchyard`)',
    );
    return 1;
  }
  try {
    const apps = await running.connection.call('listApps');
    if (apps.length === 0)
      io.out(
        'no apps: add one with `switchyard run NAME -- COMMAND`, `switchyard alias NAME PORT` or under apps: in the routing file',
      );
    for (const app of apps) {
      const where = app.instances
        .map(
          (i) =>
            `${i.source}${i.port ? ` :${i.port}` : ''}${i.pid ? ` pid ${i.pid}` : ''} ${i.state}`,
        )
        .join(', ');
      io.out(
        `${app.name.padEnd(20)} ${app.state.padEnd(10)} ${app.urls[0] ?? '(no listener)'}  [${where}]`,
      );
    }
    return 0;
  } finally {
    await running.connection.close();
  }
}

export async function hostsMain(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = options(argv);
  } catch (error) {
    io.err(`switchyard hosts: ${(error as Error).message}`);
    return 2;
  }
  const action = parsed.positionals[0] ?? 'show';
  if (!['sync', 'remove', 'show'].includes(action)) {
    io.err('switchyard hosts: expected sync, remove or show');
    return 2;
  }
  const file = parsed.values.file ?? HOSTS_FILE_PATH;
  const text = await readFile(file, 'utf8').catch(() => '');
  if (action === 'show') {
    const hosts = hostsBlockOf(text);
    io.out(hosts.length === 0 ? `${file} has no Switchyard block` : hosts.join('\n'));
    return 0;
  }
  let hosts: string[] = [];
  if (action === 'sync') {
    const running = await findRunning(parsed.values['data-dir'] ?? defaultDataDir());
    if (!running) {
      io.err('switchyard hosts: Switchyard is not running, so there are no apps to list');
      return 1;
    }
    try {
      hosts = (await running.connection.call('listApps')).map((a) => a.host);
    } finally {
      await running.connection.close();
    }
  }
  try {
    await writeFile(file, withHostsBlock(text, hosts));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    io.err(
      code === 'EACCES' || code === 'EPERM'
        ? `switchyard hosts: ${file} needs administrator rights: sudo switchyard hosts ${action}`
        : `switchyard hosts: cannot write ${file}: ${(error as Error).message}`,
    );
    return 1;
  }
  io.out(
    hosts.length === 0
      ? `removed Switchyard's block from ${file}`
      : `${file}: ${hosts.join(', ')} → 127.0.0.1, ::1`,
  );
  return 0;
}
