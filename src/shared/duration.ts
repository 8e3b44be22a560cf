/**
 * Durations in the routing file are strings such as `500ms`, `30s`, `5m` or `1h`, so a
 * reader never has to guess the unit. They are parsed once, at load time, into
 * milliseconds.
 */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

export const DURATION_PATTERN = '^(\\d+(?:\\.\\d+)?)(ms|s|m|h)$';
const durationRe = new RegExp(DURATION_PATTERN);

/** Milliseconds for a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = durationRe.exec(text.trim());
  if (!m) return undefined;
  const [, amount, unit] = m as unknown as [string, string, keyof typeof UNIT_MS];
  return Math.round(Number(amount) * UNIT_MS[unit]);
}

/** The shortest exact duration string for a number of milliseconds. */
export function formatDuration(ms: number): string {
  for (const unit of ['h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
