/**
 * A backend that sends more than it declared (issue 11.5): the client gets the declared
 * response, the extra bytes are dropped with the connection that carried them, and they
 * never become the answer to another request on a reused connection.
 */
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { send } from '../support/http.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';

type Script = (socket: net.Socket, request: number) => void;

interface ScriptedBackend {
  port: number;
  /** Connections accepted so far. */
  connections: number;
  script: Script;
  close(): Promise<void>;
}

/** A raw backend that answers each request (one per `\r\n\r\n`) with `script`. */
async function startScripted(): Promise<ScriptedBackend> {
  const sockets = new Set<net.Socket>();
  const backend: ScriptedBackend = {
    port: 0,
    connections: 0,
    script: () => {},
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  let requests = 0;
  const server = net.createServer((socket) => {
    backend.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
        pending = pending.slice(end + 4);
        backend.script(socket, ++requests);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  backend.port = (server.address() as AddressInfo).port;
  return backend;
}

const ok = (body: string): string =>
  `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a backend that sends more bytes than its Content-Length', () => {
  let backend: ScriptedBackend;
  let proxy: RunningProxy;

  beforeAll(async () => {
    backend = await startScripted();
    proxy = await startProxy({
      listeners: [{ name: 'web', port: 0 }],
      routes: [{ name: 'app', match: { path: '/' }, to: `http://127.0.0.1:${backend.port}` }],
    });
  });
  afterAll(async () => {
    await proxy.close();
    await backend.close();
  });
  beforeEach(() => {
    backend.connections = 0;
  });

  it('relays the declared body when the extra bytes come in the same write (then close)', async () => {
    backend.script = (socket) => {
      socket.end(`${ok('hello')}EXTRA BYTES NOBODY ASKED FOR`);
    };
    const r = await send(proxy.port(), '/a');
    expect(r.status).toBe(200);
    expect(r.body).toBe('hello');
  });

  it('relays the declared body when the extra bytes come in the same write (kept open)', async () => {
    backend.script = (socket, n) => {
      socket.write(`${ok(`hello ${n}`)}${ok('FORGED')}`);
    };
    const first = await send(proxy.port(), '/a');
    expect(first.status).toBe(200);
    expect(first.body).toMatch(/^hello \d+$/);
    // The connection that carried the extra bytes is not reused: the next request opens a
    // new one and gets its own answer.
    const second = await send(proxy.port(), '/b');
    expect(second.body).toMatch(/^hello \d+$/);
    expect(second.body).not.toBe(first.body);
    expect(backend.connections).toBe(2);
  });

  it('never gives bytes sent on an idle pooled connection to the next request', async () => {
    backend.script = (socket, n) => {
      socket.write(ok(`answer ${n}`));
      // A forged answer, sent while the connection sits idle in the pool.
      setTimeout(() => {
        if (!socket.destroyed) socket.write(ok('FORGED'));
      }, 20);
    };
    const bodies: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await send(proxy.port(), `/r${i}`);
      expect(r.status).toBe(200);
      bodies.push(r.body);
      await sleep(80);
    }
    expect(bodies.every((b) => /^answer \d+$/.test(b))).toBe(true);
    expect(new Set(bodies).size).toBe(3);
    // Each connection was closed after its forged bytes arrived.
    expect(backend.connections).toBe(3);
  });

  it('a body sent with an answer to HEAD, or with a 204, is dropped with its connection', async () => {
    backend.script = (socket, n) => {
      socket.write(
        n % 2 === 1
          ? `HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nFORGED`
          : `HTTP/1.1 204 No Content\r\n\r\nFORGED`,
      );
    };
    const head = await send(proxy.port(), '/h', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('6');
    expect(head.body).toBe('');
    const empty = await send(proxy.port(), '/e');
    expect(empty.status).toBe(204);
    expect(empty.body).toBe('');
    backend.script = (socket) => socket.write(ok('clean'));
    expect((await send(proxy.port(), '/next')).body).toBe('clean');
    expect(backend.connections).toBe(3);
  });

  it("a backend's Connection header cannot make the client lose Content-Length", async () => {
    backend.script = (socket) => {
      socket.write(
        'HTTP/1.1 200 OK\r\nConnection: keep-alive, Content-Length\r\nContent-Length: 4\r\n\r\nbody',
      );
    };
    const r = await send(proxy.port(), '/c');
    expect(r.body).toBe('body');
    expect(r.headers['content-length']).toBe('4');
    expect(r.headers['transfer-encoding']).toBeUndefined();
  });

  it('keeps reusing connections of a backend that stays within its framing', async () => {
    backend.script = (socket, n) => {
      socket.write(ok(`fine ${n}`));
    };
    expect((await send(proxy.port(), '/k')).status).toBe(200);
    backend.connections = 0;
    for (let i = 0; i < 3; i++) expect((await send(proxy.port(), `/k${i}`)).status).toBe(200);
    expect(backend.connections).toBe(0);
  });
});
