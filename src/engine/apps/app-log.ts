/**
 * An app's output: the newest lines of its stdout, stderr and Switchyard's own notes about
 * it ("started pid 123 on port 4001", "exited with code 1, restarting in 2 s"), in a ring
 * of at most APP_LOG_LIMIT lines. Output is cut into lines per stream; a line longer than
 * MAX_LINE_CHARS is cut too, so a child that never writes a newline cannot grow memory.
 */
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { APP_LOG_LIMIT } from '../../shared/api.js';
import type { AppLogLine } from '../../shared/apps.js';

const MAX_LINE_CHARS = 16 * 1024;

export class AppLog {
  readonly #lines: AppLogLine[] = [];
  readonly #limit: number;
  readonly #onLines: (lines: AppLogLine[]) => void;
  #seq = 0;

  /** `onLines` hears every new line (the API batches them for the UI). */
  constructor(onLines: (lines: AppLogLine[]) => void, limit = APP_LOG_LIMIT) {
    this.#onLines = onLines;
    this.#limit = limit;
  }

  add(instance: string, stream: AppLogLine['stream'], texts: readonly string[]): void {
    const at = Date.now();
    const added = texts.map((text) => ({ seq: ++this.#seq, at, instance, stream, text }));
    this.#lines.push(...added);
    if (this.#lines.length > this.#limit) this.#lines.splice(0, this.#lines.length - this.#limit);
    this.#onLines(added);
  }

  note(instance: string, text: string): void {
    this.add(instance, 'system', [text]);
  }

  /** Feed a child's stream into the log, line by line. */
  follow(instance: string, stream: 'out' | 'err', source: Readable): void {
    const decoder = new StringDecoder('utf8');
    let partial = '';
    const take = (text: string): void => {
      partial += text;
      const lines = partial.split(/\r?\n/);
      partial = lines.pop() ?? '';
      while (partial.length > MAX_LINE_CHARS) {
        lines.push(partial.slice(0, MAX_LINE_CHARS));
        partial = partial.slice(MAX_LINE_CHARS);
      }
      if (lines.length > 0) this.add(instance, stream, lines);
    };
    source.on('data', (chunk: Buffer) => take(decoder.write(chunk)));
    source.on('end', () => {
      take(decoder.end());
      if (partial !== '') this.add(instance, stream, [partial]);
      partial = '';
    });
  }

  /** The newest `limit` lines that contain `search` (case-insensitive), oldest first. */
  lines(
    options: { search?: string; streams?: readonly AppLogLine['stream'][]; limit?: number } = {},
  ): AppLogLine[] {
    const search = options.search?.toLowerCase();
    const streams = options.streams ? new Set(options.streams) : undefined;
    const limit = options.limit ?? this.#limit;
    const out: AppLogLine[] = [];
    for (let i = this.#lines.length - 1; i >= 0 && out.length < limit; i--) {
      const line = this.#lines[i]!;
      if (streams && !streams.has(line.stream)) continue;
      if (search && !line.text.toLowerCase().includes(search)) continue;
      out.push(line);
    }
    return out.reverse();
  }
}
