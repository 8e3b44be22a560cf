/**
 * Hostnames and the CA's Name Constraints: what a name looks like once normalised, which
 * names a set of permitted subtrees covers, and which subtrees a CA is created with.
 *
 * Matching follows RFC 5280 as OpenSSL, BoringSSL (Chromium) and NSS implement it: a DNS
 * constraint `test` covers `test` and every name below it; `.test` covers only the names
 * below it. The CA carries both forms so that clients reading the leading-dot form more
 * strictly still accept subdomains.
 */
import { BlockList, isIP } from 'node:net';
import { domainToASCII } from 'node:url';

/** Subtrees every Switchyard CA permits: reserved local names and loopback addresses. */
export const DEFAULT_PERMITTED: readonly string[] = [
  'localhost',
  '.localhost',
  'test',
  '.test',
  '127.0.0.0/8',
  '::1/128',
];

/** Thrown for a name that cannot be a certificate's DNS name or IP address. */
export class InvalidHostnameError extends Error {
  readonly code = 'ERR_INVALID_HOSTNAME';
  constructor(
    readonly hostname: string,
    reason: string,
  ) {
    super(`'${hostname}' ${reason}`);
    this.name = 'InvalidHostnameError';
  }
}

/** Thrown when asked for a certificate the CA's Name Constraints do not allow. */
export class OutsideConstraintsError extends Error {
  readonly code = 'ERR_OUTSIDE_NAME_CONSTRAINTS';
  constructor(
    readonly hostname: string,
    permitted: readonly string[],
  ) {
    super(
      `'${hostname}' is outside this CA's name constraints (${describePermitted(permitted)}); ` +
        'add it to a TLS route and re-issue the CA (`switchyard ca reissue`; the new CA must ' +
        'be trusted again)',
    );
    this.name = 'OutsideConstraintsError';
  }
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The canonical form of a hostname or IP literal: lower case, IDNs in punycode, no
 * trailing dot, IPv6 without brackets and in RFC 5952 form. Wildcards are refused: one
 * certificate per exact name, because browsers, curl and OpenSSL reject `*.localhost`.
 */
export function normalizeHostname(input: string): string {
  let text = input.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const family = isIP(text);
  if (family === 4) return text;
  if (family === 6) return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  if (text.includes('*')) {
    throw new InvalidHostnameError(
      input,
      'is a wildcard; certificates are issued per exact hostname (browsers reject *.localhost)',
    );
  }
  if (text.endsWith('.')) text = text.slice(0, -1);
  // The URL host parser behind domainToASCII also cuts at '/', decodes '%41' and reads
  // '0x7f.1' as an address; only IDNs may go through it, ASCII must already be plain.
  const plain = [...text].every((c) => /[A-Za-z0-9.-]/.test(c) || c.charCodeAt(0) > 0x7f);
  const ascii = plain ? domainToASCII(text) : '';
  const labels = ascii.split('.');
  const valid = ascii.length <= 253 && labels.every((l) => LABEL.test(l)) && isIP(ascii) === 0;
  if (!valid) {
    throw new InvalidHostnameError(
      input,
      'is not a valid hostname (letters, digits and hyphens in dot-separated labels)',
    );
  }
  return ascii;
}

/** `*.shop.test` → `shop.test`; undefined for anything that is not such a pattern. */
function wildcardDomain(pattern: string): string | undefined {
  return pattern.startsWith('*.') ? normalizeHostname(pattern.slice(2)) : undefined;
}

function dnsMatches(name: string, constraint: string): boolean {
  if (constraint.startsWith('.')) return name.endsWith(constraint);
  return name === constraint || name.endsWith(`.${constraint}`);
}

/**
 * The permitted ranges of one address family. Kept apart because BlockList matches
 * IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) against IPv4 ranges, and certificate
 * verifiers do not: an IPv6 SAN never satisfies an IPv4 constraint.
 */
function ipBlockList(permitted: readonly string[], family: 4 | 6): BlockList {
  const list = new BlockList();
  for (const p of permitted) {
    const [address = '', prefix = ''] = p.split('/');
    if (isIP(address) === family) {
      list.addSubnet(address, Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
    }
  }
  return list;
}

/**
 * Whether `hostname` (already normalised) lies inside the permitted subtrees. A pattern
 * `*.domain` asks whether every subdomain of `domain` does.
 */
export function permits(permitted: readonly string[], hostname: string): boolean {
  const family = isIP(hostname);
  if (family === 4) return ipBlockList(permitted, 4).check(hostname, 'ipv4');
  if (family === 6) return ipBlockList(permitted, 6).check(hostname, 'ipv6');
  const domain = wildcardDomain(hostname);
  const dns = permitted.filter((p) => !p.includes('/'));
  if (domain === undefined) return dns.some((c) => dnsMatches(hostname, c));
  // Every name below `domain` matches when the constraint is `domain` itself or an
  // ancestor of it, in either form.
  return dns.some((c) => {
    const base = c.startsWith('.') ? c.slice(1) : c;
    return domain === base || domain.endsWith(`.${base}`);
  });
}

/** For messages: `.test` → `*.test`, `::1/128` → `::1`. */
export function describePermitted(permitted: readonly string[]): string {
  return permitted
    .map((p) => (p.startsWith('.') ? `*${p}` : p.replace(/\/(32|128)$/, '')))
    .join(', ');
}

/**
 * The permitted subtrees for a new CA: the defaults, then each extra name the defaults do
 * not already cover. Extra names are exact hostnames, IP addresses or `*.domain`
 * patterns (a wildcard route's host). Single-label names are refused: `com` or `*.com`
 * would let the CA issue for a whole top-level domain, which the constraints exist to
 * prevent. (Without the public suffix list, `*.co.uk` cannot be told apart from
 * `*.shop.test`; the routing file is the user's own, so that is their call.)
 */
export function constraintsFor(names: readonly string[] = []): string[] {
  const permitted = [...DEFAULT_PERMITTED];
  const extras = new Set<string>();
  for (const raw of names) {
    const domain = wildcardDomain(raw.trim());
    const name = domain ?? normalizeHostname(raw);
    const family = isIP(name);
    if (family === 0 && !name.includes('.')) {
      throw new InvalidHostnameError(
        raw,
        'has a single label; a CA permitted for it could issue for a whole top-level domain',
      );
    }
    const sofar = [...permitted, ...extras];
    if (permits(sofar, domain === undefined ? name : `*.${domain}`)) continue;
    if (family === 4) extras.add(`${name}/32`);
    else if (family === 6) extras.add(`${name}/128`);
    else if (domain === undefined) extras.add(name);
    else {
      // Both forms, as for the defaults: `.domain` alone is read differently by some clients.
      extras.add(domain);
      extras.add(`.${domain}`);
    }
  }
  return [...permitted, ...[...extras].sort()];
}
