/**
 * The access list (Apache `<Proxy *> Require ip …`): which client addresses may use the
 * proxy at all. Built once per configuration on Node's BlockList, checked per connection.
 */
import { BlockList, isIPv4 } from 'node:net';

/** The verdict for a connection, remembered on the socket: keep-alive requests reuse it. */
const VERDICT = Symbol('switchyard.access');
/** What the access list needs of a connection. */
type Connection = { remoteAddress?: string | undefined };
type JudgedSocket = Connection & { [VERDICT]?: { list: AccessList; allowed: boolean } };

export class AccessList {
  readonly #allowed = new BlockList();

  constructor(allow: readonly string[]) {
    for (const entry of allow) {
      const [address = '', prefix] = entry.split('/');
      const family = isIPv4(address) ? 'ipv4' : 'ipv6';
      if (prefix === undefined) this.#allowed.addAddress(address, family);
      else this.#allowed.addSubnet(address, Number(prefix), family);
    }
  }

  allows(remoteAddress: string | undefined): boolean {
    if (!remoteAddress) return false;
    // A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; match them as IPv4.
    const address =
      remoteAddress.startsWith('::ffff:') && isIPv4(remoteAddress.slice(7))
        ? remoteAddress.slice(7)
        : remoteAddress;
    return this.#allowed.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
  }

  /** `allows` for a connection, computed once per connection and access list. */
  allowsSocket(socket: Connection): boolean {
    const memo = (socket as JudgedSocket)[VERDICT];
    if (memo?.list === this) return memo.allowed;
    const allowed = this.allows(socket.remoteAddress);
    (socket as JudgedSocket)[VERDICT] = { list: this, allowed };
    return allowed;
  }
}
