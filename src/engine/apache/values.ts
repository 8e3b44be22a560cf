/**
 * Apache argument values → routing-file values: On/Off, seconds, key=value parameters,
 * `Require ip` address forms, ServerName forms.
 */
import { isCidr, isIPv4, isIPv6 } from '../../shared/ip.js';

export function onOff(value: string | undefined): boolean | undefined {
  const v = value?.toLowerCase();
  if (v === 'on') return true;
  if (v === 'off') return false;
  return undefined;
}

/** Apache seconds (whole or decimal) → seconds, or undefined. */
export function seconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+(\.\d+)?$/.test(value)) return undefined;
  return Number(value);
}

/** Seconds → a routing-file duration (`30s`, `1500ms`). */
export function duration(secs: number): string {
  return Number.isInteger(secs) ? `${secs}s` : `${Math.round(secs * 1000)}ms`;
}

/** `key=value` words → a map with lowercased keys; words without `=` are returned apart. */
export function keyValues(words: readonly string[]): {
  params: Map<string, string>;
  flags: string[];
} {
  const params = new Map<string, string>();
  const flags: string[] = [];
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq <= 0) flags.push(word);
    else params.set(word.slice(0, eq).toLowerCase(), word.slice(eq + 1));
  }
  return { params, flags };
}

function maskBits(mask: string): number | undefined {
  if (!isIPv4(mask)) return undefined;
  const bits = mask
    .split('.')
    .map((o) => Number(o).toString(2).padStart(8, '0'))
    .join('');
  return /^1*0*$/.test(bits) ? (bits.indexOf('0') === -1 ? 32 : bits.indexOf('0')) : undefined;
}

/**
 * One `Require ip` / `Allow from` word → a CIDR: full addresses, `10.1` partial addresses
 * (Apache's shorthand for 10.1.0.0/16), `a.b.c.d/nn` and `a.b.c.d/255.255.0.0`.
 */
export function toCidr(word: string): string | undefined {
  if (isCidr(word)) return word;
  const [address = '', mask, ...rest] = word.split('/');
  if (rest.length > 0) return undefined;
  if (mask !== undefined) {
    const bits = maskBits(mask);
    return bits !== undefined && isIPv4(address) ? `${address}/${bits}` : undefined;
  }
  if (/^\d{1,3}(\.\d{1,3}){0,2}\.?$/.test(address)) {
    const octets = address.replace(/\.$/, '').split('.');
    if (octets.some((o) => Number(o) > 255)) return undefined;
    const bits = octets.length * 8;
    while (octets.length < 4) octets.push('0');
    return `${octets.join('.')}/${bits}`;
  }
  if (isIPv6(address)) return address;
  return undefined;
}

/** `ServerName https://www.example.com:443` → `www.example.com`. */
export function hostOfServerName(value: string): string {
  let host = value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  host = host.replace(/:\d+$/, '');
  return host.toLowerCase().replace(/\.$/, '');
}

/** `*:80`, `127.0.0.1:8080`, `[::1]:8443`, `_default_`, `*` → host and port. */
export function vhostAddress(word: string): { host: string; port?: number | '*' } {
  const bracket = /^\[([^\]]+)\](?::(\d+|\*))?$/.exec(word);
  if (bracket) return withPort(bracket[1] as string, bracket[2]);
  const colon = word.lastIndexOf(':');
  if (colon === -1 || word.indexOf(':') !== colon) return { host: word };
  return withPort(word.slice(0, colon), word.slice(colon + 1));
}

function withPort(host: string, port: string | undefined): { host: string; port?: number | '*' } {
  if (port === undefined) return { host };
  if (port === '*') return { host, port: '*' };
  return { host, port: Number(port) };
}

/** Apache's wildcard addresses: the whole machine. */
export function isWildcard(host: string): boolean {
  return host === '*' || host === '_default_' || host === '0.0.0.0' || host === '::';
}
