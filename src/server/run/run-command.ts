/**
 * `switchyard run [NAME] -- COMMAND...`: start COMMAND with PORT set to a free port (and
 * the port flags of dev servers that ignore PORT), wait until it listens, and serve it at
 * https://NAME.localhost through the running Switchyard, started in the background when
 * there is none. The command's stdio is the terminal's; signals are passed on; the exit
 * code is the command's (128 + the signal's number when a signal ended it).
 *
 * The route lives as long as this process's API connection: when the command exits, or
 * this process is killed, Switchyard drops it. When Switchyard stops while the command
 * runs, the command keeps running and is registered again once Switchyard is back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { parseArgs } from 'node:util';
import type { AppRegistration } from '../../shared/apps.js';
import { parseDuration } from '../../shared/duration.js';
import { withPortFlags } from '../../engine/apps/framework-flags.js';
import { freePort, waitForPort } from '../../engine/apps/ports.js';
import type { CliIo } from '../cli-io.js';
import { defaultDataDir } from '../data-dir.js';
import type { ApiConnection } from './api-connection.js';
import { appNameFor } from './app-name.js';
import { connectOrStart, findRunning } from './background.js';
import { routingFileFor } from './user-config.js';

export const RUN_USAGE = `Usage: switchyard run [NAME] [options] -- COMMAND [ARGS...]

Runs COMMAND with PORT set to a free port and serves it at https://NAME.localhost through
the running Switchyard (started in the background when there is none). NAME defaults to
package.json's name, else the git repository's, else the folder's; in a git worktree
other than the main one, the branch is a prefix (feature-x.NAME). Running the same NAME
twice makes a balancer of both.

Options:
  -c, --config FILE        routing file for a Switchyard started now (default: ./switchyard.yaml,
                           else the one in the data folder)
      --data-dir DIR       Switchyard's data folder (default: ${defaultDataDir()})
      --port-timeout TIME  how long COMMAND may take to listen (default: 60s)`;

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const number = signal ? constants.signals[signal] : undefined;
  return 128 + (number ?? 1);
}

interface RunPlan {
  name: string;
  command: string[];
  config?: string;
  dataDir: string;
  portTimeoutMs: number;
}

function parse(argv: string[], io: CliIo): RunPlan | number {
  const split = argv.indexOf('--');
  const own = split === -1 ? argv : argv.slice(0, split);
  const command = split === -1 ? [] : argv.slice(split + 1);
  let parsed;
  try {
    parsed = parseArgs({
      args: own,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        'data-dir': { type: 'string' },
        'port-timeout': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.err(`switchyard run: ${(error as Error).message}`);
    return 2;
  }
  if (parsed.values.help) {
    io.out(RUN_USAGE);
    return 0;
  }
  if (command.length === 0 || parsed.positionals.length > 1) {
    io.err(
      command.length === 0
        ? 'switchyard run: no command; put it after --, as in: switchyard run shop -- npm run dev'
        : `switchyard run: one NAME before --, not ${parsed.positionals.join(' ')}`,
    );
    return 2;
  }
  const timeout = parsed.values['port-timeout'] ?? '60s';
  const portTimeoutMs = parseDuration(timeout);
  if (portTimeoutMs === undefined) {
    io.err(`switchyard run: --port-timeout must be a duration such as 30s or 2m, not '${timeout}'`);
    return 2;
  }
  return {
    name: parsed.positionals[0] ?? '',
    command,
    ...(parsed.values.config === undefined ? {} : { config: parsed.values.config }),
    dataDir: parsed.values['data-dir'] ?? defaultDataDir(),
    portTimeoutMs,
  };
}

/** Keep the instance registered for as long as the command runs, across Switchyard restarts. */
class Registration {
  #connection: ApiConnection | undefined;
  #done = false;
  readonly #dataDir: string;
  readonly #registration: AppRegistration;
  readonly #io: CliIo;

  constructor(dataDir: string, registration: AppRegistration, io: CliIo) {
    this.#dataDir = dataDir;
    this.#registration = registration;
    this.#io = io;
  }

  async start(connection: ApiConnection): Promise<string[]> {
    const { urls } = await connection.call('registerApp', this.#registration);
    this.#hold(connection);
    return urls;
  }

  #hold(connection: ApiConnection): void {
    this.#connection = connection;
    void connection.closed.then(() => {
      if (this.#done) return;
      this.#io.err(
        `switchyard run: Switchyard stopped; ${this.#registration.name}.localhost is gone until it is back (the command keeps running)`,
      );
      void this.#rejoin();
    });
  }

  async #rejoin(): Promise<void> {
    while (!this.#done) {
      await new Promise((r) => setTimeout(r, 1_000));
      const running = await findRunning(this.#dataDir);
      if (!running) continue;
      if (this.#done) {
        await running.connection.close();
        return;
      }
      try {
        const { urls } = await running.connection.call('registerApp', this.#registration);
        this.#io.err(`switchyard run: registered again: ${urls[0] ?? this.#registration.name}`);
        this.#hold(running.connection);
        return;
      } catch (error) {
        this.#io.err(`switchyard run: could not register again: ${(error as Error).message}`);
        await running.connection.close();
      }
    }
  }

  async end(): Promise<void> {
    this.#done = true;
    await this.#connection?.close();
  }
}

export async function runMain(argv: string[], io: CliIo): Promise<number> {
  const plan = parse(argv, io);
  if (typeof plan === 'number') return plan;
  const cwd = process.cwd();
  const named = await appNameFor(cwd, plan.name === '' ? undefined : plan.name);
  if (!named.ok) {
    io.err(`switchyard run: ${named.error}`);
    return 2;
  }
  const name = named.name;
  let connected;
  try {
    connected = await connectOrStart(plan.dataDir, async () => {
      const file = await routingFileFor(plan.config, plan.dataDir, cwd);
      for (const note of file.created ?? []) io.err(`switchyard run: ${note}`);
      return file.path;
    });
    if (connected.started)
      io.err(
        `switchyard run: started Switchyard in the background (pid ${connected.instance.pid}, ${connected.instance.configPath ?? ''}); UI ${connected.instance.uiUrl}`,
      );
  } catch (error) {
    io.err(`switchyard run: ${(error as Error).message}`);
    return 1;
  }
  const { connection } = connected;
  let environment;
  let port: number;
  try {
    environment = await connection.call('appEnvironment', name);
    port = await freePort();
  } catch (error) {
    io.err(`switchyard run: ${(error as Error).message}`);
    await connection.close();
    return 1;
  }
  const flagged = withPortFlags(plan.command, port);
  if (flagged.note) io.err(`switchyard run: ${flagged.note}`);
  const [program, ...args] = flagged.argv as [string, ...string[]];
  const child = spawn(program, args, {
    stdio: 'inherit',
    env: { ...process.env, ...environment.env, PORT: String(port) },
    // .cmd and .bat shims (npm, npx) need a shell on Windows.
    shell: process.platform === 'win32',
  });
  const registration = new Registration(
    plan.dataDir,
    {
      name,
      port,
      ...(child.pid === undefined ? {} : { pid: child.pid }),
      command: flagged.argv.join(' '),
      cwd,
    },
    io,
  );
  return supervise(child, { program, port, name, plan, connection, registration, io });
}

async function supervise(
  child: ChildProcess,
  ctx: {
    program: string;
    port: number;
    name: string;
    plan: RunPlan;
    connection: ApiConnection;
    registration: Registration;
    io: CliIo;
  },
): Promise<number> {
  const { io } = ctx;
  let exited = false;
  const exit = new Promise<number>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      exited = true;
      io.err(
        error.code === 'ENOENT'
          ? `switchyard run: command not found: ${ctx.program}`
          : `switchyard run: cannot start ${ctx.program}: ${error.message}`,
      );
      resolve(error.code === 'ENOENT' ? 127 : 126);
    });
    child.once('exit', (code, signal) => {
      exited = true;
      resolve(exitCodeOf(code, signal));
    });
  });
  const forward = (signal: NodeJS.Signals): void => {
    if (!exited) child.kill(signal);
  };
  for (const s of FORWARDED_SIGNALS) process.on(s, forward);
  try {
    const host = await waitForPort(ctx.port, ctx.plan.portTimeoutMs, () => exited);
    if (!host) {
      if (!exited) {
        io.err(
          `switchyard run: ${ctx.program} did not listen on port ${ctx.port} within ${ctx.plan.portTimeoutMs / 1000} s. Does it read PORT? If not, pass its port flag with $PORT, as in: switchyard run ${ctx.name} -- sh -c '${ctx.program} --port $PORT'`,
        );
        child.kill('SIGTERM');
        await exit;
        return 1;
      }
      const code = await exit;
      io.err(
        `switchyard run: ${ctx.program} exited with code ${code} before it listened on port ${ctx.port}`,
      );
      return code;
    }
    try {
      const urls = await ctx.registration.start(ctx.connection);
      io.err(
        `switchyard run: ${ctx.name} → ${urls[0] ?? `${ctx.name}.localhost (no listeners)`}  (port ${ctx.port}, pid ${child.pid ?? '?'})`,
      );
    } catch (error) {
      io.err(`switchyard run: ${(error as Error).message}`);
      child.kill('SIGTERM');
      await exit;
      return 1;
    }
    return await exit;
  } finally {
    for (const s of FORWARDED_SIGNALS) process.off(s, forward);
    await ctx.registration.end();
    await ctx.connection.close();
  }
}
