/**
 * A small line writer for the block-structured configuration files the exporters emit:
 * indentation follows open/close, comments wrap onto `#` lines.
 */
export class ConfigWriter {
  readonly #lines: string[] = [];
  readonly #indent: string;
  #depth = 0;

  constructor(indent: string) {
    this.#indent = indent;
  }

  line(text = ''): this {
    this.#lines.push(text === '' ? '' : `${this.#indent.repeat(this.#depth)}${text}`);
    return this;
  }

  comment(text: string): this {
    for (const l of text.split('\n')) this.line(l === '' ? '#' : `# ${l}`);
    return this;
  }

  open(text: string): this {
    this.line(text);
    this.#depth++;
    return this;
  }

  close(text: string): this {
    this.#depth--;
    return this.line(text);
  }

  toString(): string {
    return `${this.#lines.join('\n').replace(/\n{3,}/g, '\n\n')}\n`;
  }
}

/** nginx: `"value"` with backslashes and double quotes escaped. */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * Apache: `"value"`. httpd's reader treats a backslash as an escape only before the
 * quote character, so regular expressions such as `\.` pass through as written.
 */
export function apacheQuote(value: string): string {
  return `"${value.replace(/"/g, '\\"')}"`;
}
