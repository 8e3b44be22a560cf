/**
 * IP literal checks that run in the browser as well as in Node (src/shared has no I/O and
 * no Node imports), used to validate listener addresses and access-list entries.
 */
const ipv4Re = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(text: string): boolean {
  return ipv4Re.test(text);
}

export function isIPv6(text: string): boolean {
  if (!text.includes(':') || /[^0-9a-fA-F:.]/.test(text)) return false;
  try {
    // The WHATWG URL parser implements the full IPv6 grammar (compression, embedded v4).
    new URL(`http://[${text}]/`);
    return true;
  } catch {
    return false;
  }
}

export function isIP(text: string): boolean {
  return isIPv4(text) || isIPv6(text);
}

/** `127.0.0.0/8`, `::1`, `fd00::/8`: an address with an optional prefix length. */
export function isCidr(text: string): boolean {
  const [address = '', prefix, ...rest] = text.split('/');
  if (rest.length > 0) return false;
  if (!isIP(address)) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (isIPv4(address) ? 32 : 128);
}

/** Loopback addresses are the only ones a listener binds to unless the file says otherwise. */
export function isLoopbackAddress(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || address === 'localhost';
}
