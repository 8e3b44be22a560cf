/**
 * The API contract between the engine and every UI host (SPEC §4, §6; ARCHITECTURE
 * "Contracts"): one list of methods and one of events, each with zod schemas for its
 * payloads. `ProxyApi` and `ProxyEvents` are derived from the schemas, so the engine, the
 * Electron IPC bridge, the preload, the WebSocket bridge and both renderer clients share
 * one definition, and every process boundary validates with the same code.
 */
import { z } from 'zod';
import { BALANCER_METHODS, MEMBER_STATES, memberSchema } from './config.js';
import { headerName, headerValue } from './config-fields.js';
import {
  APP_LOG_STREAMS,
  appLogLineSchema,
  appName,
  appRegistrationSchema,
  appStatusSchema,
} from './apps.js';
import { BODY_SIDES, exchangeDetailSchema, exchangeSummarySchema } from './exchange.js';
import { grpcCallSchemaSchema } from './protobuf-schema.js';

/** Routing-file data as the user writes it; the engine validates it fully. */
const configInput = z.record(z.string(), z.unknown());

export const configProblemSchema = z.object({
  file: z.string(),
  line: z.number().optional(),
  column: z.number().optional(),
  path: z.string(),
  message: z.string(),
});
export type ConfigProblem = z.infer<typeof configProblemSchema>;

export const listenerStatusSchema = z.object({
  name: z.string(),
  address: z.string(),
  port: z.number(),
  tls: z.boolean(),
  url: z.string(),
});

export const engineStatusSchema = z.object({
  version: z.string(),
  /** `electron` or `headless`: where the engine runs. */
  host: z.enum(['electron', 'headless']),
  /** The routing file the config came from and saves to, if any. */
  configPath: z.string().optional(),
  /** Config applied differs from the file on disk. */
  unsaved: z.boolean(),
  listeners: z.array(listenerStatusSchema),
  capture: z.object({ paused: z.boolean(), entries: z.number(), bytes: z.number() }),
});
export type EngineStatus = z.infer<typeof engineStatusSchema>;

export const configViewSchema = z.object({
  /** The configuration in force, defaults filled in. */
  config: configInput,
  /** YAML text of the routing file (or of the config when there is no file). */
  text: z.string(),
  configPath: z.string().optional(),
});

export const validationSchema = z.object({
  ok: z.boolean(),
  problems: z.array(configProblemSchema),
  /** The parsed configuration when ok. */
  config: configInput.optional(),
});
export type Validation = z.infer<typeof validationSchema>;

export const applyResultSchema = z.object({
  listeners: z.array(listenerStatusSchema),
  warnings: z.array(z.string()),
});

const memberStatsSchema = z.object({
  elected: z.number(),
  busy: z.number(),
  bytesOut: z.number(),
  bytesIn: z.number(),
  errors: z.number(),
  health: z.enum(['unknown', 'healthy', 'unhealthy']),
  /** Epoch ms until which the member is skipped; 0 when not in error. */
  errorUntil: z.number().nullable(),
  errorReason: z.string().optional(),
  lastCheck: z.object({ at: z.number(), ok: z.boolean(), detail: z.string() }).optional(),
  consecutivePasses: z.number(),
  consecutiveFails: z.number(),
});

/** An h2c:// or h2:// member's session, as the HTTP/2 transport holds it (read on demand). */
export const http2SessionSchema = z.object({
  /** none: no request went there yet; closed: GOAWAY, idle or failed (the next request reopens). */
  state: z.enum(['none', 'connecting', 'connected', 'closed']),
  streams: z.number(),
  /** The backend's SETTINGS_MAX_CONCURRENT_STREAMS; null before SETTINGS or when unlimited. */
  maxConcurrentStreams: z.number().nullable(),
  connectedAt: z.number().optional(),
  goaways: z.number(),
  lastGoaway: z.object({ at: z.number(), code: z.number() }).optional(),
});
export type Http2SessionStatus = z.infer<typeof http2SessionSchema>;

export const balancerStatusSchema = z.object({
  name: z.string(),
  method: z.enum(BALANCER_METHODS),
  stickySession: z.string().optional(),
  members: z.array(
    memberSchema.extend({ stats: memberStatsSchema, http2: http2SessionSchema.optional() }),
  ),
});
export type BalancerStatus = z.infer<typeof balancerStatusSchema>;

export const memberChangeSchema = z
  .object({
    state: z.enum(MEMBER_STATES).optional(),
    loadFactor: z.int().min(1).max(100).optional(),
  })
  .strict();

export const caStoreStatusSchema = z.object({
  name: z.string(),
  scope: z.enum(['user', 'system']),
  trusted: z.boolean(),
  detail: z.string(),
  /** What `trust` would run, for users who prefer to run it themselves. */
  installCommands: z.array(z.array(z.string())),
});

export const caStatusSchema = z.object({
  exists: z.boolean(),
  path: z.string(),
  fingerprint: z.string().optional(),
  subject: z.string().optional(),
  notBefore: z.number().optional(),
  notAfter: z.number().optional(),
  permitted: z.array(z.string()),
  stores: z.array(caStoreStatusSchema),
  issued: z.array(
    z.object({ hostname: z.string(), notAfter: z.number(), fingerprint: z.string() }),
  ),
  /** Hosts the routing file serves over TLS that the CA does not cover. */
  missingNames: z.array(z.string()),
  nodeHint: z.string(),
});
export type CaStatus = z.infer<typeof caStatusSchema>;

export const trustResultSchema = z.object({
  ok: z.boolean(),
  message: z.string(),
  /** Commands that need elevation, when the host could not run them itself. */
  commands: z.array(z.string()),
});

export const exchangeFilterSchema = z
  .object({
    text: z.string().optional(),
    methods: z.array(z.string()).optional(),
    /** 2, 3, 4, 5 for 2xx…5xx; 0 for no response. */
    statusClasses: z.array(z.number().int().min(0).max(5)).optional(),
    routes: z.array(z.string()).optional(),
    members: z.array(z.string()).optional(),
    ids: z.array(z.number().int()).optional(),
    /** The filter language (src/shared/traffic-query.ts): `status:5xx body:"order-42"`. */
    query: z.string().max(2000).optional(),
  })
  .strict();
export type ExchangeFilter = z.infer<typeof exchangeFilterSchema>;

/** What a resend may change; absent fields are sent as recorded. */
export const resendEditsSchema = z.strictObject({
  method: z
    .string()
    .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP method such as GET or POST')
    .optional(),
  url: z
    .string()
    .max(65_536)
    .refine((u) => u.startsWith('/') && !/[\s]/.test(u), 'must be a path such as /api/items?x=1')
    .optional(),
  headers: z
    .array(z.tuple([headerName, headerValue]))
    .max(500)
    .optional(),
  /** The body, base64 (at most 8 MiB once decoded). */
  body: z.base64().max(11_200_000).optional(),
  /** A balancer member's URL: send it there, bypassing the balancer's choice. */
  member: z.string().max(2048).optional(),
});
export type ResendEditsInput = z.infer<typeof resendEditsSchema>;

export const APP_CONTROLS = ['start', 'stop', 'restart'] as const;
/** Lines of output kept per app (and the most one getAppLog call returns). */
export const APP_LOG_LIMIT = 5_000;

export const EXPORT_SERVERS = ['apache', 'nginx', 'caddy', 'haproxy', 'kubernetes'] as const;

export const apacheImportSchema = z.object({
  ok: z.boolean(),
  /** The routing file, commented with the Apache lines each part came from. */
  yaml: z.string(),
  /** Errors (ok false) or directives that were not imported (warnings). */
  problems: z.array(configProblemSchema),
});

const id = z.number().int().positive();
const none = z.tuple([]);

/** Every method: its parameters (as a tuple) and its result. */
/** .proto files opened in the app at once, and the size of each: 10 × 512 KiB stays under the WebSocket bridge's 8 MiB message limit. */
export const MAX_PROTO_FILES = 10;
export const MAX_PROTO_FILE_CHARS = 512 * 1024;

export const API = {
  getStatus: { params: none, result: engineStatusSchema },
  getConfig: { params: none, result: configViewSchema },
  validateConfig: { params: z.tuple([z.string()]), result: validationSchema },
  applyConfig: { params: z.tuple([configInput]), result: applyResultSchema },
  saveConfig: { params: none, result: z.object({ path: z.string() }) },
  listBalancers: { params: none, result: z.array(balancerStatusSchema) },
  /** The sticky inspector: sessions seen on a sticky balancer, most recent first. */
  listStickySessions: {
    params: z.tuple([z.string()]),
    result: z.array(
      z.object({
        session: z.string(),
        route: z.string(),
        source: z.enum(['cookie', 'path parameter', 'query parameter']),
        member: z.string(),
        firstSeen: z.number(),
        lastSeen: z.number(),
        requests: z.number().int(),
      }),
    ),
  },
  /**
   * "Pin me to member X": per member of a sticky balancer, links on the proxy that set the
   * session cookie in the visitor's browser and send it back to the route's path.
   */
  pinLinks: {
    params: z.tuple([z.string()]),
    result: z.array(z.object({ member: z.string(), route: z.string(), urls: z.array(z.string()) })),
  },
  setMember: { params: z.tuple([z.string(), z.string(), memberChangeSchema]), result: z.void() },
  addMember: { params: z.tuple([z.string(), memberSchema]), result: z.void() },
  removeMember: { params: z.tuple([z.string(), z.string()]), result: z.void() },
  listExchanges: {
    params: z.tuple([exchangeFilterSchema.optional()]),
    result: z.array(exchangeSummarySchema),
  },
  getExchange: { params: z.tuple([id]), result: exchangeDetailSchema.nullable() },
  /**
   * The exchanges a filter-language query matches (headers and decoded bodies included),
   * with where each term matched. A query the language refuses is an error naming the
   * character where it went wrong.
   */
  searchExchanges: {
    params: z.tuple([z.string().max(2000)]),
    result: z.object({
      matches: z.array(
        z.object({
          id: z.number().int(),
          hits: z.array(
            z.object({ term: z.string(), field: z.string(), snippet: z.string().optional() }),
          ),
        }),
      ),
      total: z.number().int(),
    }),
  },
  /** Body bytes as base64 (bodies can be binary). */
  getExchangeBody: { params: z.tuple([id, z.enum(BODY_SIDES)]), result: z.string().nullable() },
  /**
   * A body with its content-encoding undone (gzip, deflate, br; zstd on Node ≥ 22.15), as
   * base64, with what was undone and the sizes before and after ("br, 12.3 kB → 58.0 kB");
   * `note` says why it could not be decoded (then base64 is the body as it was sent).
   */
  getDecodedBody: {
    params: z.tuple([id, z.enum(BODY_SIDES)]),
    result: z
      .object({
        base64: z.string(),
        encodings: z.array(z.string()),
        size: z.number().int(),
        decodedSize: z.number().int(),
        note: z.string().optional(),
      })
      .nullable(),
  },
  clearExchanges: { params: none, result: z.void() },
  setCapturePaused: { params: z.tuple([z.boolean()]), result: z.void() },
  /** HAR 1.2 JSON text of the exchanges matching the filter (all when none). */
  exportHar: { params: z.tuple([exchangeFilterSchema.optional()]), result: z.string() },
  exchangeAsCurl: { params: z.tuple([id]), result: z.string() },
  /**
   * The message schema of a recorded gRPC call: from the routing file's .proto files, else
   * by server reflection from the backend that served it (asked once, remembered).
   */
  grpcSchema: { params: z.tuple([id]), result: grpcCallSchemaSchema },
  /**
   * .proto files opened in the app (name and text; imports resolve among them by name):
   * the engine parses them and names gRPC messages with them for this session.
   */
  openProtos: {
    params: z.tuple([
      z
        .array(
          z.object({
            name: z.string().min(1).max(256),
            text: z.string().max(MAX_PROTO_FILE_CHARS),
          }),
        )
        .min(1)
        .max(MAX_PROTO_FILES),
    ]),
    result: z.object({ loaded: z.array(z.string()), problems: z.array(z.string()) }),
  },
  /** Send the recorded request again through the listener it came in on. */
  replayExchange: { params: z.tuple([id]), result: z.object({ status: z.number() }) },
  /**
   * Send the recorded request again with edits (method, path and query, headers, body as
   * base64), through its route or to one balancer member. The result names the new
   * exchange, whose summary says `resentFrom`.
   */
  resendExchange: {
    params: z.tuple([id, resendEditsSchema.optional()]),
    result: z.object({ id: z.number().int(), status: z.number().int() }),
  },
  /**
   * Send the recorded request to every enabled member of its route's balancer at once,
   * bypassing stickiness and failover. A body or a non-idempotent method needs
   * `confirmed: true`. Each member's row has the new exchange, or its error.
   */
  fanOutExchange: {
    params: z.tuple([id, z.strictObject({ confirmed: z.boolean().optional() }).optional()]),
    result: z.object({
      balancer: z.string(),
      results: z.array(
        z.object({
          member: z.string(),
          id: z.number().int().optional(),
          status: z.number().int().optional(),
          error: z.string().optional(),
        }),
      ),
    }),
  },
  /** Apache configuration text → routing-file YAML (nothing is applied). */
  importApache: { params: z.tuple([z.string()]), result: apacheImportSchema },
  /** The configuration in force as an Apache, nginx or Caddy configuration. */
  exportConfig: { params: z.tuple([z.enum(EXPORT_SERVERS)]), result: z.string() },
  getCaStatus: { params: none, result: caStatusSchema },
  trustCa: { params: none, result: trustResultSchema },
  untrustCa: { params: none, result: trustResultSchema },
  exportCaPem: { params: none, result: z.string() },
  /** Apps (routing file `apps:`, `switchyard run`, aliases) with their instances. */
  listApps: { params: none, result: z.array(appStatusSchema) },
  /** Start, stop or restart one app's process (its name) or every app's (null). */
  controlApp: {
    params: z.tuple([appName.nullable(), z.enum(APP_CONTROLS)]),
    result: z.void(),
  },
  /** The newest lines of an app's output (bounded), optionally only those containing `search`. */
  getAppLog: {
    params: z.tuple([
      appName,
      z
        .strictObject({
          search: z.string().max(1000).optional(),
          streams: z.array(z.enum(APP_LOG_STREAMS)).optional(),
          limit: z.int().min(1).max(APP_LOG_LIMIT).optional(),
        })
        .optional(),
    ]),
    result: z.array(appLogLineSchema),
  },
  /**
   * `switchyard run`: serve this instance as NAME.localhost. Over the WebSocket API the
   * instance is removed when the connection that registered it closes, so a run process
   * that dies (even killed) leaves no route behind.
   */
  registerApp: {
    params: z.tuple([appRegistrationSchema]),
    result: z.object({ id: z.string(), urls: z.array(z.string()) }),
  },
  unregisterApp: { params: z.tuple([z.string().max(100)]), result: z.void() },
  /**
   * What an app's command gets besides PORT, and the URLs it will have: SWITCHYARD_URL,
   * SWITCHYARD_URL_<OTHER> for every other app, NODE_EXTRA_CA_CERTS (the local CA).
   */
  /**
   * An alias: NAME.localhost for a port something else serves (port), or no longer (null).
   * Kept in the routing file's apps (saved when the file has no unsaved changes).
   */
  setAppAlias: {
    params: z.tuple([appName, z.int().min(1).max(65535).nullable()]),
    result: z.void(),
  },
  /**
   * Opt-in: keep NAME.localhost lines for every app in the hosts file (true), or take them
   * out (false), for clients that do not resolve *.localhost to loopback themselves. Where
   * that needs administrator rights, `commands` says what to run (the desktop app runs it
   * behind the system's password prompt).
   */
  syncHostsFile: { params: z.tuple([z.boolean()]), result: trustResultSchema },
  appEnvironment: {
    params: z.tuple([appName]),
    result: z.object({ urls: z.array(z.string()), env: z.record(z.string(), z.string()) }),
  },
} as const satisfies Record<string, { params: z.ZodTuple; result: z.ZodType }>;

export type ApiMethod = keyof typeof API;
export const API_METHODS = Object.keys(API) as ApiMethod[];

export type ApiParams<M extends ApiMethod> = z.input<(typeof API)[M]['params']>;
export type ApiResult<M extends ApiMethod> = z.output<(typeof API)[M]['result']>;

/** The whole API as one interface: the engine implements it, clients call it. */
export type ProxyApi = { [M in ApiMethod]: (...args: ApiParams<M>) => Promise<ApiResult<M>> };

export const healthChangeSchema = z.object({
  balancer: z.string(),
  member: z.string(),
  health: z.enum(['unknown', 'healthy', 'unhealthy']),
  detail: z.string(),
});

/** Every event and its payload. Exchanges arrive in batches (at most every ~50 ms). */
export const EVENTS = {
  exchanges: z.array(exchangeSummarySchema),
  exchangesCleared: z.null(),
  balancers: z.array(balancerStatusSchema),
  health: healthChangeSchema,
  config: z.object({ reason: z.string() }),
  warning: z.object({ message: z.string() }),
  /** Every app, whenever one changes state. */
  apps: z.array(appStatusSchema),
  /** New output lines of an app (batched like exchanges). */
  appLog: z.object({ name: z.string(), lines: z.array(appLogLineSchema) }),
} as const satisfies Record<string, z.ZodType>;

export type ApiEvent = keyof typeof EVENTS;
export const API_EVENTS = Object.keys(EVENTS) as ApiEvent[];
export type ProxyEvents = { [E in ApiEvent]: z.output<(typeof EVENTS)[E]> };

/** Subscribe to one event; returns the unsubscribe function. */
export type Subscribe = <E extends ApiEvent>(
  event: E,
  listener: (payload: ProxyEvents[E]) => void,
) => () => void;

/** What the renderer gets: the API plus event subscription, whatever the transport. */
export type ProxyClient = ProxyApi & { on: Subscribe };

export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && Object.hasOwn(API, name);
}

export function isApiEvent(name: unknown): name is ApiEvent {
  return typeof name === 'string' && Object.hasOwn(EVENTS, name);
}
