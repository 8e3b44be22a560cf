/**
 * How an app and its instances read in the Apps view: the state as a coloured tag with a
 * sentence saying why, and which controls make sense (an alias has no process to start; a
 * `switchyard run` app's process belongs to the terminal that ran it).
 */
import type { AppInstanceStatus, AppState, AppStatus } from '../../../../shared/apps.js';

export type TagType = 'default' | 'success' | 'info' | 'warning' | 'error';

export interface StateTag {
  label: string;
  type: TagType;
}

const TAGS: Record<AppState, StateTag> = {
  stopped: { label: 'Stopped', type: 'default' },
  starting: { label: 'Starting', type: 'info' },
  up: { label: 'Up', type: 'success' },
  unhealthy: { label: 'Unhealthy', type: 'warning' },
  exited: { label: 'Exited', type: 'warning' },
  restarting: { label: 'Restarting', type: 'warning' },
  crashed: { label: 'Crashed', type: 'error' },
  alias: { label: 'Alias', type: 'info' },
};

function exitText(instance: AppInstanceStatus | undefined): string {
  if (instance?.signal) return `Exited (${instance.signal})`;
  if (instance?.exitCode !== undefined && instance.exitCode !== null) {
    return `Exited (code ${instance.exitCode})`;
  }
  return 'Exited';
}

/** The instance whose state the app reports (the engine gives the app the best one). */
export function leadInstance(app: AppStatus): AppInstanceStatus | undefined {
  return app.instances.find((i) => i.state === app.state) ?? app.instances[0];
}

export function instanceTag(instance: AppInstanceStatus): StateTag {
  const tag = TAGS[instance.state];
  return instance.state === 'exited' ? { ...tag, label: exitText(instance) } : tag;
}

export function appTag(app: AppStatus): StateTag {
  const tag = TAGS[app.state];
  return app.state === 'exited' ? { ...tag, label: exitText(leadInstance(app)) } : tag;
}

/** One sentence about an instance: the engine's `detail`, else one made from its fields. */
export function instanceSentence(instance: AppInstanceStatus): string {
  if (instance.detail) return instance.detail;
  const where = instance.port === undefined ? '' : ` on port ${instance.port}`;
  switch (instance.state) {
    case 'up':
      return `Serving${where}.`;
    case 'alias':
      return `Forwards to whatever listens${where}.`;
    case 'starting':
      return `Waiting for the command to open its port${where}.`;
    case 'unhealthy':
      return `Running${where}, but its health check fails.`;
    case 'restarting':
      return `Starting again after it ended (restart ${instance.restarts + 1}).`;
    case 'crashed':
      return 'Failed to start too many times in a row; start it again when it is fixed.';
    case 'exited':
      return `${exitText(instance)}; not restarted.`;
    case 'stopped':
      return 'Not running.';
  }
}

/** The app's sentence: its lead instance's, or why there is none. */
export function appSentence(app: AppStatus): string {
  const lead = leadInstance(app);
  if (lead) return instanceSentence(lead);
  if (app.state === 'stopped') return app.command ? 'Not running.' : 'No instance.';
  return '';
}

export type AppSource = AppInstanceStatus['source'];

export const SOURCE_LABELS: Record<AppSource, string> = {
  file: 'routing file',
  run: 'switchyard run',
  alias: 'alias',
};

/**
 * Where the app comes from: the routing file's `apps:` (a command, or an alias for a port)
 * or only a terminal's `switchyard run`.
 */
export function appSource(app: AppStatus): AppSource {
  if (!app.inFile) return 'run';
  if (app.instances.some((i) => i.source === 'file')) return 'file';
  if (app.instances.some((i) => i.source === 'alias')) return 'alias';
  return app.command === undefined ? 'alias' : 'file';
}

export interface ControlState {
  disabled: boolean;
  /** Why it is disabled, for the tooltip. */
  reason?: string;
}

export interface AppControls {
  start: ControlState;
  stop: ControlState;
  restart: ControlState;
}

const RUNNING: readonly AppState[] = ['up', 'starting', 'unhealthy', 'restarting'];

/** Why a `switchyard run` app cannot be controlled here (the engine refuses too). */
export const RUN_ONLY_REASONS = {
  start:
    'Started by `switchyard run` in a terminal: Switchyard does not run it, so it cannot start it. Run the command there again.',
  stop: 'Started by `switchyard run` in a terminal: stop it there (Ctrl-C).',
  restart:
    'Started by `switchyard run` in a terminal: restart it there (Ctrl-C, then run it again).',
} as const;

function aliasReason(app: AppStatus): string {
  const port = app.instances.find((i) => i.port !== undefined)?.port;
  const what = port === undefined ? 'a port' : `port ${port}`;
  return `An alias for ${what}: Switchyard runs no process for it, so there is nothing to start or stop.`;
}

const enabled: ControlState = { disabled: false };

export function appControls(app: AppStatus): AppControls {
  const source = appSource(app);
  if (source === 'alias') {
    const off = { disabled: true, reason: aliasReason(app) };
    return { start: off, stop: off, restart: off };
  }
  if (source === 'run') {
    return {
      start: { disabled: true, reason: RUN_ONLY_REASONS.start },
      stop: { disabled: true, reason: RUN_ONLY_REASONS.stop },
      restart: { disabled: true, reason: RUN_ONLY_REASONS.restart },
    };
  }
  // A file app's own process decides (a `switchyard run` instance beside it may be up).
  const state = app.instances.find((i) => i.source === 'file')?.state ?? app.state;
  return {
    start: RUNNING.includes(state) ? { disabled: true, reason: 'Already running.' } : enabled,
    stop: state === 'stopped' ? { disabled: true, reason: 'Not running.' } : enabled,
    restart: enabled,
  };
}

/** URLs with HTTPS first (the engine sends them so; a stable sort keeps its order otherwise). */
export function sortedUrls(urls: readonly string[]): string[] {
  const rank = (u: string): number => (u.startsWith('https:') ? 0 : 1);
  return [...urls].sort((a, b) => rank(a) - rank(b));
}
