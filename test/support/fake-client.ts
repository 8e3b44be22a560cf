/**
 * A fake `ProxyClient` for renderer tests: in-memory data the test controls, every call
 * recorded, events emitted on demand, and any method replaceable. Defaults behave like a
 * small engine (setMember changes the member and emits `balancers`, clearExchanges emits
 * `exchangesCleared`, …) so component tests read like user stories; tests that need a
 * failure or a slow answer install their own implementation with `respond`.
 */
import type { AppLogLine, AppStatus } from '../../src/shared/apps.js';
import {
  API_METHODS,
  type ApiEvent,
  type ApiMethod,
  type ApiParams,
  type ApiResult,
  type BalancerStatus,
  type CaStatus,
  type EngineStatus,
  type ProxyApi,
  type ProxyClient,
  type ProxyEvents,
  type Validation,
} from '../../src/shared/api.js';
import type {
  ExchangeDetail,
  ExchangeSummary,
  FrameRecord,
  HeaderPairs,
} from '../../src/shared/exchange.js';

type Listener<E extends ApiEvent> = (payload: ProxyEvents[E]) => void;
type Impl<M extends ApiMethod> = (...args: ApiParams<M>) => ApiResult<M> | Promise<ApiResult<M>>;

export interface FakeData {
  status: EngineStatus;
  config: Record<string, unknown>;
  configText: string;
  balancers: BalancerStatus[];
  /** Oldest first, as the engine's ring keeps them. */
  exchanges: ExchangeSummary[];
  details: Map<number, ExchangeDetail>;
  /** Body bytes by `${id}:${side}`. */
  bodies: Map<string, Uint8Array>;
  ca: CaStatus;
  validation: Validation;
  har: string;
  apps: AppStatus[];
  /** Output lines by app name. */
  appLogs: Map<string, AppLogLine[]>;
}

export interface FakeCall {
  method: ApiMethod;
  args: unknown[];
}

export interface FakeClient extends ProxyClient {
  readonly data: FakeData;
  readonly calls: FakeCall[];
  /** Calls of one method, in order, as their argument lists. */
  callsOf<M extends ApiMethod>(method: M): ApiParams<M>[];
  /** Deliver an event to every listener, as the bridge would. */
  emit<E extends ApiEvent>(event: E, payload: ProxyEvents[E]): void;
  listenerCount(event: ApiEvent): number;
  /** Replace one method's implementation (a failure, a slow answer, other data). */
  respond<M extends ApiMethod>(method: M, impl: Impl<M>): void;
}

// ---------------------------------------------------------------------------------------
// Builders for payloads, with overridable defaults

let nextId = 1;

export function fakeSummary(overrides: Partial<ExchangeSummary> = {}): ExchangeSummary {
  const id = overrides.id ?? nextId++;
  return {
    id,
    startedAt: Date.UTC(2025, 0, 15, 9, 30, 0) + id * 10,
    listener: 'web',
    client: '127.0.0.1',
    method: 'GET',
    url: `/api/items/${id}`,
    host: '127.0.0.1:8080',
    secure: false,
    route: 'api',
    member: 'http://127.0.0.1:9001',
    why: 'picked by byrequests',
    attempts: 1,
    status: 200,
    outcome: 'completed',
    timings: { upstreamConnected: 1, firstByte: 4, done: 6 },
    requestBytes: 0,
    responseBytes: 42,
    ...overrides,
  };
}

export function fakeDetail(
  summary: ExchangeSummary,
  overrides: Partial<ExchangeDetail> = {},
): ExchangeDetail {
  const requestHeaders: HeaderPairs = [
    ['Host', summary.host],
    ['User-Agent', 'test'],
  ];
  const responseHeaders: HeaderPairs = [['Content-Type', 'application/json']];
  return {
    ...summary,
    requestHeaders,
    responseHeaders,
    httpVersion: '1.1',
    requestBody: { size: summary.requestBytes, captured: summary.requestBytes, truncated: false },
    responseBody: {
      size: summary.responseBytes,
      captured: summary.responseBytes,
      truncated: false,
      contentType: 'application/json',
    },
    ...overrides,
  };
}

export function fakeFrame(overrides: Partial<FrameRecord> = {}): FrameRecord {
  return { at: 5, direction: 'up', opcode: 1, size: 5, preview: btoa('hello'), ...overrides };
}

type MemberStatus = BalancerStatus['members'][number];
type MemberInput = Partial<Omit<MemberStatus, 'stats'>> & {
  url: string;
  stats?: Partial<MemberStatus['stats']>;
};

export function fakeBalancer(
  name: string,
  members: MemberInput[],
  overrides: Partial<Omit<BalancerStatus, 'members'>> = {},
): BalancerStatus {
  return {
    name,
    method: 'byrequests',
    ...overrides,
    members: members.map((m) => ({
      loadFactor: 1,
      state: 'enabled',
      ...m,
      stats: {
        elected: 0,
        busy: 0,
        bytesOut: 0,
        bytesIn: 0,
        errors: 0,
        health: 'unknown',
        errorUntil: 0,
        consecutivePasses: 0,
        consecutiveFails: 0,
        ...m.stats,
      },
    })),
  };
}

export function fakeStatus(overrides: Partial<EngineStatus> = {}): EngineStatus {
  return {
    version: '0.0.0-test',
    host: 'headless',
    configPath: '/tmp/switchyard.yaml',
    unsaved: false,
    listeners: [
      { name: 'web', address: '127.0.0.1', port: 8080, tls: false, url: 'http://127.0.0.1:8080' },
    ],
    capture: { paused: false, entries: 0, bytes: 0 },
    ...overrides,
  };
}

function emptyCa(): CaStatus {
  return {
    exists: false,
    path: '/tmp/ca/ca.pem',
    permitted: [],
    stores: [],
    issued: [],
    missingNames: [],
    nodeHint: 'NODE_EXTRA_CA_CERTS=/tmp/ca/ca.pem',
  };
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}

// ---------------------------------------------------------------------------------------

export function createFakeClient(init: Partial<FakeData> = {}): FakeClient {
  const data: FakeData = {
    status: fakeStatus(),
    config: { version: 1, listeners: [], routes: [], balancers: [] },
    configText: 'version: 1\n',
    balancers: [],
    exchanges: [],
    details: new Map(),
    bodies: new Map(),
    ca: emptyCa(),
    validation: { ok: true, problems: [] },
    har: JSON.stringify({ log: { version: '1.2', entries: [] } }),
    apps: [],
    appLogs: new Map(),
    ...init,
  };
  const calls: FakeCall[] = [];
  const listeners = new Map<ApiEvent, Set<(payload: never) => void>>();

  function emit<E extends ApiEvent>(event: E, payload: ProxyEvents[E]): void {
    for (const l of [...(listeners.get(event) ?? [])]) (l as Listener<E>)(payload);
  }

  function findMember(balancer: string, url: string) {
    const b = data.balancers.find((x) => x.name === balancer);
    const m = b?.members.find((x) => x.url === url);
    if (!m) throw new Error(`no member ${url} in balancer '${balancer}'`);
    return m;
  }

  // Behaviour close enough to the engine's for UI stories; structuredClone so the UI
  // never holds the fake's own objects (the real transports copy too).
  const defaults: { [M in ApiMethod]: Impl<M> } = {
    getStatus: () => clone(data.status),
    getConfig: () => ({
      config: clone(data.config),
      text: data.configText,
      ...(data.status.configPath === undefined ? {} : { configPath: data.status.configPath }),
    }),
    validateConfig: () => clone(data.validation),
    applyConfig: (config) => {
      data.config = clone(config);
      data.status.unsaved = true;
      emit('config', { reason: 'applied' });
      return { listeners: clone(data.status.listeners), warnings: [] };
    },
    saveConfig: () => {
      data.status.unsaved = false;
      emit('config', { reason: 'saved' });
      return { path: data.status.configPath ?? '/tmp/switchyard.yaml' };
    },
    listBalancers: () => clone(data.balancers),
    listStickySessions: () => [],
    pinLinks: (balancer) =>
      (data.balancers.find((b) => b.name === balancer)?.members ?? []).map((m) => ({
        member: m.url,
        route: m.route ?? '',
        urls: [`http://shop.localhost:8080/__switchyard/pin?route=${m.route ?? ''}&back=%2F`],
      })),
    setMember: (balancer, url, change) => {
      Object.assign(findMember(balancer, url), change);
      emit('balancers', clone(data.balancers));
    },
    addMember: (balancer, member) => {
      const b = data.balancers.find((x) => x.name === balancer);
      if (!b) throw new Error(`no balancer '${balancer}'`);
      b.members.push(fakeBalancer(balancer, [member]).members[0]!);
      emit('balancers', clone(data.balancers));
    },
    removeMember: (balancer, url) => {
      const b = data.balancers.find((x) => x.name === balancer);
      if (b) b.members = b.members.filter((m) => m.url !== url);
      emit('balancers', clone(data.balancers));
    },
    listExchanges: (filter) =>
      clone(data.exchanges.filter((s) => !filter?.ids || filter.ids.includes(s.id))),
    getExchange: (id) => {
      const d = data.details.get(id);
      if (d) return clone(d);
      const s = data.exchanges.find((x) => x.id === id);
      return s ? fakeDetail(s) : null;
    },
    getExchangeBody: (id, side) => {
      const bytes = data.bodies.get(`${id}:${side}`);
      return bytes ? toBase64(bytes) : null;
    },
    getDecodedBody: (id, side) => {
      const bytes = data.bodies.get(`${id}:${side}`);
      return bytes
        ? { base64: toBase64(bytes), encodings: [], size: bytes.length, decodedSize: bytes.length }
        : null;
    },
    clearExchanges: () => {
      data.exchanges = [];
      emit('exchangesCleared', null);
    },
    setCapturePaused: (paused) => {
      data.status.capture.paused = paused;
    },
    exportHar: () => data.har,
    exchangeAsCurl: (id) => `curl 'http://127.0.0.1:8080/api/items/${id}'`,
    grpcSchema: () => ({ types: {}, source: 'none' as const, note: 'no .proto file' }),
    openProtos: (files) => ({ loaded: files.map((f) => f.name), problems: [] }),
    replayExchange: () => ({ status: 200 }),
    searchExchanges: () => ({ matches: [], total: data.exchanges.length }),
    resendExchange: (id) => ({ id: id + 1000, status: 200 }),
    fanOutExchange: () => ({ balancer: 'cluster', results: [] }),
    importApache: () => ({ ok: true, yaml: 'version: 1\n', problems: [] }),
    exportConfig: (server) => `# ${server} configuration\n`,
    getCaStatus: () => clone(data.ca),
    trustCa: () => ({ ok: true, message: 'trusted', commands: [] }),
    untrustCa: () => ({ ok: true, message: 'removed', commands: [] }),
    exportCaPem: () => '-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n',
    listApps: () => clone(data.apps),
    controlApp: (name, action) => {
      for (const app of data.apps) {
        if (name !== null && app.name !== name) continue;
        app.state = action === 'stop' ? 'stopped' : 'up';
        for (const i of app.instances) i.state = app.state;
      }
      emit('apps', clone(data.apps));
    },
    getAppLog: (name, options) =>
      clone(
        (data.appLogs.get(name) ?? []).filter(
          (l) => !options?.search || l.text.toLowerCase().includes(options.search.toLowerCase()),
        ),
      ),
    registerApp: (registration) => ({
      id: `${registration.name}#run-1`,
      urls: [`https://${registration.name}.localhost:8443`],
    }),
    unregisterApp: () => undefined,
    setAppAlias: (name, port) => {
      data.apps = data.apps.filter((a) => a.name !== name);
      if (port !== null)
        data.apps.push({
          name,
          host: `${name}.localhost`,
          urls: [`https://${name}.localhost:8443`],
          inFile: true,
          state: 'alias',
          instances: [{ id: `${name}#alias`, source: 'alias', state: 'alias', port, restarts: 0 }],
        });
      emit('apps', clone(data.apps));
    },
    syncHostsFile: (keep) => ({
      ok: true,
      message: keep ? '/etc/hosts sends the apps to 127.0.0.1 and ::1' : 'removed',
      commands: [],
    }),
    appEnvironment: (name) => ({
      urls: [`https://${name}.localhost:8443`],
      env: { SWITCHYARD_URL: `https://${name}.localhost:8443` },
    }),
  };
  const impls = new Map<ApiMethod, (...args: never[]) => unknown>(
    Object.entries(defaults) as [ApiMethod, (...args: never[]) => unknown][],
  );

  const api = Object.fromEntries(
    API_METHODS.map((method) => [
      method,
      async (...args: unknown[]) => {
        calls.push({ method, args });
        const impl = impls.get(method) as (...a: unknown[]) => unknown;
        return impl(...args);
      },
    ]),
  ) as unknown as ProxyApi;

  return {
    ...api,
    data,
    calls,
    callsOf<M extends ApiMethod>(method: M) {
      return calls.filter((c) => c.method === method).map((c) => c.args as ApiParams<M>);
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const l = listener as (payload: never) => void;
      set.add(l);
      return () => void set.delete(l);
    },
    emit,
    listenerCount: (event) => listeners.get(event)?.size ?? 0,
    respond(method, impl) {
      impls.set(method, impl as (...args: never[]) => unknown);
    },
  };
}
