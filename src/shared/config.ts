/**
 * The routing file: Switchyard's public contract (SPEC §1). This zod schema is the single
 * source of the TypeScript types, of the load-time validation (with cross-references that
 * JSON Schema cannot express) and of the JSON Schema that editors use for completion
 * (schema/switchyard.schema.json, written by `npm run schema`).
 *
 * Config is plain data; the engine builds runtime objects (router, balancers) from it.
 */
import { z } from 'zod';
import {
  address,
  BACKEND_PROTOCOLS,
  cidr,
  duration,
  headerName,
  headerValue,
  hostPattern,
  httpUrl,
  isBackendUrl,
  name,
  parseUrl,
  pathPrefix,
} from './config-fields.js';
import {
  compilePattern,
  conditionSchema,
  hasPlaceholder,
  redirectSchema,
  respondSchema,
  sampleOf,
  unknownPlaceholder,
  usesPathGroups,
} from './route-forms.js';
import { appSchema, checkApps } from './apps.js';

export const CONFIG_VERSION = 1;

export { BACKEND_PROTOCOLS };

const target = z
  .string()
  .refine((t) => {
    // A query is checked where the route is known: only a pathRegex route may add one.
    const u = parseUrl(sampleOf(t));
    if (!u || u.username !== '' || u.password !== '' || u.hash !== '') return false;
    if (u.protocol === 'balancer:') return u.hostname !== '';
    return isBackendUrl(u);
  }, 'must be an http(s) URL such as http://127.0.0.1:3000/app (h2c:// or h2:// for HTTP/2 backends), or balancer://NAME/')
  .refine(
    (t) => !hasPlaceholder(originOf(t)),
    'must name its backend: placeholders may fill in the path and query, never the scheme, host or port (that would make Switchyard an open proxy)',
  )
  .meta({
    description:
      'ProxyPass target: an http(s) URL (HTTP/1.1), h2c:// (HTTP/2, clear text) or h2:// (HTTP/2 over TLS), or balancer://NAME/ for a balancer. With match.pathRegex, the path and query may use $1…$9 and other placeholders.',
  });

/** `http://host:port` of a URL as written, before any placeholder is filled in. */
function originOf(text: string): string {
  const start = text.indexOf('//');
  if (start === -1) return text;
  const end = text.slice(start + 2).search(/[/?#]/);
  return end === -1 ? text : text.slice(0, start + 2 + end);
}

/**
 * Framing headers say where a message ends. Switchyard frames each message it sends from
 * what it actually read, so a rule may neither set nor remove them (a rule that did could
 * make a backend read a body as a second request).
 */
export const FRAMING_HEADERS: readonly string[] = ['content-length', 'transfer-encoding'];

const FRAMING_RULE =
  'is message framing, which Switchyard sets from the body it forwards; remove this rule';

const headerOps = z
  .strictObject({
    set: z.record(headerName, headerValue).default({}),
    remove: z
      .array(headerName.refine((n) => !FRAMING_HEADERS.includes(n.toLowerCase()), FRAMING_RULE))
      .default([]),
  })
  .superRefine((ops, ctx) => {
    for (const name of Object.keys(ops.set)) {
      if (FRAMING_HEADERS.includes(name.toLowerCase()))
        ctx.addIssue({
          code: 'custom',
          path: ['set', name],
          message: `'${name}' ${FRAMING_RULE}`,
          params: { reference: true },
        });
    }
  })
  .meta({ description: 'Headers to set (replacing any value) and to remove.' });

const SINGLE_LABEL =
  'needs a dot: the local CA cannot issue for a single-label name (it could vouch for a whole top-level domain); use NAME.localhost';

export const listenerSchema = z.strictObject({
  name,
  port: z
    .int('must be a whole number')
    .min(0, 'must be between 0 and 65535')
    .max(65535, 'must be between 0 and 65535')
    .meta({ description: 'TCP port; 0 picks a free port.' }),
  address: address.default('127.0.0.1'),
  tls: z
    .boolean()
    .default(false)
    .meta({ description: 'Serve HTTPS with certificates from the local CA.' }),
  http2: z.boolean().default(true).meta({
    description:
      'Accept HTTP/2 as well as HTTP/1.1: ALPN h2 on a TLS listener, HTTP/2 with prior knowledge (h2c) on a plain one.',
  }),
  hostnames: z
    .array(hostPattern.refine((h) => h.replace(/^\*\./, '').includes('.'), SINGLE_LABEL))
    .optional()
    .meta({
      description:
        "A TLS listener's names beyond those its routes' match.host give (Apache ServerName and ServerAlias): the local CA permits and issues certificates for them.",
    }),
});

export const accessSchema = z
  .strictObject({
    allow: z.array(cidr).default(['127.0.0.0/8', '::1']),
  })
  .meta({ description: 'Clients allowed to use the proxy (Apache <Proxy *> Require ip).' });

export const ENCODED_SLASHES = ['decode', 'passthrough'] as const;

export const QUERY_MODES = ['keep', 'drop'] as const;

const routeFields = z.strictObject({
  name,
  match: z
    .strictObject({
      host: hostPattern.optional(),
      path: pathPrefix.default('/'),
      pathRegex: z.string().min(1).optional().meta({
        description:
          'A regular expression the path must match as well (RE2 syntax; ProxyPassMatch, RewriteRule). Its groups are $1…$9 in to and redirect.to.',
      }),
      ignoreCase: z
        .boolean()
        .optional()
        .meta({ description: 'pathRegex ignores case (RewriteRule [NC]). Default false.' }),
      when: z.array(conditionSchema).optional().meta({
        description: 'Conditions that must all hold (RewriteCond).',
      }),
      listeners: z.array(name).min(1).optional(),
    })
    .default({ path: '/' }),
  to: target.optional(),
  redirect: redirectSchema.optional(),
  respond: respondSchema.optional(),
  query: z.enum(QUERY_MODES).optional().meta({
    description:
      "The client's query string: 'keep' (the default) passes it on (after the target's own query, if to or redirect.to has one: RewriteRule [QSA]); 'drop' sends only the target's (a RewriteRule substitution with ? and no QSA).",
  }),
  access: z
    .strictObject({ allow: z.array(cidr) })
    .optional()
    .meta({
      description:
        "Clients allowed on this route, in place of the file's access list (Apache <Proxy URL-prefix> sections, which apply per backend URL).",
    }),
  preserveHost: z.boolean().default(false).meta({ description: 'ProxyPreserveHost.' }),
  reverse: z
    .boolean()
    .default(true)
    .meta({ description: 'ProxyPassReverse: rewrite Location, Content-Location, URI, cookies.' }),
  websocket: z.boolean().default(true).meta({ description: 'Tunnel WebSocket upgrades.' }),
  timeout: duration.default('30s').meta({ description: 'ProxyTimeout: 504 when slower.' }),
  tlsVerify: z.boolean().default(true).meta({
    description:
      "Verify an https backend's certificate against the system store and the local CA; false accepts self-signed backends.",
  }),
  encodedSlashes: z.enum(ENCODED_SLASHES).optional().meta({
    description:
      "Paths with an encoded slash (%2F) or backslash (%5C). Absent: 404, as Apache's AllowEncodedSlashes Off does for %2F (%5C is refused too: Windows servers read it as a separator). 'decode': both decoded to / before routing (On). 'passthrough': forwarded unchanged (NoDecode).",
  }),
  headers: z
    .strictObject({
      request: headerOps.default({ set: {}, remove: [] }),
      response: headerOps.default({ set: {}, remove: [] }),
    })
    .default({ request: { set: {}, remove: [] }, response: { set: {}, remove: [] } }),
});

type RouteShape = z.output<typeof routeFields>;

/** A route does one thing; what it does may use the path pattern's groups only if it has one. */
function checkRouteForm(route: RouteShape, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string): void => {
    ctx.addIssue({ code: 'custom', path, message });
  };
  const actions = (['to', 'redirect', 'respond'] as const).filter((k) => route[k] !== undefined);
  if (actions.length !== 1) {
    issue(
      actions.length === 0 ? [] : [actions[1] ?? 'to'],
      actions.length === 0
        ? 'needs one of to (proxy), redirect or respond'
        : `has both ${actions.join(' and ')}; a route does one of them`,
    );
  }
  const { pathRegex, ignoreCase } = route.match;
  if (pathRegex !== undefined) {
    const compiled = compilePattern(pathRegex, ignoreCase ?? false);
    if ('error' in compiled) issue(['match', 'pathRegex'], compiled.error);
  }
  const templates: [(string | number)[], string][] = [];
  if (route.to !== undefined) templates.push([['to'], route.to]);
  if (route.redirect) templates.push([['redirect', 'to'], route.redirect.to]);
  for (const [path, text] of templates) {
    const unknown = unknownPlaceholder(text);
    if (unknown)
      issue(
        path,
        `${unknown} is not a placeholder ($1…$9, {{when.N}}, {{request.host|authority|path|query|scheme}}, {{request.header.NAME}})`,
      );
    if (usesPathGroups(text) && pathRegex === undefined)
      issue(path, 'uses $N, which needs match.pathRegex to capture groups');
  }
  if (route.to !== undefined && pathRegex === undefined && route.to.includes('?'))
    issue(['to'], 'has a query; only a route with match.pathRegex may add one');
  if (route.redirect) {
    const to = sampleOf(route.redirect.to);
    if (!to.startsWith('/') && !isRedirectUrl(to))
      issue(['redirect', 'to'], 'must be a path starting with / or an http(s) URL');
  }
}

function isRedirectUrl(text: string): boolean {
  const u = parseUrl(text);
  return (
    u !== undefined && (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== ''
  );
}

export const routeSchema = routeFields.superRefine(checkRouteForm);

export const MEMBER_STATES = ['enabled', 'disabled', 'draining', 'standby'] as const;
export const BALANCER_METHODS = ['byrequests', 'bytraffic', 'bybusyness'] as const;

export const memberSchema = z.strictObject({
  url: httpUrl,
  route: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, dashes or underscores')
    .optional()
    .meta({ description: 'Sticky route id, matched against the session id suffix.' }),
  loadFactor: z.int().min(1).max(100).default(1),
  state: z.enum(MEMBER_STATES).default('enabled'),
});

export const healthCheckSchema = z.strictObject({
  method: z.enum(['GET', 'HEAD', 'OPTIONS']).default('GET'),
  path: pathPrefix.default('/'),
  interval: duration.default('5s'),
  timeout: duration.default('2s'),
  passes: z.int().min(1).max(100).default(1),
  fails: z.int().min(1).max(100).default(1),
  expect: z
    .string()
    .regex(/^[1-5]\d\d(-[1-5]\d\d)?$/, 'must be a status such as 200 or a range such as 200-399')
    .default('200-399'),
});

export const balancerSchema = z.strictObject({
  name,
  method: z.enum(BALANCER_METHODS).default('byrequests'),
  stickySession: z
    .string()
    .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be a cookie name such as JSESSIONID')
    .optional(),
  stickyCookie: z
    .strictObject({
      path: pathPrefix.default('/'),
    })
    .optional()
    .meta({
      description:
        'Switchyard sets the stickySession cookie to `.ROUTE` whenever a request lands on a member other than the one its cookie names (or has none), so the balancer becomes sticky without the backend\'s help — Apache\'s ROUTEID recipe (Header add Set-Cookie "ROUTEID=.%{BALANCER_WORKER_ROUTE}e; path=/" env=BALANCER_ROUTE_CHANGED).',
    }),
  failover: z.boolean().default(true).meta({ description: 'false = Apache nofailover=On.' }),
  maxAttempts: z.int().min(1).max(100).optional(),
  retry: duration.default('60s').meta({ description: 'How long a member in error is skipped.' }),
  healthCheck: healthCheckSchema.optional(),
  members: z.array(memberSchema).min(1),
});

const CLIENT_TIMEOUT_DEFAULTS = {
  header: '20s',
  body: '20s',
  bodyMinRate: 500,
  bodyIdle: '60s',
  send: '60s',
} as const;

/**
 * How long Switchyard waits for a client, as Apache's mod_reqtimeout and nginx's
 * client_header_timeout, client_body_timeout and send_timeout do. A client that is too slow
 * gets 408 and the backend request is cancelled. The defaults never cut a real upload: a
 * body only has to average 500 bytes/s after its first 20 s.
 */
export const clientTimeoutsSchema = z
  .strictObject({
    header: duration
      .default(CLIENT_TIMEOUT_DEFAULTS.header)
      .meta({ description: 'The request line and headers must arrive within this.' }),
    body: duration.default(CLIENT_TIMEOUT_DEFAULTS.body).meta({
      description:
        'Time allowed for the request body before the minimum rate counts; every bodyMinRate bytes received add 1 s (mod_reqtimeout body=20,MinRate=500).',
    }),
    bodyMinRate: z
      .int('must be a whole number of bytes per second')
      .min(0)
      .default(CLIENT_TIMEOUT_DEFAULTS.bodyMinRate)
      .meta({
        description: 'Bytes per second; 0 turns the rate rule off (bodyIdle still applies).',
      }),
    bodyIdle: duration
      .default(CLIENT_TIMEOUT_DEFAULTS.bodyIdle)
      .meta({ description: 'No request body byte for this long ends the request.' }),
    send: duration.default(CLIENT_TIMEOUT_DEFAULTS.send).meta({
      description:
        'A client that takes none of a pending response for this long is disconnected (nginx send_timeout).',
    }),
  })
  .meta({ description: 'Limits on slow clients: 408 instead of a backend held for ever.' });

const grpcSchema = z
  .strictObject({
    protos: z.array(z.string().min(1)).default([]).meta({
      description:
        '.proto files that name the fields of gRPC messages in the traffic inspector, relative to this routing file. Calls no file describes are asked of the backend by server reflection (grpc.reflection.v1, then v1alpha).',
    }),
  })
  .meta({ description: 'gRPC in the traffic inspector: message schemas.' });

const configShape = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(CONFIG_VERSION).meta({ description: 'Routing file format version.' }),
  listeners: z.array(listenerSchema).default([]),
  access: accessSchema.default({ allow: ['127.0.0.0/8', '::1'] }),
  routes: z.array(routeSchema).default([]),
  balancers: z.array(balancerSchema).default([]),
  clientTimeouts: clientTimeoutsSchema.default(CLIENT_TIMEOUT_DEFAULTS),
  grpc: grpcSchema.optional(),
  apps: z.array(appSchema).default([]).meta({
    description:
      'Local services served at https://NAME.localhost: commands Switchyard starts and watches (a Procfile in YAML), or aliases for a port something else serves.',
  }),
});

type Shape = z.output<typeof configShape>;

/** Rules between parts of the file, reported at the offending field. */
function checkReferences(config: Shape, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string): void => {
    // `reference` tells the loader the message already names the value.
    ctx.addIssue({ code: 'custom', path, message, params: { reference: true } });
  };
  const firstIndex = new Map<string, number>();
  config.listeners.forEach((l, i) => {
    const prior = firstIndex.get(`name:${l.name}`);
    if (prior !== undefined)
      issue(['listeners', i, 'name'], `'${l.name}' is already listeners[${prior}]`);
    else firstIndex.set(`name:${l.name}`, i);
    if (l.hostnames !== undefined && !l.tls)
      issue(
        ['listeners', i, 'hostnames'],
        'names certificates, which only a TLS listener (tls: true) has',
      );
    if (l.port === 0) return;
    const key = `bind:${l.address}:${l.port}`;
    const same = firstIndex.get(key);
    if (same !== undefined)
      issue(['listeners', i, 'port'], `${l.address}:${l.port} is already listeners[${same}]`);
    else firstIndex.set(key, i);
  });
  const listenerNames = new Set(config.listeners.map((l) => l.name));
  const balancerNames = new Set(config.balancers.map((b) => b.name));
  const routeNames = new Map<string, number>();
  config.routes.forEach((r, i) => {
    const prior = routeNames.get(r.name);
    if (prior !== undefined)
      issue(['routes', i, 'name'], `'${r.name}' is already routes[${prior}]`);
    else routeNames.set(r.name, i);
    r.match.listeners?.forEach((l, j) => {
      if (!listenerNames.has(l))
        issue(['routes', i, 'match', 'listeners', j], `no listener is named '${l}'`);
    });
    const url = r.to === undefined ? undefined : parseUrl(sampleOf(r.to));
    if (url?.protocol === 'balancer:' && !balancerNames.has(url.hostname)) {
      issue(['routes', i, 'to'], `no balancer is named '${url.hostname}'`);
    }
  });
  const balancerIndex = new Map<string, number>();
  config.balancers.forEach((b, i) => {
    const prior = balancerIndex.get(b.name);
    if (prior !== undefined)
      issue(['balancers', i, 'name'], `'${b.name}' is already balancers[${prior}]`);
    else balancerIndex.set(b.name, i);
    const urls = new Map<string, number>();
    const routes = new Map<string, number>();
    b.members.forEach((m, j) => {
      const key = new URL(m.url).href;
      const u = urls.get(key);
      if (u !== undefined)
        issue(['balancers', i, 'members', j, 'url'], `${m.url} is already members[${u}]`);
      else urls.set(key, j);
      if (m.route === undefined) return;
      const r = routes.get(m.route);
      if (r !== undefined)
        issue(
          ['balancers', i, 'members', j, 'route'],
          `route '${m.route}' is already members[${r}]`,
        );
      else routes.set(m.route, j);
    });
    if (b.stickySession === undefined) {
      if (b.stickyCookie)
        issue(
          ['balancers', i, 'stickyCookie'],
          'needs stickySession: the name of the cookie to set',
        );
      return;
    }
    b.members.forEach((m, j) => {
      if (m.route === undefined) {
        issue(
          ['balancers', i, 'members', j, 'route'],
          `needs a route id because balancer '${b.name}' has stickySession`,
        );
      }
    });
  });
}

export const routingConfigSchema = configShape.superRefine((config, ctx) => {
  checkReferences(config, ctx);
  checkApps(config, ctx);
});

export type RoutingConfig = z.output<typeof routingConfigSchema>;
export type RoutingConfigInput = z.input<typeof routingConfigSchema>;
export type ListenerConfig = RoutingConfig['listeners'][number];
export type RouteConfig = RoutingConfig['routes'][number];
export type HeaderOps = RouteConfig['headers']['request'];
export type EncodedSlashes = (typeof ENCODED_SLASHES)[number];
export type QueryMode = (typeof QUERY_MODES)[number];
export type {
  ConditionConfig,
  RedirectConfig,
  RespondConfig,
  SimpleConditionConfig,
} from './route-forms.js';
export type ClientTimeoutsConfig = RoutingConfig['clientTimeouts'];
export type GrpcConfig = NonNullable<RoutingConfig['grpc']>;
export type { AppConfig } from './apps.js';
export type BalancerConfig = RoutingConfig['balancers'][number];
export type MemberConfig = BalancerConfig['members'][number];
export type HealthCheckConfig = NonNullable<BalancerConfig['healthCheck']>;
export type MemberState = (typeof MEMBER_STATES)[number];
export type BalancerMethod = (typeof BALANCER_METHODS)[number];

/** A valid configuration with no listeners: the engine runs but serves nothing. */
export function emptyConfig(): RoutingConfig {
  return routingConfigSchema.parse({ version: CONFIG_VERSION });
}

/** JSON Schema (draft 2020-12) of the routing file as a user writes it. */
export function routingJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configShape, { io: 'input', target: 'draft-2020-12' }),
    title: 'Switchyard routing file',
  };
}
