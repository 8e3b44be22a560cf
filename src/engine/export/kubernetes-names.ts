/**
 * Kubernetes names and values for `switchyard export kubernetes`: routing-file names
 * (letters, digits, dots, dashes, underscores, any case) made into DNS-1123 labels, kept
 * unique per kind, and Switchyard durations written as Gateway API durations.
 */

/**
 * A DNS-1123 label (`[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most `max` characters); with
 * `letterFirst`, a DNS-1035 label as Service names need. Never empty.
 */
export function dnsLabel(text: string, max = 63, letterFirst = false): string {
  let label = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '');
  if (label === '') label = 'x';
  if (letterFirst && !/^[a-z]/.test(label)) label = `x-${label}`;
  return label.slice(0, max).replace(/-+$/, '');
}

/** Hands out names unique within one kind (and namespace): `web`, `web-2`, `web-3`… */
export class NameSet {
  readonly #used = new Set<string>();

  unique(base: string, max = 63): string {
    let name = base.slice(0, max).replace(/-+$/, '');
    for (let n = 2; this.#used.has(name); n++) {
      const suffix = `-${n}`;
      name = `${base.slice(0, max - suffix.length).replace(/-+$/, '')}${suffix}`;
    }
    this.#used.add(name);
    return name;
  }
}

const UNITS: [string, number][] = [
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

/**
 * A Gateway API duration (GEP-2257: `^([0-9]{1,5}(h|m|s|ms)){1,4}$`): the largest unit that
 * expresses the value exactly, so `1500ms`, `30s`, `5m`; rounded up when only a coarser unit
 * keeps it within five digits.
 */
export function gatewayDuration(ms: number): string {
  const value = Math.max(0, Math.ceil(ms));
  for (const [unit, size] of UNITS) {
    if (value % size === 0 && value / size <= 99_999) return `${value / size}${unit}`;
  }
  for (const [unit, size] of [...UNITS].reverse()) {
    const n = Math.ceil(value / size);
    if (n <= 99_999) return `${n}${unit}`;
  }
  return '99999h';
}
