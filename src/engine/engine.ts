/**
 * The engine: Switchyard's proxy, the same in the Electron main process and in the
 * headless `switchyard` command. It never imports electron.
 *
 * `apply` swaps configurations atomically: the new runtime (router, access list) is built
 * and every new listener bound before anything changes; if either fails, the running
 * configuration stays. Exchanges keep the runtime they started with, so in-flight
 * requests and open WebSockets finish on the old settings.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { hostname } from 'node:os';
import { routingConfigSchema, type RoutingConfig } from '../shared/config.js';
import { AccessList } from './access.js';
import { ExchangeHandler, type Runtime } from './exchange-handler.js';
import { Forwarder } from './forwarder.js';
import { ListenerPool, type ListenerStatus } from './listeners.js';
import { Router } from './router.js';

export interface EngineOptions {
  /** Where the engine keeps its state (the local CA, later). */
  dataDir: string;
}

export interface CloseOptions {
  /** How long in-flight exchanges and open tunnels may take before they are cut. */
  graceMs: number;
}

/** A configuration the engine cannot run although the schema accepts it. */
export class ConfigApplyError extends Error {
  override name = 'ConfigApplyError';
}

export class Engine {
  readonly dataDir: string;
  readonly #forwarder = new Forwarder();
  readonly #handler: ExchangeHandler;
  readonly #listeners: ListenerPool;
  readonly #tunnels = new Set<Socket>();
  #runtime: Runtime | undefined;
  #config: RoutingConfig | undefined;
  #closed = false;
  /** Serialises apply() and close() so two reloads never interleave. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: EngineOptions) {
    this.dataDir = options.dataDir;
    this.#handler = new ExchangeHandler(this.#forwarder, {
      via: `switchyard-${randomBytes(3).toString('hex')}`,
      serverName: hostname(),
    });
    this.#listeners = new ListenerPool({
      request: (slot, req, res) => {
        const runtime = this.#runtime;
        if (!runtime) {
          res.destroy();
          return;
        }
        this.#handler.request(runtime, slot, req, res);
      },
      upgrade: (slot, req, socket, head) => {
        // From here on this socket is ours alone: make sure no error on it is unhandled.
        socket.on('error', () => socket.destroy());
        const runtime = this.#runtime;
        if (!runtime) {
          socket.destroy();
          return;
        }
        this.#handler.upgrade(runtime, slot, req, socket, head, (client) => {
          this.#tunnels.add(client);
          client.once('close', () => this.#tunnels.delete(client));
        });
      },
    });
  }

  /** The configuration in force, as applied. */
  get config(): RoutingConfig | undefined {
    return this.#config;
  }

  listeners(): ListenerStatus[] {
    return this.#listeners.status();
  }

  /** Apply a configuration live. Rejects, leaving the running one in place, when it cannot. */
  apply(config: RoutingConfig): Promise<ListenerStatus[]> {
    const run = this.#queue.then(() => this.#apply(config));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #apply(input: RoutingConfig): Promise<ListenerStatus[]> {
    if (this.#closed) throw new ConfigApplyError('the engine is closed');
    const parsed = routingConfigSchema.safeParse(input);
    if (!parsed.success) {
      throw new ConfigApplyError(
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'),
      );
    }
    const config = parsed.data;
    const tls = config.listeners.find((l) => l.tls);
    if (tls) {
      throw new ConfigApplyError(
        `listener '${tls.name}' has tls: true, but TLS listeners are not supported by this version of the engine yet`,
      );
    }
    let runtime: Runtime;
    try {
      runtime = { router: new Router(config), access: new AccessList(config.access.allow) };
    } catch (error) {
      throw new ConfigApplyError((error as Error).message);
    }
    await this.#listeners.reconcile(config.listeners);
    this.#runtime = runtime;
    this.#config = config;
    return this.#listeners.status();
  }

  /** Stop listening, let exchanges finish within the grace period, then cut what is left. */
  close(options: CloseOptions = { graceMs: 10_000 }): Promise<void> {
    const run = this.#queue.then(() => this.#close(options.graceMs));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #close(graceMs: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const tunnelsDone = this.#waitForTunnels(graceMs);
    await this.#listeners.close(graceMs);
    await tunnelsDone;
    this.#forwarder.close();
  }

  async #waitForTunnels(graceMs: number): Promise<void> {
    if (this.#tunnels.size === 0) return;
    const allClosed = Promise.all(
      [...this.#tunnels].map(
        (s) => new Promise<void>((resolve) => s.once('close', () => resolve())),
      ),
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([allClosed, deadline]);
    clearTimeout(timer);
    for (const socket of this.#tunnels) socket.destroy();
  }
}
