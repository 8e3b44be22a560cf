/**
 * The apps' part of the API's events: `apps` (every app's status, at most every
 * FEED_MS after a change) and `appLog` (new output lines per app, gathered for FEED_MS),
 * built only while someone listens, like the exchange batches.
 */
import type { AppLogLine, AppStatus } from '../../shared/apps.js';
import type { Apps } from './apps.js';

const FEED_MS = 100;

export interface AppsFeedSink {
  listening(event: 'apps' | 'appLog'): boolean;
  apps(status: AppStatus[]): void;
  appLog(name: string, lines: AppLogLine[]): void;
}

export class AppsFeed {
  readonly #apps: Apps;
  readonly #sink: AppsFeedSink;
  readonly #lines = new Map<string, AppLogLine[]>();
  #statusTimer: NodeJS.Timeout | undefined;
  #logTimer: NodeJS.Timeout | undefined;
  readonly #onChanged = (): void => {
    if (!this.#sink.listening('apps')) return;
    this.#statusTimer ??= setTimeout(() => {
      this.#statusTimer = undefined;
      this.#sink.apps(this.#apps.status());
    }, FEED_MS);
  };
  readonly #onLog = (name: string, lines: AppLogLine[]): void => {
    if (!this.#sink.listening('appLog')) return;
    const pending = this.#lines.get(name);
    if (pending) pending.push(...lines);
    else this.#lines.set(name, [...lines]);
    this.#logTimer ??= setTimeout(() => this.#flushLog(), FEED_MS);
  };

  constructor(apps: Apps, sink: AppsFeedSink) {
    this.#apps = apps;
    this.#sink = sink;
    apps.events.on('changed', this.#onChanged);
    apps.events.on('log', this.#onLog);
  }

  #flushLog(): void {
    this.#logTimer = undefined;
    for (const [name, lines] of this.#lines) this.#sink.appLog(name, lines);
    this.#lines.clear();
  }

  close(): void {
    clearTimeout(this.#statusTimer);
    clearTimeout(this.#logTimer);
    this.#apps.events.off('changed', this.#onChanged);
    this.#apps.events.off('log', this.#onLog);
  }
}
