/**
 * The engine behind the API contract (src/shared/api.ts): every `ProxyApi` method, and
 * the events — exchange summaries gathered into batches at most every ~50 ms, balancer
 * statistics once a second while someone listens. The Electron IPC bridge and the
 * WebSocket bridge host this object; the contract tests run against it directly too.
 */
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import {
  API,
  type ApiEvent,
  type ApiParams,
  type ApiResult,
  type BalancerStatus,
  type ProxyApi,
  type ProxyEvents,
} from '../shared/api.js';
import { memberSchema, routingConfigSchema } from '../shared/config.js';
import type { ExchangeSummary } from '../shared/exchange.js';
import { withAlias } from './apps/alias.js';
import { pinUrls } from './balancing/pin-urls.js';
import { AppsFeed } from './apps/apps-feed.js';
import { HOSTS_FILE_PATH } from './apps/hosts-file.js';
import { syncHosts } from './apps/hosts-sync.js';
import { toCurl } from './capture/curl.js';
import { toHar } from './capture/har.js';
import { replay } from './capture/replay.js';
import { decodedBodyOf } from './capture/body-text.js';
import { QueryError, TrafficSearch } from './capture/search.js';
import { fanOutRecording, resendRecording, sendAgain } from './capture/resend.js';
import type { Recording } from './capture/recorder.js';
import { formatPath, formatProblems, parseRoutingText, type ConfigProblem } from './config-file.js';
import { renderRoutingFile, saveRoutingFile } from './config-save.js';
import type { Engine } from './engine.js';
import { importApacheText } from './apache/to-routing.js';
import { importToYaml } from './apache/to-yaml.js';
import { exportConfig } from './export/export.js';
import { reflectionTarget } from './grpc/reflection-target.js';
import type { TrustStore } from './tls/trust-store.js';
import { caStatus, changeCaTrust } from './tls/ca-status.js';
import { trustStoresFor } from './tls/trust-stores.js';

export interface EngineApiOptions {
  host: 'electron' | 'headless';
  version: string;
  /** The routing file the configuration comes from and is saved to. */
  configPath?: string;
  /** Trust stores of this machine (tests pass temporary NSS databases). */
  trustStores?: () => Promise<TrustStore[]>;
  /** The hosts file syncHostsFile edits (tests); default: the system's. */
  hostsFile?: string;
  /** Exchange batch interval, ms. */
  batchMs?: number;
}

type EventArgs = { [E in ApiEvent]: [ProxyEvents[E]] };

/** A problem with the request to the API itself; bridges send its message to the caller. */
export class ApiError extends Error {
  override name = 'ApiError';
}

function balancerStatus(b: ReturnType<Engine['balancers']>[number]): BalancerStatus {
  return {
    ...b,
    method: b.method as BalancerStatus['method'],
    members: b.members.map((m) => ({
      ...m,
      // Infinity (in error until a health check passes) has no JSON form.
      stats: {
        ...m.stats,
        errorUntil: Number.isFinite(m.stats.errorUntil) ? m.stats.errorUntil : null,
      },
    })),
  };
}

function queryErrorsForCaller<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof QueryError) throw new ApiError(`query: ${error.message}`);
    throw error;
  }
}

export class EngineApi implements ProxyApi {
  readonly events = new EventEmitter<EventArgs>();
  readonly #engine: Engine;
  readonly #options: EngineApiOptions;
  /** Recordings that changed since the last batch; summarised when the batch goes out. */
  readonly #pending = new Map<number, Recording>();
  #flushTimer: NodeJS.Timeout | undefined;
  #statsTimer: NodeJS.Timeout | undefined;
  #unsaved = false;
  readonly #appsFeed: AppsFeed;
  readonly #search: TrafficSearch;

  constructor(engine: Engine, options: EngineApiOptions) {
    this.#engine = engine;
    this.#options = options;
    engine.recorder.events.on('exchange', (recording) => this.#queue(recording));
    engine.events.on('health', (change) => this.events.emit('health', change));
    engine.events.on('warning', (message) => this.events.emit('warning', { message }));
    this.#search = new TrafficSearch(engine.recorder);
    this.#appsFeed = new AppsFeed(engine.apps, {
      listening: (event) => this.events.listenerCount(event) > 0,
      apps: (status) => this.events.emit('apps', status),
      appLog: (name, lines) => this.events.emit('appLog', { name, lines }),
    });
    // Statistics are polled only while a UI listens for them.
    // (newListener/removeListener are EventEmitter's own events, outside the typed map.)
    const emitter = this.events as EventEmitter;
    emitter.on('newListener', (event: string) => {
      if (event === 'balancers' && !this.#statsTimer) {
        this.#statsTimer = setInterval(() => this.#emitBalancers(), 1_000);
        this.#statsTimer.unref();
      }
    });
    emitter.on('removeListener', (event: string) => {
      if (event === 'balancers' && this.events.listenerCount('balancers') === 0) {
        clearInterval(this.#statsTimer);
        this.#statsTimer = undefined;
      }
    });
  }

  #queue(recording: Recording): void {
    // Nobody shows the live log: no batches to build (a UI loads the ring when it opens).
    if (this.events.listenerCount('exchanges') === 0) return;
    this.#pending.set(recording.id, recording);
    this.#flushTimer ??= setTimeout(() => this.#flush(), this.#options.batchMs ?? 50);
  }

  #flush(): void {
    this.#flushTimer = undefined;
    if (this.#pending.size === 0) return;
    // Each summary is a new object built now, so the batch is a snapshot without a clone.
    const batch = [...this.#pending.values()].map((r) => r.summary);
    this.#pending.clear();
    this.events.emit('exchanges', batch);
  }

  #emitBalancers(): void {
    this.events.emit('balancers', this.#engine.balancers().map(balancerStatus));
  }

  /** Stop timers (the engine itself is closed by its owner). */
  close(): void {
    this.#appsFeed.close();
    clearTimeout(this.#flushTimer);
    clearInterval(this.#statsTimer);
    this.events.removeAllListeners();
  }

  #recording(id: number): Recording {
    const rec = this.#engine.recorder.get(id);
    if (!rec) throw new ApiError(`exchange ${id} is no longer in the traffic log`);
    return rec;
  }

  async getStatus(): Promise<ApiResult<'getStatus'>> {
    return {
      version: this.#options.version,
      host: this.#options.host,
      ...(this.#options.configPath === undefined ? {} : { configPath: this.#options.configPath }),
      unsaved: this.#unsaved,
      listeners: this.#engine.listeners(),
      capture: { paused: this.#engine.recorder.paused, ...this.#engine.recorder.stats() },
    };
  }

  async getConfig(): Promise<ApiResult<'getConfig'>> {
    const config = this.#engine.config ?? routingConfigSchema.parse({ version: 1 });
    const path = this.#options.configPath;
    let text: string | undefined;
    if (path !== undefined && !this.#unsaved)
      text = await readFile(path, 'utf8').catch(() => undefined);
    return {
      config,
      text: text ?? renderRoutingFile(config),
      ...(path === undefined ? {} : { configPath: path }),
    };
  }

  async validateConfig(
    ...[text]: ApiParams<'validateConfig'>
  ): Promise<ApiResult<'validateConfig'>> {
    const result = parseRoutingText(text, this.#options.configPath ?? 'switchyard.yaml');
    return result.ok
      ? { ok: true, problems: [], config: result.config }
      : { ok: false, problems: result.problems };
  }

  async applyConfig(...[input]: ApiParams<'applyConfig'>): Promise<ApiResult<'applyConfig'>> {
    const parsed = routingConfigSchema.safeParse(input);
    if (!parsed.success) {
      const problems: ConfigProblem[] = parsed.error.issues.map((i) => ({
        file: 'config',
        path: formatPath(i.path),
        message: i.message,
      }));
      throw new ApiError(formatProblems(problems));
    }
    const warnings: string[] = [];
    const collect = (message: string): void => void warnings.push(message);
    this.#engine.events.on('warning', collect);
    try {
      const listeners = await this.#engine.apply(parsed.data);
      this.#changed('applied');
      return { listeners, warnings };
    } finally {
      this.#engine.events.off('warning', collect);
    }
  }

  #changed(reason: string): void {
    this.#unsaved = this.#options.configPath !== undefined;
    this.events.emit('config', { reason });
  }

  /** The host applied the routing file itself (an edit on disk): nothing is unsaved now. */
  reloadedFromFile(file: string): void {
    this.#unsaved = false;
    this.events.emit('config', { reason: `reloaded ${file}` });
  }

  async saveConfig(): Promise<ApiResult<'saveConfig'>> {
    const path = this.#options.configPath;
    const config = this.#engine.config;
    if (path === undefined || config === undefined) {
      throw new ApiError('there is no routing file to save to (start with --config FILE)');
    }
    await saveRoutingFile(path, config);
    this.#unsaved = false;
    this.events.emit('config', { reason: 'saved' });
    return { path };
  }

  async listBalancers(): Promise<ApiResult<'listBalancers'>> {
    return this.#engine.balancers().map(balancerStatus);
  }

  async listStickySessions(
    ...[balancer]: ApiParams<'listStickySessions'>
  ): Promise<ApiResult<'listStickySessions'>> {
    return this.#engine.stickySessions.list(balancer);
  }

  async pinLinks(...[name]: ApiParams<'pinLinks'>): Promise<ApiResult<'pinLinks'>> {
    const balancer = this.#engine.balancers().find((b) => b.name === name);
    if (!balancer) throw new ApiError(`no balancer is named '${name}'`);
    if (balancer.stickySession === undefined)
      throw new ApiError(`balancer '${name}' has no stickySession: a browser cannot be pinned`);
    const routes = this.#engine.routesToBalancer(name);
    const listeners = this.#engine.listeners();
    return balancer.members.flatMap((m) =>
      m.route === undefined
        ? []
        : [{ member: m.url, route: m.route, urls: pinUrls(routes, listeners, m.route) }],
    );
  }

  async setMember(...[balancer, url, change]: ApiParams<'setMember'>): Promise<void> {
    await this.#engine.setMember(balancer, url, change);
    this.#changed(`member ${url} changed`);
    this.#emitBalancers();
  }

  async addMember(...[balancer, member]: ApiParams<'addMember'>): Promise<void> {
    await this.#engine.addMember(balancer, memberSchema.parse(member));
    this.#changed(`member ${member.url} added`);
    this.#emitBalancers();
  }

  async removeMember(...[balancer, url]: ApiParams<'removeMember'>): Promise<void> {
    await this.#engine.removeMember(balancer, url);
    this.#changed(`member ${url} removed`);
    this.#emitBalancers();
  }

  async listExchanges(
    ...[filter]: ApiParams<'listExchanges'>
  ): Promise<ApiResult<'listExchanges'>> {
    // Snapshots first: live summaries change in place, and the matcher caches per object.
    return this.#engine.recorder.list().filter(this.#matcher(filter));
  }

  /** A query the filter language refuses is the caller's error. */
  #matcher(filter: ApiParams<'listExchanges'>[0]): (s: ExchangeSummary) => boolean {
    return queryErrorsForCaller(() => this.#search.matcher(filter));
  }

  async searchExchanges(
    ...[query]: ApiParams<'searchExchanges'>
  ): Promise<ApiResult<'searchExchanges'>> {
    return queryErrorsForCaller(() => this.#search.search(query));
  }

  async getExchange(...[id]: ApiParams<'getExchange'>): Promise<ApiResult<'getExchange'>> {
    return this.#engine.recorder.get(id)?.detail() ?? null;
  }

  async getExchangeBody(
    ...[id, side]: ApiParams<'getExchangeBody'>
  ): Promise<ApiResult<'getExchangeBody'>> {
    return this.#engine.recorder.get(id)?.body(side).toString('base64') ?? null;
  }

  async getDecodedBody(
    ...[id, side]: ApiParams<'getDecodedBody'>
  ): Promise<ApiResult<'getDecodedBody'>> {
    const rec = this.#engine.recorder.get(id);
    return rec ? decodedBodyOf(rec, side) : null;
  }

  async clearExchanges(): Promise<void> {
    this.#engine.recorder.clear();
    this.#search.clear();
    this.#pending.clear();
    this.events.emit('exchangesCleared', null);
  }

  async setCapturePaused(...[paused]: ApiParams<'setCapturePaused'>): Promise<void> {
    this.#engine.recorder.setPaused(paused);
  }

  async exportHar(...[filter]: ApiParams<'exportHar'>): Promise<string> {
    const sources = this.#engine.recorder
      .list()
      .filter(this.#matcher(filter))
      .map((s) => this.#recording(s.id))
      .map((rec) => ({
        detail: rec.detail(),
        requestBody: rec.body('request'),
        responseBody: rec.body('response'),
      }));
    return JSON.stringify(
      toHar(sources, { name: 'Switchyard', version: this.#options.version }),
      null,
      2,
    );
  }

  async exchangeAsCurl(...[id]: ApiParams<'exchangeAsCurl'>): Promise<string> {
    const rec = this.#recording(id);
    return toCurl(rec.detail(), rec.body('request'));
  }

  async grpcSchema(...[id]: ApiParams<'grpcSchema'>): Promise<ApiResult<'grpcSchema'>> {
    const summary = this.#recording(id).summary;
    if (!summary.grpc) throw new ApiError(`exchange ${id} is not a gRPC call`);
    const { service, method } = summary.grpc;
    const backend = reflectionTarget(this.#engine.config, summary);
    return this.#engine.grpcSchemas.schemaFor(service, method, backend);
  }

  async openProtos(...[files]: ApiParams<'openProtos'>): Promise<ApiResult<'openProtos'>> {
    // The bridges check these bounds too; checked here as well because they bound the
    // parsing work, and the engine is reached in process with no bridge in between.
    const checked = API.openProtos.params.safeParse([files]);
    if (!checked.success) {
      const [issue] = checked.error.issues;
      const [, ...where] = issue!.path;
      throw new ApiError(`openProtos: argument 1${formatPath(where)}: ${issue!.message}`);
    }
    return this.#engine.grpcSchemas.open(checked.data[0]);
  }

  async replayExchange(...[id]: ApiParams<'replayExchange'>): Promise<ApiResult<'replayExchange'>> {
    const { detail, body, context } = await sendAgain(this.#engine, this.#recording(id));
    return { status: await replay(detail, body, context.listener, context.ca) };
  }

  async resendExchange(
    ...[id, edits]: ApiParams<'resendExchange'>
  ): Promise<ApiResult<'resendExchange'>> {
    const { body, ...rest } = edits ?? {};
    const decoded = body === undefined ? {} : { body: Buffer.from(body, 'base64') };
    return resendRecording(this.#engine, this.#recording(id), { ...rest, ...decoded });
  }

  async fanOutExchange(
    ...[id, options]: ApiParams<'fanOutExchange'>
  ): Promise<ApiResult<'fanOutExchange'>> {
    return fanOutRecording(this.#engine, this.#recording(id), options?.confirmed === true);
  }

  async importApache(...[text]: ApiParams<'importApache'>): Promise<ApiResult<'importApache'>> {
    const file = 'httpd.conf';
    const result = importApacheText(text, file);
    if (!result.ok) return { ok: false, yaml: '', problems: result.problems };
    return { ok: true, yaml: importToYaml(result.value, file), problems: result.value.warnings };
  }

  async exportConfig(...[server]: ApiParams<'exportConfig'>): Promise<string> {
    const config = this.#engine.config ?? routingConfigSchema.parse({ version: 1 });
    const source = this.#options.configPath ?? 'the running configuration';
    return exportConfig(server, config, { dataDir: this.#engine.dataDir, source });
  }

  async #stores(): Promise<TrustStore[]> {
    return (this.#options.trustStores ?? (() => trustStoresFor()))();
  }

  async getCaStatus(): Promise<ApiResult<'getCaStatus'>> {
    return caStatus(this.#engine, await this.#stores());
  }

  async #changeTrust(remove: boolean): Promise<ApiResult<'trustCa'>> {
    return changeCaTrust(await this.#engine.certificateAuthority(), await this.#stores(), remove);
  }

  trustCa(): Promise<ApiResult<'trustCa'>> {
    return this.#changeTrust(false);
  }

  untrustCa(): Promise<ApiResult<'untrustCa'>> {
    return this.#changeTrust(true);
  }

  async exportCaPem(): Promise<string> {
    return (await this.#engine.certificateAuthority()).certPem;
  }

  async listApps(): Promise<ApiResult<'listApps'>> {
    return this.#engine.apps.status();
  }

  async controlApp(...[name, action]: ApiParams<'controlApp'>): Promise<void> {
    try {
      await this.#engine.apps.control(name ?? undefined, action);
      await this.#engine.appRoutesApplied();
    } catch (error) {
      throw new ApiError((error as Error).message);
    }
  }

  async getAppLog(...[name, options]: ApiParams<'getAppLog'>): Promise<ApiResult<'getAppLog'>> {
    return this.#engine.apps.log(name, options ?? {});
  }

  /** The caller must unregister; the WebSocket bridge does when the connection closes. */
  async registerApp(
    ...[registration]: ApiParams<'registerApp'>
  ): Promise<ApiResult<'registerApp'>> {
    try {
      const registered = await this.#engine.apps.register(registration);
      await this.#engine.appRoutesApplied();
      return registered;
    } catch (error) {
      throw new ApiError((error as Error).message);
    }
  }

  async setAppAlias(...[name, port]: ApiParams<'setAppAlias'>): Promise<void> {
    let next;
    try {
      next = withAlias(
        this.#engine.config ?? routingConfigSchema.parse({ version: 1 }),
        name,
        port,
      );
    } catch (error) {
      throw new ApiError((error as Error).message);
    }
    await this.#engine.apply(next);
    const path = this.#options.configPath;
    if (path !== undefined && !this.#unsaved) {
      // Nothing else is pending: keep the file in step, as `switchyard alias` does.
      await saveRoutingFile(path, next);
      this.events.emit('config', {
        reason: port === null ? `alias ${name} removed` : `alias ${name} saved`,
      });
    } else {
      this.#changed(port === null ? `alias ${name} removed` : `alias ${name} added`);
    }
    await this.#engine.appRoutesApplied();
  }

  async syncHostsFile(...[keep]: ApiParams<'syncHostsFile'>): Promise<ApiResult<'syncHostsFile'>> {
    const hosts = keep ? this.#engine.apps.status().map((a) => a.host) : [];
    return syncHosts(hosts, {
      hostsFile: this.#options.hostsFile ?? HOSTS_FILE_PATH,
      dataDir: this.#engine.dataDir,
    });
  }

  async appEnvironment(
    ...[name]: ApiParams<'appEnvironment'>
  ): Promise<ApiResult<'appEnvironment'>> {
    return this.#engine.apps.environment(name);
  }

  async unregisterApp(...[id]: ApiParams<'unregisterApp'>): Promise<void> {
    this.#engine.apps.unregister(id);
    await this.#engine.appRoutesApplied();
  }
}
