/**
 * Apps: local services reached by name (https://NAME.localhost). The `apps:` list of the
 * routing file is a Procfile in YAML; `switchyard run NAME -- COMMAND` adds an instance for
 * as long as it runs; an app with a `port` and no `command` is an alias for something
 * already listening there. Every app becomes a route for NAME.localhost to a balancer of
 * its instances (src/engine/apps/app-routes.ts).
 *
 * This file holds the routing-file schema of an app and the status the API reports.
 */
import { z } from 'zod';
import { duration, pathPrefix } from './config-fields.js';

/** The host every app is served at: NAME.localhost. */
export const APP_DOMAIN = 'localhost';

/**
 * An app name is a DNS name below .localhost: lowercase labels of letters, digits and
 * dashes, joined by dots (a worktree prefix makes `feature-x.shop`).
 */
export const APP_NAME_PATTERN =
  /^(?=.{1,200}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

export const APP_NAME_RULE =
  'must be a DNS name: lowercase letters, digits and dashes (not at either end), labels of at most 63 characters joined by dots, such as shop or feature-x.shop';

export const appName = z.string().regex(APP_NAME_PATTERN, APP_NAME_RULE);

/** `NAME.localhost`. */
export function appHost(name: string): string {
  return `${name}.${APP_DOMAIN}`;
}

export const RESTART_POLICIES = ['on-failure', 'always', 'never'] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name such as API_KEY');

export const appSchema = z
  .strictObject({
    name: appName.meta({ description: 'Served at https://NAME.localhost.' }),
    command: z.string().min(1).optional().meta({
      description:
        'Command line, run by the shell as a Procfile line is, with PORT set to a free port (or to `port`). Absent: an alias for whatever already listens on `port`.',
    }),
    cwd: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'Working directory, relative to the routing file.' }),
    env: z.record(envName, z.string()).default({}),
    port: z
      .int('must be a whole number')
      .min(1, 'must be between 1 and 65535')
      .max(65535, 'must be between 1 and 65535')
      .optional()
      .meta({
        description:
          'The port the app listens on: given to the command as PORT, or, without a command, the port something else (a docker-compose service, say) already serves.',
      }),
    health: pathPrefix.optional().meta({
      description:
        'A path answered with 2xx or 3xx while the app is well; checked every 5 s once the port is open.',
    }),
    autostart: z
      .boolean()
      .default(true)
      .meta({ description: 'Start with Switchyard (`switchyard up` starts every app).' }),
    restart: z.enum(RESTART_POLICIES).default('on-failure').meta({
      description:
        'Restart after the command exits: on-failure (a non-zero code or a signal), always, or never. Restarts back off from 1 s to 30 s; five failed starts in a row stop the app.',
    }),
    portTimeout: duration.default('60s').meta({
      description: 'How long the command may take to open its port before it counts as failed.',
    }),
  })
  .refine((app) => app.command !== undefined || app.port !== undefined, {
    message: 'needs a command to run, or a port that something already serves (an alias)',
  });

export type AppConfig = z.output<typeof appSchema>;

export const APP_STATES = [
  'stopped',
  'starting',
  'up',
  'unhealthy',
  'exited',
  'restarting',
  'crashed',
  'alias',
] as const;
export type AppState = (typeof APP_STATES)[number];

export const appInstanceSchema = z.object({
  /** Unique while Switchyard runs. */
  id: z.string(),
  /** file: started from `apps:`; run: a `switchyard run` process; alias: a port, no process. */
  source: z.enum(['file', 'run', 'alias']),
  state: z.enum(APP_STATES),
  port: z.number().optional(),
  pid: z.number().optional(),
  /** Balancer member URL while it serves (http://127.0.0.1:PORT). */
  member: z.string().optional(),
  startedAt: z.number().optional(),
  exitCode: z.number().nullable().optional(),
  signal: z.string().nullable().optional(),
  restarts: z.number(),
  /** Why it is not up, in a sentence. */
  detail: z.string().optional(),
});
export type AppInstanceStatus = z.infer<typeof appInstanceSchema>;

export const appStatusSchema = z.object({
  name: z.string(),
  /** NAME.localhost */
  host: z.string(),
  /** The URLs it is reached at, HTTPS first; empty without listeners. */
  urls: z.array(z.string()),
  /** In the routing file's `apps:` (file and alias apps) or only registered by `switchyard run`. */
  inFile: z.boolean(),
  command: z.string().optional(),
  cwd: z.string().optional(),
  /** The best state among its instances. */
  state: z.enum(APP_STATES),
  instances: z.array(appInstanceSchema),
});
export type AppStatus = z.infer<typeof appStatusSchema>;

export const APP_LOG_STREAMS = ['out', 'err', 'system'] as const;

export const appLogLineSchema = z.object({
  seq: z.number(),
  at: z.number(),
  instance: z.string(),
  stream: z.enum(APP_LOG_STREAMS),
  /** One line as the app wrote it, ANSI colour codes included. */
  text: z.string(),
});
export type AppLogLine = z.infer<typeof appLogLineSchema>;

/** A `switchyard run` process announcing the instance it started. */
export const appRegistrationSchema = z
  .strictObject({
    name: appName,
    port: z.int().min(1).max(65535),
    pid: z.int().positive().optional(),
    command: z.string().max(4096).optional(),
    cwd: z.string().max(4096).optional(),
  })
  .meta({
    description: 'An instance served on 127.0.0.1:port for as long as the caller stays connected.',
  });
export type AppRegistration = z.infer<typeof appRegistrationSchema>;

/**
 * Rules between the apps and the rest of the routing file (config.ts runs them): names are
 * unique, and the route and balancer each app becomes (named NAME.localhost) are not taken.
 */
export function checkApps(
  config: {
    apps: readonly { name: string }[];
    routes: readonly { name: string }[];
    balancers: readonly { name: string }[];
  },
  ctx: z.RefinementCtx,
): void {
  const issue = (path: (string | number)[], message: string): void => {
    ctx.addIssue({ code: 'custom', path, message, params: { reference: true } });
  };
  const seen = new Map<string, number>();
  const taken = new Set([...config.routes, ...config.balancers].map((x) => x.name));
  config.apps.forEach((app, i) => {
    const prior = seen.get(app.name);
    if (prior !== undefined) issue(['apps', i, 'name'], `'${app.name}' is already apps[${prior}]`);
    else seen.set(app.name, i);
    const host = appHost(app.name);
    if (taken.has(host))
      issue(
        ['apps', i, 'name'],
        `'${app.name}' is served by a route and a balancer named ${host}, and the file already has one by that name; rename one of them`,
      );
  });
}
