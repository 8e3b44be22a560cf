/**
 * The engine: Switchyard's proxy, the same in the Electron main process and in the
 * headless `switchyard` command. It never imports electron.
 *
 * `apply` swaps configurations atomically: the new runtime (router, access list,
 * balancers) is built and every new listener bound before anything changes; if either
 * fails, the running configuration stays. Exchanges keep the runtime they started with, so
 * in-flight requests and open WebSockets finish on the old settings. MemberStats live
 * outside the runtime, keyed by member URL, so counters and health survive reloads.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type https from 'node:https';
import { hostname } from 'node:os';
import {
  routingConfigSchema,
  type MemberConfig,
  type RouteConfig,
  type RoutingConfig,
} from '../shared/config.js';
import { AccessList } from './access.js';
import { withAppRoutes } from './apps/app-routes.js';
import { Apps } from './apps/apps.js';
import { Balancer, memberLabel } from './balancing/balancer.js';
import { HealthChecker, type HealthChange } from './balancing/health.js';
import { MemberStatsStore, type MemberStats } from './balancing/member-stats.js';
import { StickySessions } from './balancing/sticky-sessions.js';
import { Recorder, type CaptureLimits } from './capture/recorder.js';
import { compileClientTimeouts } from './client-timeouts.js';
import { ExchangeHandler, type Runtime } from './exchange-handler.js';
import type { ExchangeSummary } from '../shared/exchange.js';
import { Forwarder, type Http2SessionStatus } from './forwarder/forwarder.js';
import { GrpcSchemas } from './grpc/grpc-schemas.js';
import { ListenerPool, type ListenerStatus } from './listeners.js';
import { Router } from './router.js';
import { ResendTickets } from './capture/resend-tickets.js';
import { caPaths, CertificateAuthority } from './tls/authority.js';
import { tlsNamesOf } from './tls/route-names.js';

export interface EngineOptions {
  /** Where the engine keeps its state (the local CA, later). */
  dataDir: string;
  /** Traffic log limits; see DEFAULT_CAPTURE_LIMITS. */
  capture?: Partial<CaptureLimits>;
  /** Where the routing file's relative paths (grpc.protos) start; default: the working directory. */
  configDir?: string;
  /** Start every app of the routing file, not only those with autostart (`switchyard up`). */
  startAllApps?: boolean;
  /** First restart delay of a failed app, ms (tests). */
  appBackoffMs?: number;
}

export interface CloseOptions {
  /** How long in-flight exchanges and open tunnels may take before they are cut. */
  graceMs: number;
}

/** A configuration the engine cannot run although the schema accepts it. */
export class ConfigApplyError extends Error {
  override name = 'ConfigApplyError';
}

export interface EngineEvents {
  /** Something the user should know that did not stop the engine (CA constraints, say). */
  warning: [string];
  /** An exchange ended (recorded summary; not emitted while capture is paused). */
  exchange: [ExchangeSummary];
  health: [HealthChange];
}

/** balancer-manager's view of one member: configuration and live statistics. */
export interface MemberStatus extends MemberConfig {
  stats: Omit<MemberStats, 'url' | 'lbStatus'>;
  /** h2c:// and h2:// members: the transport's session to the member, read now. */
  http2?: Http2SessionStatus;
}

export interface BalancerStatus {
  name: string;
  method: string;
  stickySession?: string;
  members: MemberStatus[];
}

export type MemberChange = Partial<Pick<MemberConfig, 'state' | 'loadFactor'>>;

export class Engine {
  readonly dataDir: string;
  /** `exchange` when an exchange ends (only while someone listens), `health` on changes. */
  readonly events = new EventEmitter<EngineEvents>();
  /** The traffic log. */
  readonly recorder: Recorder;
  /** Message schemas of gRPC calls for the inspector (.proto files, server reflection). */
  readonly grpcSchemas = new GrpcSchemas();
  /** Sessions seen per sticky balancer, for the sticky inspector. */
  readonly stickySessions = new StickySessions();
  /** One-time tickets of requests the engine sends again (edit and resend, fan-out). */
  readonly resends = new ResendTickets();
  /** Apps served by name (NAME.localhost): their processes, registrations and logs. */
  readonly apps: Apps;
  readonly #configDir: string;
  readonly #startAllApps: boolean;
  /** The app routes the runtime was built with, to rebuild only when they change. */
  #appRoutesKey = '';
  #appsPending = false;
  #shadowedApps = '';
  readonly #forwarder = new Forwarder();
  readonly #handler: ExchangeHandler;
  readonly #listeners: ListenerPool;
  readonly #tunnels = new Set<Socket>();
  readonly #stats = new MemberStatsStore();
  readonly #health = new HealthChecker((change) => {
    if (this.apps.isAppBalancer(change.balancer))
      this.apps.health(
        change.balancer,
        change.member,
        change.health !== 'unhealthy',
        change.detail,
      );
    this.events.emit('health', change);
  });
  #runtime: Runtime | undefined;
  #authority: Promise<CertificateAuthority> | undefined;
  /** Hostnames that TLS routes name, for the CA's constraints. */
  #tlsNames: string[] = [];
  #config: RoutingConfig | undefined;
  /** The file's configuration with the app routes: what the runtime was built from. */
  #effective: RoutingConfig | undefined;
  #closed = false;
  /** Serialises apply() and close() so two reloads never interleave. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: EngineOptions) {
    this.dataDir = options.dataDir;
    this.#configDir = options.configDir ?? process.cwd();
    this.#startAllApps = options.startAllApps ?? false;
    this.apps = new Apps({
      listeners: () => this.#listeners.status(),
      caCertPath: caPaths(options.dataDir).cert,
      ...(options.appBackoffMs === undefined ? {} : { backoffMs: options.appBackoffMs }),
    });
    this.apps.events.on('changed', () => this.#appsChanged());
    this.recorder = new Recorder(options.capture);
    this.#handler = new ExchangeHandler(
      this.#forwarder,
      { via: `switchyard-${randomBytes(3).toString('hex')}`, serverName: hostname() },
      this.recorder,
      this.resends,
    );
    this.recorder.events.on('exchange', (recording) => {
      // A summary is built only for someone listening (tests and embedders; the UI's
      // stream goes through EngineApi).
      if (recording.ended && this.events.listenerCount('exchange') > 0) {
        this.events.emit('exchange', recording.summary);
      }
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
      tls: () => this.#serverTls(),
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
    return this.#serially(() => this.#apply(config));
  }

  #serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
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
    const first = this.#config === undefined;
    await this.#install(config);
    // Apps start once their configuration is in force; their routes follow as they come up.
    await this.apps.configure(config.apps, this.#configDir, first && this.#startAllApps);
    await this.#reinstallForApps();
    return this.#listeners.status();
  }

  /** Resolves once the runtime routes every app as it is now (after a registration, say). */
  appRoutesApplied(): Promise<void> {
    return this.#serially(() => this.#reinstallForApps());
  }

  /** An app changed: rebuild the runtime once its routes differ (coalesced, in order). */
  #appsChanged(): void {
    if (this.#appsPending || this.#closed || !this.#config) return;
    this.#appsPending = true;
    void this.#serially(async () => {
      this.#appsPending = false;
      await this.#reinstallForApps();
    }).catch((error: unknown) =>
      this.events.emit('warning', `app routes could not be applied: ${(error as Error).message}`),
    );
  }

  async #reinstallForApps(): Promise<void> {
    const config = this.#config;
    if (!config || this.#closed) return;
    if (JSON.stringify(this.apps.routes()) !== this.#appRoutesKey) await this.#install(config);
  }

  /** Build and swap in the runtime for the file's configuration plus the app routes. */
  async #install(fileConfig: RoutingConfig): Promise<void> {
    const appRoutes = this.apps.routes();
    const { config, shadowed } = withAppRoutes(fileConfig, appRoutes);
    const shadowedKey = shadowed.join(',');
    if (shadowed.length > 0 && shadowedKey !== this.#shadowedApps) {
      this.events.emit(
        'warning',
        `the routing file routes ${shadowed.map((n) => `${n}.localhost`).join(', ')} itself, so those apps are reached through its routes, not as apps`,
      );
    }
    this.#shadowedApps = shadowedKey;
    const { names: tlsNames, singleLabel } = tlsNamesOf(config);
    if (config.listeners.some((l) => l.tls)) await this.#checkTlsNames(tlsNames);
    else await this.#trustExistingCa();
    if (singleLabel.length > 0) {
      this.events.emit(
        'warning',
        `TLS routes name ${singleLabel.join(', ')}, a single-label host the local CA cannot issue for (a CA permitted for it could vouch for a whole top-level domain); use ${singleLabel.map((h) => `${h}.localhost`).join(', ')} for HTTPS.`,
      );
    }
    let runtime: Runtime;
    try {
      runtime = {
        router: new Router(config),
        access: new AccessList(config.access.allow),
        balancers: new Map(
          config.balancers.map((b) => [b.name, new Balancer(b, this.#stats, this.stickySessions)]),
        ),
        clientTimeouts: compileClientTimeouts(config.clientTimeouts),
      };
    } catch (error) {
      throw new ConfigApplyError((error as Error).message);
    }
    await this.#listeners.reconcile(config.listeners, runtime.clientTimeouts);
    this.#runtime = runtime;
    this.#config = fileConfig;
    this.#effective = config;
    this.#appRoutesKey = JSON.stringify(appRoutes);
    this.#tlsNames = tlsNames;
    this.#stats.retain(
      new Set(config.balancers.flatMap((b) => b.members.map((m) => memberLabel(m.url)))),
    );
    this.#health.update([...runtime.balancers.values()]);
    this.stickySessions.retain(new Set(runtime.balancers.keys()));
    for (const problem of await this.grpcSchemas.configure(config.grpc, this.#configDir)) {
      this.events.emit('warning', problem);
    }
  }

  /**
   * The local CA, opened (created on first use) when a TLS listener first needs it. It is
   * created permitting the hostnames TLS routes name; an existing CA is never widened here.
   */
  certificateAuthority(names: readonly string[] = this.#tlsNames): Promise<CertificateAuthority> {
    // Opening it also trusts it for https backends (another local Switchyard, say).
    this.#authority ??= CertificateAuthority.open(this.dataDir, { names: [...names] }).then(
      (ca) => {
        this.#forwarder.trust([ca.certPem]);
        return ca;
      },

      (error: unknown) => {
        this.#authority = undefined;
        throw new ConfigApplyError(
          `the local certificate authority cannot be used: ${(error as Error).message}`,
        );
      },
    );
    return this.#authority;
  }

  /** https backends may carry certificates from this CA (another local Switchyard, say). */
  async #trustExistingCa(): Promise<void> {
    if (this.#authority) return; // trusted when it was opened
    try {
      if (await CertificateAuthority.exists(this.dataDir)) await this.certificateAuthority();
    } catch {
      // No usable CA: https backends are verified against the system store alone.
    }
  }

  async #checkTlsNames(names: readonly string[]): Promise<void> {
    const ca = await this.certificateAuthority(names);
    const missing = ca.missingNames(names);
    if (missing.length === 0) return;
    this.events.emit(
      'warning',
      `TLS routes name ${missing.join(', ')}, outside the local CA's name constraints (${ca.permitted.join(', ')}); ` +
        'browsers will refuse those hosts. Re-issue the CA to include them (`switchyard ca reissue`), then trust it again.',
    );
  }

  /** Options for a TLS listener: a default certificate and one per SNI hostname. */
  async #serverTls(): Promise<Pick<https.ServerOptions, 'cert' | 'key' | 'SNICallback'>> {
    const ca = await this.certificateAuthority();
    const fallback = await ca.leaf(ca.defaultHostname);
    return {
      cert: fallback.certPem,
      key: fallback.keyPem,
      SNICallback: (servername, callback) => {
        ca.secureContext(servername).then(
          (context) => callback(null, context),
          (error: Error) => {
            this.events.emit(
              'warning',
              `TLS handshake for '${servername}' refused: ${error.message}`,
            );
            callback(error);
          },
        );
      },
    };
  }

  /** The routes that send to a balancer (app routes included). */
  routesToBalancer(name: string): RouteConfig[] {
    return (this.#effective?.routes ?? []).filter((r) => this.balancerOfRoute(r.name) === name);
  }

  /** The balancer a route sends to (app routes included), as the router compiled it. */
  balancerOfRoute(route: string): string | undefined {
    const action = this.#runtime?.router.routes.find((r) => r.name === route)?.action;
    return action?.kind === 'proxy' && action.target.kind === 'balancer'
      ? action.target.name
      : undefined;
  }

  /** Hostnames the TLS routes of the configuration in force name. */
  tlsNames(): string[] {
    return [...this.#tlsNames];
  }

  /** balancer-manager: every balancer with its members' configuration and live stats. */
  balancers(): BalancerStatus[] {
    return [...(this.#runtime?.balancers.values() ?? [])].map((b) => ({
      name: b.name,
      method: b.config.method,
      ...(b.config.stickySession === undefined ? {} : { stickySession: b.config.stickySession }),
      members: b.members.map((m) => {
        const { url: _url, lbStatus: _lb, ...stats } = m.stats;
        if (!m.target.http2) return { ...m.config, stats };
        return { ...m.config, stats, http2: this.#forwarder.http2Session(m.target.origin) };
      }),
    }));
  }

  /** Change a member's state or loadFactor live, as balancer-manager does. */
  setMember(balancer: string, url: string, change: MemberChange): Promise<void> {
    if (
      this.apps.isAppBalancer(balancer) &&
      !this.#config?.balancers.some((b) => b.name === balancer)
    ) {
      if (change.loadFactor !== undefined && change.state === undefined)
        return Promise.reject(
          new ConfigApplyError(
            `the instances of an app's balancer ('${balancer}') share the load equally`,
          ),
        );
      return Promise.resolve().then(() => {
        if (change.state !== undefined) this.apps.setMemberState(balancer, url, change.state);
      });
    }
    return this.#editBalancer(balancer, (members) => {
      const at = this.#memberIndex(balancer, members, url);
      members[at] = { ...members[at]!, ...change };
      return members;
    });
  }

  addMember(balancer: string, member: MemberConfig): Promise<void> {
    return this.#editBalancer(balancer, (members) => [...members, member]);
  }

  removeMember(balancer: string, url: string): Promise<void> {
    return this.#editBalancer(balancer, (members) => {
      const at = this.#memberIndex(balancer, members, url);
      return members.filter((_, i) => i !== at);
    });
  }

  #memberIndex(balancer: string, members: readonly MemberConfig[], url: string): number {
    const at = members.findIndex((m) => memberLabel(m.url) === memberLabel(url));
    if (at === -1) throw new ConfigApplyError(`balancer '${balancer}' has no member ${url}`);
    return at;
  }

  /** Runtime changes go through apply, so they are validated and atomic like any reload. */
  #editBalancer(name: string, edit: (members: MemberConfig[]) => MemberConfig[]): Promise<void> {
    return this.#serially(async () => {
      const config = this.#config;
      const index = config?.balancers.findIndex((b) => b.name === name) ?? -1;
      if (index === -1 && this.apps.isAppBalancer(name)) {
        throw new ConfigApplyError(
          `'${name}' is an app's balancer: its members are the app's instances, so they come and go with them; change a member's state instead`,
        );
      }
      if (!config || index === -1) throw new ConfigApplyError(`no balancer is named '${name}'`);
      const balancers = config.balancers.map((b, i) =>
        i === index ? { ...b, members: edit([...b.members]) } : b,
      );
      await this.#apply({ ...config, balancers });
    });
  }

  /** Stop listening, let exchanges finish within the grace period, then cut what is left. */
  close(options: CloseOptions = { graceMs: 10_000 }): Promise<void> {
    return this.#serially(() => this.#close(options.graceMs));
  }

  async #close(graceMs: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#health.stop();
    const appsStopped = this.apps.close();
    const tunnelsDone = this.#waitForTunnels(graceMs);
    await this.#listeners.close(graceMs);
    await tunnelsDone;
    await appsStopped;
    await this.#forwarder.close();
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
