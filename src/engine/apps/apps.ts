/**
 * The apps Switchyard serves by name, from three sources:
 * - the routing file's `apps:` with a command: processes it starts and watches
 *   (app-process.ts);
 * - `apps:` entries with only a port: aliases for something already listening there;
 * - `switchyard run` processes, registered over the API for as long as they stay
 *   connected.
 * Instances with the same name are members of one balancer, so a second `switchyard run`
 * of a name, or a run next to a file app, makes a blue/green pair.
 *
 * The engine asks for `routes()` whenever `changed` fires and keeps the app routes in its
 * runtime (app-routes.ts); the API reports `status()` and the log.
 */
import { existsSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import {
  appHost,
  appRegistrationSchema,
  type AppConfig,
  type AppInstanceStatus,
  type AppLogLine,
  type AppRegistration,
  type AppState,
  type AppStatus,
} from '../../shared/apps.js';
import type { MemberState } from '../../shared/config.js';
import { memberLabel } from '../balancing/balancer.js';
import type { ListenerStatus } from '../listeners.js';
import { AppLog } from './app-log.js';
import { AppProcess } from './app-process.js';
import type { AppRoute } from './app-routes.js';
import { listeningOn, loopbackUrl } from './ports.js';

export interface AppsOptions {
  /** The listeners in force, for the URLs of each app. */
  listeners: () => ListenerStatus[];
  /** The local CA's certificate file, for NODE_EXTRA_CA_CERTS. */
  caCertPath: string;
  /** First restart delay (tests). */
  backoffMs?: number;
}

export interface AppsEvents {
  /** Some app's state, instances or members changed. */
  changed: [];
  log: [name: string, lines: AppLogLine[]];
}

interface RunInstance {
  id: string;
  name: string;
  port: number;
  member: string;
  pid?: number;
  command?: string;
  cwd?: string;
  startedAt: number;
}

/** Best first: an app is as up as its best instance. */
const STATE_ORDER: readonly AppState[] = [
  'up',
  'alias',
  'unhealthy',
  'starting',
  'restarting',
  'exited',
  'crashed',
  'stopped',
];

/** `SWITCHYARD_URL_SHOP_API` for the app `shop-api`. */
export function urlVariable(name: string): string {
  return `SWITCHYARD_URL_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

function defaultPort(url: URL): boolean {
  return (
    (url.protocol === 'https:' && url.port === '443') ||
    (url.protocol === 'http:' && url.port === '80') ||
    url.port === ''
  );
}

export class Apps {
  readonly events = new EventEmitter<AppsEvents>();
  readonly #options: AppsOptions;
  /** File apps by name: a process, or an alias (no command). */
  readonly #file = new Map<string, { config: AppConfig; process?: AppProcess }>();
  readonly #runs = new Map<string, RunInstance>();
  readonly #logs = new Map<string, AppLog>();
  /** Member states set from balancer-manager (blue/green), by member URL. */
  readonly #memberStates = new Map<string, MemberState>();
  #configured = false;
  #closed = false;

  constructor(options: AppsOptions) {
    this.#options = options;
  }

  #log(name: string): AppLog {
    let log = this.#logs.get(name);
    if (!log) {
      log = new AppLog((lines) => this.events.emit('log', name, lines));
      this.#logs.set(name, log);
    }
    return log;
  }

  #changed = (): void => {
    this.events.emit('changed');
  };

  /**
   * The routing file's apps, on every apply: new ones start (if autostart, or all with
   * `startAll` on the first call), removed ones stop, changed ones restart.
   */
  async configure(apps: readonly AppConfig[], configDir: string, startAll = false): Promise<void> {
    if (this.#closed) return;
    const first = !this.#configured;
    this.#configured = true;
    const wanted = new Map(apps.map((a) => [a.name, a]));
    const stops: Promise<void>[] = [];
    const starts: AppProcess[] = [];
    for (const [name, entry] of this.#file) {
      if (wanted.has(name)) continue;
      this.#file.delete(name);
      if (entry.process) {
        this.#log(name).note(entry.process.id, 'removed from the routing file; stopping');
        stops.push(entry.process.stop());
      }
    }
    for (const config of apps) {
      const entry = this.#file.get(config.name);
      if (entry?.process && config.command !== undefined) {
        await entry.process.reconfigure(config);
        entry.config = config;
        continue;
      }
      if (entry?.process) stops.push(entry.process.stop());
      const process =
        config.command === undefined
          ? undefined
          : new AppProcess(`${config.name}#${randomBytes(2).toString('hex')}`, config, {
              configDir,
              log: this.#log(config.name),
              env: (app, port) => this.#childEnv(app.name, port),
              changed: this.#changed,
              ...(this.#options.backoffMs === undefined
                ? {}
                : { backoffMs: this.#options.backoffMs }),
            });
      this.#file.set(config.name, { config, ...(process ? { process } : {}) });
      if (process && (config.autostart || (first && startAll))) starts.push(process);
    }
    // Every name is known before the first command starts: each gets the others' URLs.
    for (const process of starts) process.start();
    await Promise.all(stops);
    this.#changed();
  }

  /** The variables an app's command gets besides PORT. */
  #childEnv(name: string, _port: number): Record<string, string> {
    const env: Record<string, string> = {};
    const own = this.#urls(name)[0];
    if (own) env.SWITCHYARD_URL = own;
    for (const other of this.#names()) {
      if (other === name) continue;
      const url = this.#urls(other)[0];
      if (url) env[urlVariable(other)] = url;
    }
    if (existsSync(this.#options.caCertPath)) env.NODE_EXTRA_CA_CERTS = this.#options.caCertPath;
    return env;
  }

  /** What `switchyard run` gives its command, for the same reasons, and where it will be. */
  environment(name: string): { urls: string[]; env: Record<string, string> } {
    return { urls: this.#urls(name), env: this.#childEnv(name, 0) };
  }

  #names(): string[] {
    return [...new Set([...this.#file.keys(), ...[...this.#runs.values()].map((r) => r.name)])];
  }

  /** https://NAME.localhost:8443 for each listener (TLS first). */
  #urls(name: string): string[] {
    const host = appHost(name);
    const listeners = [...this.#options.listeners()].sort((a, b) => Number(b.tls) - Number(a.tls));
    return listeners.map((l) => {
      const url = new URL(`${l.tls ? 'https' : 'http'}://${host}:${l.port}/`);
      return defaultPort(url) ? `${url.protocol}//${host}` : `${url.protocol}//${host}:${l.port}`;
    });
  }

  /** A `switchyard run` instance; it must already listen on its port. */
  async register(registration: AppRegistration): Promise<{ id: string; urls: string[] }> {
    if (this.#closed) throw new Error('switchyard is stopping');
    const valid = appRegistrationSchema.safeParse(registration);
    if (!valid.success)
      throw new Error(
        `not an app registration: ${valid.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
      );
    const host = await listeningOn(registration.port);
    if (!host)
      throw new Error(
        `nothing listens on port ${registration.port} of 127.0.0.1 or ::1, so ${appHost(registration.name)} would have nowhere to go`,
      );
    const id = `${registration.name}#run-${randomBytes(3).toString('hex')}`;
    const member = loopbackUrl(host, registration.port);
    if (this.#members(registration.name).some((m) => m === member))
      throw new Error(`${member} already serves ${appHost(registration.name)}`);
    this.#runs.set(id, {
      id,
      name: registration.name,
      port: registration.port,
      member,
      startedAt: Date.now(),
      ...(registration.pid === undefined ? {} : { pid: registration.pid }),
      ...(registration.command === undefined ? {} : { command: registration.command }),
      ...(registration.cwd === undefined ? {} : { cwd: registration.cwd }),
    });
    this.#log(registration.name).note(
      id,
      `switchyard run: ${registration.command ?? ''} (pid ${registration.pid ?? '?'}) serves ${member}`,
    );
    this.#changed();
    return { id, urls: this.#urls(registration.name) };
  }

  unregister(id: string): void {
    const run = this.#runs.get(id);
    if (!run) return;
    this.#runs.delete(id);
    this.#memberStates.delete(run.member);
    this.#log(run.name).note(id, 'switchyard run ended; its route is gone');
    this.#changed();
  }

  #members(name: string): string[] {
    const out: string[] = [];
    const file = this.#file.get(name);
    if (file?.process?.member) out.push(file.process.member);
    if (file && !file.process && file.config.port !== undefined)
      out.push(loopbackUrl('127.0.0.1', file.config.port));
    for (const run of this.#runs.values()) if (run.name === name) out.push(run.member);
    return out;
  }

  isAppBalancer(name: string): boolean {
    return this.#names().some((n) => appHost(n) === name);
  }

  /** balancer-manager on an app's balancer: the member keeps this state while it serves. */
  setMemberState(balancer: string, url: string, state: MemberState): void {
    const name = this.#names().find((n) => appHost(n) === balancer);
    const member =
      name === undefined
        ? undefined
        : this.#members(name).find((m) => new URL(m).href === new URL(url).href);
    if (member === undefined) throw new Error(`balancer '${balancer}' has no member ${url}`);
    this.#memberStates.set(member, state);
    this.#changed();
  }

  /** A health check verdict on an app's member. */
  health(balancer: string, member: string, healthy: boolean, detail: string): void {
    const name = this.#names().find((n) => appHost(n) === balancer);
    const process = name === undefined ? undefined : this.#file.get(name)?.process;
    // Health changes name members by label, the member URL as written.
    if (process?.member !== undefined && memberLabel(process.member) === member)
      process.setHealthy(healthy, detail);
  }

  /** Each app's route: its serving instances, or why there are none. */
  routes(): AppRoute[] {
    return this.#names().map((name) => {
      const file = this.#file.get(name);
      const members = this.#members(name).map((url) => ({
        url,
        state: this.#memberStates.get(url) ?? 'enabled',
      }));
      const state = this.#state(name);
      const detail = file?.process?.status().detail;
      const unavailable =
        state === 'starting' || state === 'restarting'
          ? `${appHost(name)}: the app '${name}' is ${state}${detail ? ` (${detail})` : ''}; try again in a moment`
          : `${appHost(name)}: the app '${name}' is ${state}${detail ? ` (${detail})` : ''}; start it in Switchyard's Apps view`;
      return {
        name,
        members,
        unavailable,
        ...(file?.config.health === undefined ? {} : { health: file.config.health }),
      };
    });
  }

  #instances(name: string): AppInstanceStatus[] {
    const out: AppInstanceStatus[] = [];
    const file = this.#file.get(name);
    if (file?.process) out.push(file.process.status());
    else if (file?.config.port !== undefined) {
      out.push({
        id: `${name}#alias`,
        source: 'alias',
        state: 'alias',
        port: file.config.port,
        member: loopbackUrl('127.0.0.1', file.config.port),
        restarts: 0,
      });
    }
    for (const run of this.#runs.values()) {
      if (run.name !== name) continue;
      out.push({
        id: run.id,
        source: 'run',
        state: 'up',
        port: run.port,
        member: run.member,
        startedAt: run.startedAt,
        restarts: 0,
        ...(run.pid === undefined ? {} : { pid: run.pid }),
      });
    }
    return out;
  }

  #state(name: string): AppState {
    const states = this.#instances(name).map((i) => i.state);
    return STATE_ORDER.find((s) => states.includes(s)) ?? 'stopped';
  }

  status(): AppStatus[] {
    return this.#names()
      .sort()
      .map((name) => {
        const file = this.#file.get(name);
        const run = [...this.#runs.values()].find((r) => r.name === name);
        const command = file?.config.command ?? run?.command;
        const cwd = file?.config.cwd ?? run?.cwd;
        return {
          name,
          host: appHost(name),
          urls: this.#urls(name),
          inFile: file !== undefined,
          state: this.#state(name),
          instances: this.#instances(name),
          ...(command === undefined ? {} : { command }),
          ...(cwd === undefined ? {} : { cwd }),
        };
      });
  }

  log(name: string, options: Parameters<AppLog['lines']>[0] = {}): AppLogLine[] {
    return this.#logs.get(name)?.lines(options) ?? [];
  }

  /** Start, stop or restart one file app (by name) or all of them (undefined). */
  async control(name: string | undefined, action: 'start' | 'stop' | 'restart'): Promise<void> {
    const targets =
      name === undefined
        ? [...this.#file.values()]
        : [this.#file.get(name)].filter((e) => e !== undefined);
    if (name !== undefined && targets.length === 0) {
      if (this.#names().includes(name))
        throw new Error(
          `'${name}' runs from \`switchyard run\` in a terminal: stop it there (Ctrl-C)`,
        );
      throw new Error(`no app is named '${name}'`);
    }
    const processes = targets.flatMap((e) => (e.process ? [e.process] : []));
    if (name !== undefined && processes.length === 0)
      throw new Error(
        `'${name}' is an alias for port ${targets[0]?.config.port}: there is no process to ${action}`,
      );
    await Promise.all(
      processes.map((p) =>
        action === 'start' ? p.start() : action === 'stop' ? p.stop() : p.restart(),
      ),
    );
  }

  /** Stop every process Switchyard started; registrations end with their connections. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#file.values()].map((e) => e.process?.stop()));
  }
}
