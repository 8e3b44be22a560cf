/**
 * One app of the routing file's `apps:` list, run and watched as overmind or foreman
 * would: the command starts under a keeper (keeper.ts) with PORT set, counts as up once
 * the port accepts connections, and is restarted by its `restart` policy with a backoff
 * of 1, 2, 4 … 30 s. Five failed starts in a row (exits before the port opened or within
 * STABLE_MS of it) make it `crashed`: it stays stopped until someone starts it again.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AppConfig, AppInstanceStatus, AppState } from '../../shared/apps.js';
import { parseDuration } from '../../shared/duration.js';
import type { AppLog } from './app-log.js';
import { withPortFlags } from './framework-flags.js';
import { spawnKept, STOP_GRACE_MS } from './keeper.js';
import { freePort, listeningOn, loopbackUrl, waitForPort } from './ports.js';

/** Starts that fail in a row before the app counts as crashed. */
export const MAX_FAILED_STARTS = 5;
/** Up for this long, an instance's later exit is a new failure series, not part of the last. */
const STABLE_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;

export interface AppProcessOptions {
  /** Where `cwd` starts: the routing file's folder. */
  configDir: string;
  log: AppLog;
  /** Variables every app gets (SWITCHYARD_URL…, NODE_EXTRA_CA_CERTS), computed at each start. */
  env: (app: AppConfig, port: number) => Record<string, string>;
  /** State changed (the app's route follows). */
  changed: () => void;
  /** Shorter backoff for tests (ms of the first restart delay). */
  backoffMs?: number;
}

/** An app's cwd: relative to the routing file's folder, `~/` in the home folder. */
export function workingDirectory(configDir: string, cwd: string | undefined): string {
  if (cwd === undefined) return resolve(configDir);
  if (cwd === '~' || cwd.startsWith('~/')) return join(homedir(), cwd.slice(1));
  return resolve(configDir, cwd);
}

/** Split a simple command line into words, or undefined when the shell must read it. */
function simpleWords(command: string): string[] | undefined {
  if (/["'`$\\|&;<>(){}*?!#~\n]/.test(command)) return undefined;
  return command.trim().split(/\s+/);
}

export class AppProcess {
  readonly id: string;
  #config: AppConfig;
  readonly #options: AppProcessOptions;
  #child: ChildProcess | undefined;
  #state: AppState = 'stopped';
  #port: number | undefined;
  #pid: number | undefined;
  #member: string | undefined;
  #startedAt: number | undefined;
  #upAt: number | undefined;
  #exitCode: number | null | undefined;
  #signal: string | null | undefined;
  #detail: string | undefined;
  #restarts = 0;
  #failedStarts = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  /** Set while a stop was asked for: the exit that follows is not a failure. */
  #stopping = false;
  #exited: Promise<void> = Promise.resolve();

  constructor(id: string, config: AppConfig, options: AppProcessOptions) {
    this.id = id;
    this.#config = config;
    this.#options = options;
  }

  get config(): AppConfig {
    return this.#config;
  }

  get state(): AppState {
    return this.#state;
  }

  /** The member URL while the command serves. */
  get member(): string | undefined {
    return this.#state === 'up' || this.#state === 'unhealthy' ? this.#member : undefined;
  }

  status(): AppInstanceStatus {
    return {
      id: this.id,
      source: 'file',
      state: this.#state,
      restarts: this.#restarts,
      ...(this.#port === undefined ? {} : { port: this.#port }),
      ...(this.#pid === undefined ? {} : { pid: this.#pid }),
      ...(this.member === undefined ? {} : { member: this.member }),
      ...(this.#startedAt === undefined ? {} : { startedAt: this.#startedAt }),
      ...(this.#exitCode === undefined ? {} : { exitCode: this.#exitCode }),
      ...(this.#signal === undefined ? {} : { signal: this.#signal }),
      ...(this.#detail === undefined ? {} : { detail: this.#detail }),
    };
  }

  /** A new configuration for the same name; a running command restarts when it differs. */
  async reconfigure(config: AppConfig): Promise<void> {
    const same = JSON.stringify(config) === JSON.stringify(this.#config);
    this.#config = config;
    if (!same && this.#child) await this.restart();
  }

  /** The health check of the app's balancer changed its verdict. */
  setHealthy(healthy: boolean, detail: string): void {
    if (this.#state !== 'up' && this.#state !== 'unhealthy') return;
    const next = healthy ? 'up' : 'unhealthy';
    if (next === this.#state) return;
    this.#set(next, healthy ? undefined : `health check ${this.#config.health ?? ''}: ${detail}`);
    this.#options.log.note(this.id, healthy ? 'healthy again' : `unhealthy: ${detail}`);
  }

  start(): void {
    if (this.#child || this.#restartTimer) return;
    this.#failedStarts = 0;
    void this.#launch();
  }

  async restart(): Promise<void> {
    await this.stop();
    this.#failedStarts = 0;
    void this.#launch();
  }

  /** Stop the command (SIGTERM to its group, SIGKILL after the grace period). */
  async stop(): Promise<void> {
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    const child = this.#child;
    if (!child) {
      if (this.#state === 'restarting' || this.#state === 'crashed' || this.#state === 'exited')
        this.#set('stopped', undefined);
      return;
    }
    this.#stopping = true;
    if (child.connected) child.send({ stop: true });
    else child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS + 2_000);
    await this.#exited;
    clearTimeout(killer);
  }

  #set(state: AppState, detail: string | undefined): void {
    this.#state = state;
    this.#detail = detail;
    this.#options.changed();
  }

  async #launch(): Promise<void> {
    const config = this.#config;
    const command = config.command;
    if (command === undefined) return;
    this.#stopping = false;
    this.#exitCode = undefined;
    this.#signal = undefined;
    this.#pid = undefined;
    const cwd = workingDirectory(this.#options.configDir, config.cwd);
    if (!existsSync(cwd)) {
      this.#options.log.note(this.id, `the working directory ${cwd} does not exist`);
      this.#set('crashed', `the working directory ${cwd} does not exist (cwd in the routing file)`);
      return;
    }
    let port: number;
    try {
      port = config.port ?? (await freePort());
    } catch (error) {
      this.#set('crashed', `no free port: ${(error as Error).message}`);
      return;
    }
    if (config.port !== undefined && (await listeningOn(config.port)) !== undefined) {
      // Something else would answer in its place, and look like this app being up.
      const message = `port ${config.port} is already in use by another program; stop it, or remove port from the app to get a free one`;
      this.#options.log.note(this.id, message);
      this.#set('crashed', message);
      return;
    }
    this.#port = port;
    let line = command;
    const words = simpleWords(command);
    if (words) {
      const flagged = withPortFlags(words, port);
      if (flagged.argv.length !== words.length) line = flagged.argv.join(' ');
      if (flagged.note) this.#options.log.note(this.id, flagged.note);
    }
    const env = {
      ...process.env,
      ...config.env,
      ...this.#options.env(config, port),
      PORT: String(port),
    };
    this.#set('starting', `$ ${line}`);
    this.#options.log.note(this.id, `$ ${line}   (PORT=${port}, in ${cwd})`);
    const child = spawnKept(line, { cwd, env });
    this.#child = child;
    this.#startedAt = Date.now();
    this.#upAt = undefined;
    let exited = false;
    let finish: () => void = () => {};
    this.#exited = new Promise((r) => {
      finish = r;
    });
    this.#options.log.follow(this.id, 'out', child.stdout!);
    this.#options.log.follow(this.id, 'err', child.stderr!);
    let exit: { code: number | null; signal: string | null } | undefined;
    let spawnError: string | undefined;
    child.on(
      'message',
      (message: { pid?: number; exit?: number | null; signal?: string | null; error?: string }) => {
        if (message.pid !== undefined) {
          this.#pid = message.pid;
          this.#options.changed();
        }
        if ('exit' in message)
          exit = { code: message.exit ?? null, signal: message.signal ?? null };
        if (message.error !== undefined) spawnError = message.error;
      },
    );
    child.on('error', (error) => {
      spawnError = error.message;
    });
    child.once('exit', (code, signal) => {
      exited = true;
      this.#child = undefined;
      this.#onExit(exit ?? { code, signal }, spawnError);
      finish();
    });
    const host = await waitForPort(
      port,
      parseDuration(config.portTimeout) ?? 60_000,
      () => exited || this.#stopping,
    );
    if (exited || this.#stopping) return;
    if (!host) {
      this.#options.log.note(
        this.id,
        `did not open port ${port} within ${config.portTimeout}; stopping it`,
      );
      this.#detail = `did not open port ${port} within ${config.portTimeout}`;
      const child = this.#child;
      if (child?.connected) child.send({ stop: true });
      return;
    }
    this.#member = loopbackUrl(host, port);
    this.#upAt = Date.now();
    this.#options.log.note(this.id, `up: pid ${this.#pid ?? '?'} serves ${this.#member}`);
    this.#set('up', undefined);
  }

  #onExit(
    exit: { code: number | null; signal: string | null },
    spawnError: string | undefined,
  ): void {
    this.#exitCode = exit.code;
    this.#signal = exit.signal;
    this.#pid = undefined;
    this.#member = undefined;
    const how = spawnError
      ? `could not start: ${spawnError}`
      : exit.signal
        ? `was killed by ${exit.signal}`
        : exit.code === 127
          ? 'exited with code 127: command not found'
          : `exited with code ${exit.code}`;
    const timedOut = this.#detail?.startsWith('did not open port') === true;
    if (this.#stopping) {
      this.#options.log.note(this.id, `stopped (${how})`);
      this.#set('stopped', undefined);
      return;
    }
    const failed = timedOut || spawnError !== undefined || exit.signal !== null || exit.code !== 0;
    const stable = this.#upAt !== undefined && Date.now() - this.#upAt >= STABLE_MS;
    this.#failedStarts = stable ? 1 : this.#failedStarts + 1;
    const sentence = timedOut ? `${this.#detail} (${how})` : how;
    const policy = this.#config.restart;
    if (policy === 'never' || (policy === 'on-failure' && !failed)) {
      this.#options.log.note(this.id, sentence);
      this.#set('exited', sentence);
      return;
    }
    if (this.#failedStarts >= MAX_FAILED_STARTS && !stable) {
      const message = `${sentence}; ${MAX_FAILED_STARTS} failed starts in a row, so it stays stopped until you start it`;
      this.#options.log.note(this.id, message);
      this.#set('crashed', message);
      return;
    }
    const base = this.#options.backoffMs ?? 1_000;
    const delay = Math.min(base * 2 ** (this.#failedStarts - 1), MAX_BACKOFF_MS);
    const message = `${sentence}; restarting in ${delay < 1000 ? `${delay} ms` : `${delay / 1000} s`}`;
    this.#options.log.note(this.id, message);
    this.#set('restarting', message);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      this.#restarts++;
      void this.#launch();
    }, delay);
  }
}
