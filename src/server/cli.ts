/**
 * `switchyard`: the headless command. Runs the same engine as the desktop app from a
 * routing file, applies edits to that file live, and stops gracefully on SIGINT/SIGTERM.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatProblems, loadRoutingFile } from '../engine/config-file.js';
import { Engine } from '../engine/engine.js';
import type { ListenerStatus } from '../engine/listeners.js';
import { apacheCommandMain, loadApacheForServe } from './apache-commands.js';
import { caMain } from './ca-commands.js';
import { consoleIo, type CliIo } from './cli-io.js';
import { watchFile } from './config-watcher.js';
import { defaultDataDir } from './data-dir.js';
import { startHeadlessUi, type HeadlessUi } from './headless-ui.js';
import { DEFAULT_UI_PORT } from './http.js';
import { openBrowser } from './open-browser.js';
import { packageVersion } from './package-root.js';
import { aliasMain, appsMain, hostsMain } from './run/app-commands.js';
import { announceInstance, removeInstance } from './run/instance-file.js';
import { runMain } from './run/run-command.js';
import { routingFileFor } from './run/user-config.js';
import { STARTER_CONFIG } from './starter-config.js';

export type { CliIo };

/** How long in-flight exchanges may take to finish when the command is stopped. */
const SHUTDOWN_GRACE_MS = 10_000;

const USAGE = `Usage:
  switchyard [--config FILE] [--data-dir DIR]   run the proxy from a routing file
  switchyard init [FILE] [--force]              write a commented starter routing file
  switchyard up [--config FILE]                 run the proxy and start every app of the file
  switchyard run [NAME] -- COMMAND...           run COMMAND with PORT, served at https://NAME.localhost
  switchyard alias NAME PORT                    serve a port something else listens on as NAME.localhost
  switchyard apps                               list the running Switchyard's apps
  switchyard hosts sync|remove|show             NAME.localhost lines in the hosts file (opt-in)
  switchyard ca COMMAND                         local TLS CA: status, trust, export... (ca --help)
  switchyard --apache FILE [--data-dir DIR]     run the proxy from an Apache configuration
  switchyard import apache FILE                 print the routing file for an Apache configuration
  switchyard export apache|nginx|caddy|haproxy|kubernetes [--config FILE]
                                                print an equivalent configuration for that server

Options:
  -c, --config FILE    routing file (default: ./switchyard.yaml); edits apply live
      --data-dir DIR   where Switchyard keeps its state (default: ${defaultDataDir()})
      --no-watch       do not apply edits of the routing file while running
      --apache FILE    run from an Apache httpd.conf instead (read once, not watched)
      --ui-port PORT   port of the UI on 127.0.0.1 (default: ${DEFAULT_UI_PORT}, or a free port
                       when it is busy; 0 = any free port)
      --no-ui          do not serve the UI
      --open           open the UI in the default browser
  -h, --help           show this help
  -v, --version        print the version

Listeners bind to 127.0.0.1 unless the routing file says otherwise. The UI is served on
127.0.0.1 only, to whoever has the printed \`ui\` URL: it carries this run's access token.
Stop with Ctrl-C: open exchanges get ${SHUTDOWN_GRACE_MS / 1000} s to finish.`;

function printListeners(io: CliIo, listeners: readonly ListenerStatus[]): void {
  for (const l of listeners) io.out(`listening ${l.name} ${l.url}`);
  if (listeners.length === 0)
    io.out('no listeners: add one under `listeners:` in the routing file');
}

async function init(file: string, force: boolean, io: CliIo): Promise<number> {
  try {
    await writeFile(file, STARTER_CONFIG, { flag: force ? 'w' : 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      io.err(`switchyard: ${file} already exists; use --force to overwrite it`);
      return 1;
    }
    io.err(`switchyard: cannot write ${file}: ${(error as Error).message}`);
    return 1;
  }
  io.out(`wrote ${file}; run it with: switchyard --config ${file}`);
  return 0;
}

export interface Running {
  engine: Engine;
  /** The UI server and its EngineApi, unless started with `ui: false`. */
  ui?: HeadlessUi;
  /** Resolves once the command stopped, with its exit code. */
  stopped: Promise<number>;
  stop(): Promise<number>;
}

export interface ServeOptions {
  config: string;
  dataDir: string;
  watch: boolean;
  /** Run from this Apache configuration instead of the routing file (not watched). */
  apache?: string;
  /** The browser UI (default: served, see HeadlessUiOptions.port); false: none. */
  ui?: false | { port?: number; open?: boolean };
  /** Start every app of the routing file, not only those with autostart (`switchyard up`). */
  startAllApps?: boolean;
}

/** Start serving; undefined (after reporting why) when the command cannot start. */
export async function serve(
  options: ServeOptions,
  io: CliIo = consoleIo,
): Promise<Running | undefined> {
  const file = options.apache ?? options.config;
  const loaded = options.apache
    ? await loadApacheForServe(options.apache, io)
    : await loadRoutingFile(file);
  if (!loaded.ok) {
    const missing =
      loaded.problems.length === 1 && loaded.problems[0]?.message.startsWith('file not found');
    if (missing) {
      io.err(`switchyard: no routing file at ${file}`);
      io.err('  create a commented starter file:  switchyard init');
      io.err('  or name another file:             switchyard --config path/to/switchyard.yaml');
    } else {
      io.err(`switchyard: ${file} has problems:`);
      io.err(formatProblems(loaded.problems));
    }
    return undefined;
  }
  const engine = new Engine({
    dataDir: options.dataDir,
    configDir: dirname(resolve(file)),
    startAllApps: options.startAllApps === true,
  });
  engine.apps.events.on('changed', () => reportApps(engine, io));
  engine.events.on('warning', (message) => io.err(`warning: ${message}`));
  try {
    printListeners(io, await engine.apply(loaded.config));
  } catch (error) {
    io.err(`switchyard: ${(error as Error).message}`);
    await engine.close({ graceMs: 0 });
    return undefined;
  }
  let ui: HeadlessUi | undefined;
  if (options.ui !== false) {
    try {
      ui = await startHeadlessUi(engine, {
        ...(options.ui?.port === undefined ? {} : { port: options.ui.port }),
        version: packageVersion(),
        // The UI saves to the routing file; never over an Apache configuration.
        ...(options.apache ? {} : { configPath: resolve(file) }),
        onInternalError: (message) => io.err(message),
      });
    } catch (error) {
      io.err(`switchyard: ${(error as Error).message}`);
      await engine.close({ graceMs: 0 });
      return undefined;
    }
    io.out(`ui ${ui.server.url}`);
    // `switchyard run`, `alias` and `apps` find this instance and its token here.
    await announceInstance(options.dataDir, ui.server, {
      version: packageVersion(),
      ...(options.apache ? {} : { configPath: resolve(file) }),
    }).catch((error: unknown) =>
      io.err(`warning: switchyard run cannot find this instance: ${(error as Error).message}`),
    );
    for (const warning of ui.warnings) io.err(`warning: ${warning}`);
    if (options.ui?.open) openBrowser(ui.server.url, (message) => io.err(`warning: ${message}`));
  }

  const reload = async (): Promise<void> => {
    const next = await loadRoutingFile(file);
    if (!next.ok) {
      io.err(`${file} has problems; still running the previous configuration:`);
      io.err(formatProblems(next.problems));
      return;
    }
    try {
      const listeners = await engine.apply(next.config);
      io.out(
        `reloaded ${file}: ${listeners.length} listener(s), ${next.config.routes.length} route(s)`,
      );
      printListeners(io, listeners);
      ui?.api.reloadedFromFile(file);
    } catch (error) {
      io.err(`${file} could not be applied; still running the previous configuration:`);
      io.err((error as Error).message);
    }
  };
  const unwatch =
    options.watch && !options.apache ? watchFile(file, () => void reload()) : () => {};

  let finish: (code: number) => void = () => {};
  const stopped = new Promise<number>((r) => {
    finish = r;
  });
  let stopping: Promise<number> | undefined;
  const stop = (): Promise<number> => {
    stopping ??= (async () => {
      unwatch();
      await removeInstance(options.dataDir).catch(() => undefined);
      await ui?.close();
      await engine.close({ graceMs: SHUTDOWN_GRACE_MS });
      finish(0);
      return 0;
    })();
    return stopping;
  };
  return { engine, ...(ui ? { ui } : {}), stopped, stop };
}

/** One line per app whose state changed: `app shop up https://shop.localhost (pid 123)`. */
const lastAppStates = new WeakMap<Engine, Map<string, string>>();
function reportApps(engine: Engine, io: CliIo): void {
  const seen = lastAppStates.get(engine) ?? new Map<string, string>();
  lastAppStates.set(engine, seen);
  const current = new Set<string>();
  for (const app of engine.apps.status()) {
    for (const i of app.instances) {
      current.add(i.id);
      const line = `${i.state}${i.detail ? `: ${i.detail}` : ''}`;
      if (seen.get(i.id) === line || (!seen.has(i.id) && i.state === 'stopped')) continue;
      seen.set(i.id, line);
      const where =
        i.state === 'up' || i.state === 'alias'
          ? ` ${app.urls[0] ?? ''} → port ${i.port ?? '?'}${i.pid ? ` (pid ${i.pid})` : ''}`
          : '';
      io.out(`app ${app.name} ${line}${where}`);
    }
  }
  for (const id of seen.keys()) {
    if (current.has(id)) continue;
    seen.delete(id);
    io.out(
      `app ${id.split('#')[0] ?? id} ${id.includes('#run-') ? 'run ended' : 'removed'} (${id})`,
    );
  }
}

export async function main(argv: string[], io: CliIo = consoleIo): Promise<number> {
  // `ca` has its own options (--out, --name), so it is dispatched before parsing.
  if (argv[0] === 'ca') return caMain(argv.slice(1), io);
  if (argv[0] === 'import' || argv[0] === 'export') return apacheCommandMain(argv, io);
  if (argv[0] === 'run') return runMain(argv.slice(1), io);
  if (argv[0] === 'alias') return aliasMain(argv.slice(1), io);
  if (argv[0] === 'apps') return appsMain(argv.slice(1), io);
  if (argv[0] === 'hosts') return hostsMain(argv.slice(1), io);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        'data-dir': { type: 'string' },
        'no-watch': { type: 'boolean' },
        apache: { type: 'string' },
        'ui-port': { type: 'string' },
        'no-ui': { type: 'boolean' },
        open: { type: 'boolean' },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    io.err(`switchyard: ${(error as Error).message}`);
    io.err('run `switchyard --help` for usage');
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (values.version) {
    io.out(packageVersion());
    return 0;
  }
  const [command, ...rest] = positionals;
  if (command === 'init') {
    return init(resolve(rest[0] ?? values.config ?? 'switchyard.yaml'), values.force === true, io);
  }
  if (command !== undefined && command !== 'up') {
    io.err(`switchyard: unknown command '${command}'; run \`switchyard --help\` for usage`);
    return 2;
  }
  let uiPort: number | undefined;
  if (values['ui-port'] !== undefined) {
    uiPort = Number(values['ui-port']);
    if (!/^\d+$/.test(values['ui-port']) || uiPort > 65_535) {
      io.err(`switchyard: --ui-port must be a port number 0..65535, not '${values['ui-port']}'`);
      return 2;
    }
  }
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const up = command === 'up';
  let config = values.config ?? 'switchyard.yaml';
  if (up) {
    // `up` takes the same routing file as `switchyard run` does.
    const choice = await routingFileFor(values.config, dataDir);
    for (const note of choice.created ?? []) io.err(note);
    config = choice.path;
  }
  // Listening from the first moment: a signal that arrives while the engine is still
  // starting (listeners are up before the UI) stops it as soon as it has started.
  const started: { running?: Running; stopAsked: boolean } = { stopAsked: false };
  const onSignal = (): void => {
    io.err(
      `stopping: open exchanges get up to ${SHUTDOWN_GRACE_MS / 1000} s (Ctrl-C again quits now)`,
    );
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.once('SIGINT', () => process.exit(130));
    started.stopAsked = true;
    void started.running?.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const running = await serve(
    {
      config,
      startAllApps: up,
      dataDir,
      watch: values['no-watch'] !== true,
      ...(values.apache === undefined ? {} : { apache: values.apache }),
      ui:
        values['no-ui'] === true
          ? false
          : { ...(uiPort === undefined ? {} : { port: uiPort }), open: values.open === true },
    },
    io,
  );
  if (!running) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    return 1;
  }
  started.running = running;
  if (started.stopAsked) void running.stop();
  // A last line of defence: the engine handles every error of an exchange itself, so an
  // exception reaching here is a bug. Report it and keep serving the other exchanges.
  process.on('uncaughtException', (error) => {
    io.err(
      `switchyard: internal error (please report it); still running:\n${error.stack ?? String(error)}`,
    );
  });
  return running.stopped;
}
