/**
 * Problems found while importing an Apache file, in the routing file's ConfigProblem
 * shape (file, line, empty field path) so the command prints them the same way.
 * Errors stop the import; warnings list what was mapped approximately or left out.
 */
import type { ConfigProblem } from '../config-file.js';

export class Findings {
  readonly warnings: ConfigProblem[] = [];
  readonly errors: ConfigProblem[] = [];
  readonly file: string;

  constructor(file: string) {
    this.file = file;
  }

  warn(line: number | undefined, message: string): void {
    this.warnings.push(this.#problem(line, message));
  }

  error(line: number | undefined, message: string): void {
    this.errors.push(this.#problem(line, message));
  }

  #problem(line: number | undefined, message: string): ConfigProblem {
    return line === undefined
      ? { file: this.file, path: '', message }
      : { file: this.file, line, path: '', message };
  }
}

export function byLine(problems: ConfigProblem[]): ConfigProblem[] {
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}
