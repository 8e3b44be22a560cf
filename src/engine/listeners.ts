/**
 * Listeners: the HTTP servers Switchyard binds. Reconciled against each new configuration
 * so that a listener whose address, port and protocol did not change keeps its socket and
 * its open connections; new ones are bound before anything is closed, so a failing bind
 * (port in use) leaves the running set untouched; removed ones stop accepting and let
 * in-flight exchanges finish.
 */
import type { ListenerConfig } from '../shared/config.js';
import type { ClientTimeouts } from './client-timeouts.js';
import type { ListenerSlot } from './exchange-handler.js';
import {
  createListenerServer,
  type ListenerServer,
  type ServerCallbacks,
  type TlsOptions,
} from './listener-server.js';

export interface ListenerCallbacks extends ServerCallbacks {
  /** Certificates for TLS listeners (default certificate + SNICallback), asked on bind. */
  tls(): Promise<TlsOptions>;
}

export interface ListenerStatus {
  name: string;
  address: string;
  port: number;
  tls: boolean;
  url: string;
}

interface Bound {
  config: ListenerConfig;
  slot: ListenerSlot;
  served: ListenerServer;
  port: number;
}

/** Port 0 listeners have no fixed identity; name them apart so each reload rebinds them. */
function identity(l: ListenerConfig): string {
  const protocols = `${l.tls}|${l.http2}`;
  return l.port === 0
    ? `${l.address}|0|${l.name}|${protocols}`
    : `${l.address}|${l.port}|${protocols}`;
}

function urlOf(address: string, port: number, tls: boolean): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return `${tls ? 'https' : 'http'}://${host}:${port}`;
}

export class BindError extends Error {
  constructor(listener: ListenerConfig, error: NodeJS.ErrnoException) {
    const where = `${listener.address}:${listener.port}`;
    const reason =
      error.code === 'EADDRINUSE'
        ? `${where} is already in use by another program; stop it or choose another port`
        : error.code === 'EACCES'
          ? `binding ${where} needs privileges; use a port above 1023`
          : error.code === 'EADDRNOTAVAIL'
            ? `${listener.address} is not an address of this machine`
            : `${where}: ${error.message}`;
    super(`listener '${listener.name}' cannot listen: ${reason}`);
    this.name = 'BindError';
  }
}

export class ListenerPool {
  readonly #callbacks: ListenerCallbacks;
  #bound = new Map<string, Bound>();
  readonly #closing = new Set<Promise<void>>();

  constructor(callbacks: ListenerCallbacks) {
    this.#callbacks = callbacks;
  }

  status(): ListenerStatus[] {
    return [...this.#bound.values()].map((b) => ({
      name: b.slot.name,
      address: b.config.address,
      port: b.port,
      tls: b.config.tls,
      url: urlOf(b.config.address, b.port, b.config.tls),
    }));
  }

  async #open(config: ListenerConfig, timeouts: ClientTimeouts): Promise<Bound> {
    const slot: ListenerSlot = { name: config.name, secure: config.tls, closing: false };
    const tls = config.tls ? await this.#callbacks.tls() : undefined;
    const served = createListenerServer(config, timeouts, tls, slot, this.#callbacks);
    const { server } = served;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(new BindError(config, error)));
      server.listen(
        { host: config.address, port: config.port, ipv6Only: config.address.includes(':') },
        resolve,
      );
    });
    server.on('error', () => {
      // After a successful bind a server-level error (EMFILE, say) must not end the process.
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    return { config, slot, served, port };
  }

  /** Make the bound set equal to `wanted`. Throws BindError with nothing changed on failure. */
  async reconcile(wanted: readonly ListenerConfig[], timeouts: ClientTimeouts): Promise<void> {
    const next = new Map<string, Bound>();
    const opened: Bound[] = [];
    try {
      for (const config of wanted) {
        const key = identity(config);
        const kept = this.#bound.get(key);
        if (kept) {
          next.set(key, kept);
          continue;
        }
        const bound = await this.#open(config, timeouts);
        opened.push(bound);
        next.set(key, bound);
      }
    } catch (error) {
      await Promise.all(opened.map((b) => this.#stop(b, 0)));
      throw error;
    }
    for (const [key, bound] of this.#bound) {
      if (!next.has(key)) void this.#stop(bound, 30_000);
    }
    for (const config of wanted) {
      const bound = next.get(identity(config));
      if (!bound) continue;
      bound.config = config;
      bound.slot.name = config.name;
      bound.served.setHeaderTimeout(timeouts.headerMs);
    }
    this.#bound = next;
  }

  /** Stop accepting; let in-flight exchanges finish for up to graceMs, then cut. */
  #stop(bound: Bound, graceMs: number): Promise<void> {
    bound.slot.closing = true;
    const closed = new Promise<void>((resolve) => {
      const { served } = bound;
      const timer = setTimeout(() => served.closeAll(), graceMs);
      // Keep-alive connections become idle as their last exchange ends; close them then
      // rather than waiting for the client's or the server's keep-alive timeout.
      const sweep = setInterval(() => served.closeIdle(), 100);
      served.server.close(() => {
        clearTimeout(timer);
        clearInterval(sweep);
        resolve();
      });
      served.closeIdle();
    });
    this.#closing.add(closed);
    void closed.then(() => this.#closing.delete(closed));
    return closed;
  }

  async close(graceMs: number): Promise<void> {
    const all = [...this.#bound.values()];
    this.#bound = new Map();
    await Promise.all([...all.map((b) => this.#stop(b, graceMs)), ...this.#closing]);
  }
}
