/**
 * A raw TCP backend for smuggling tests: it parses exactly the bytes it received, so a
 * second request hidden in a body shows up as a second parsed request, and bytes that do
 * not parse as HTTP show up as garbage. Each parsed request gets `seen METHOD TARGET`.
 */
import net, { type AddressInfo } from 'node:net';

export interface ParsedRequest {
  method: string;
  target: string;
  headers: Record<string, string[]>;
  body: string;
}

export interface RawBackend {
  port: number;
  /** Every byte received, per connection, in arrival order. */
  bytes: Buffer[];
  requests: ParsedRequest[];
  /** Bytes that did not parse as an HTTP request (a desynchronised stream). */
  garbage: string[];
  /** Connections open right now. */
  open(): number;
  /**
   * Open connections that carried request bytes. (An idle connection with none can be a
   * spare the proxy's pool opened; see the HTTP/1.1 transport's note on undici#5845.)
   */
  openWithBytes(): number;
  reset(): void;
  close(): Promise<void>;
}

/** Parse one request at the start of `buf`; undefined while incomplete, 'garbage' when not HTTP. */
function parseOne(buf: Buffer): { request: ParsedRequest; used: number } | 'garbage' | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return buf.length > 65_536 ? 'garbage' : undefined;
  const [line = '', ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(line);
  if (!m) return 'garbage';
  const headers: Record<string, string[]> = {};
  for (const l of lines) {
    const colon = l.indexOf(':');
    const name = l.slice(0, colon).toLowerCase();
    (headers[name] ??= []).push(l.slice(colon + 1).trim());
  }
  let at = end + 4;
  let body = '';
  if (headers['transfer-encoding']?.join(',').toLowerCase().includes('chunked')) {
    for (let guard = 0; guard < 10_000; guard++) {
      const eol = buf.indexOf('\r\n', at);
      if (eol === -1) return undefined;
      const size = parseInt(buf.subarray(at, eol).toString('latin1'), 16);
      if (Number.isNaN(size)) return 'garbage';
      if (buf.length < eol + 2 + size + 2) return undefined;
      body += buf.subarray(eol + 2, eol + 2 + size).toString('latin1');
      at = eol + 2 + size + 2;
      if (size === 0) break;
    }
  } else if (headers['content-length']) {
    const n = Number(headers['content-length'][0]);
    if (buf.length < at + n) return undefined;
    body = buf.subarray(at, at + n).toString('latin1');
    at += n;
  }
  return { request: { method: m[1] ?? '', target: m[2] ?? '', headers, body }, used: at };
}

export async function startRawBackend(): Promise<RawBackend> {
  const backend = {
    bytes: [] as Buffer[],
    requests: [] as ParsedRequest[],
    garbage: [] as string[],
  };
  const sockets = new Set<net.Socket>();
  const indexOf = new Map<net.Socket, number>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const index = backend.bytes.push(Buffer.alloc(0)) - 1;
    indexOf.set(socket, index);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      backend.bytes[index] = Buffer.concat([backend.bytes[index] ?? Buffer.alloc(0), chunk]);
      pending = Buffer.concat([pending, chunk]);
      for (let guard = 0; guard < 100 && pending.length > 0; guard++) {
        const parsed = parseOne(pending);
        if (parsed === undefined) return;
        if (parsed === 'garbage') {
          backend.garbage.push(pending.toString('latin1'));
          pending = Buffer.alloc(0);
          return;
        }
        backend.requests.push(parsed.request);
        pending = pending.subarray(parsed.used);
        const reply = `seen ${parsed.request.method} ${parsed.request.target}`;
        socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${reply.length}\r\n\r\n${reply}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    ...backend,
    port: (server.address() as AddressInfo).port,
    open: () => sockets.size,
    openWithBytes: () =>
      [...sockets].filter((s) => (backend.bytes[indexOf.get(s) ?? -1]?.length ?? 0) > 0).length,
    reset() {
      backend.bytes.length = 0;
      backend.requests.length = 0;
      backend.garbage.length = 0;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
