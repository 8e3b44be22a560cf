import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer, type PerMessageDeflateOptions } from 'ws';
import {
  FrameParser,
  type FrameDirection,
  type ParsedFrame,
} from '../../../../src/engine/capture/ws-frames.js';

// ---- real frames: a ws client and server talking through a recording TCP relay ----

interface Capture {
  up: Buffer;
  down: Buffer;
}

interface Session {
  client: WebSocket;
  server: WebSocket;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function once<T extends unknown[]>(emitter: WebSocket, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, (...args: unknown[]) => resolve(args as T)));
}

/** The bytes after the HTTP handshake (request upstream, 101 response downstream). */
function afterHandshake(bytes: Buffer): Buffer {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) throw new Error('no handshake in the capture');
  return bytes.subarray(end + 4);
}

/**
 * Run `script` over a real WebSocket connection and return the raw bytes each way, as a
 * tunnel in the middle would see them.
 */
async function capture(
  script: (s: Session) => Promise<void>,
  deflate: PerMessageDeflateOptions | false = false,
): Promise<Capture> {
  const server = http.createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: deflate });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const backendPort = (server.address() as AddressInfo).port;

  const up: Buffer[] = [];
  const down: Buffer[] = [];
  const relay = net.createServer((front) => {
    const back = net.connect(backendPort, '127.0.0.1');
    front.on('data', (c: Buffer) => up.push(Buffer.from(c)));
    back.on('data', (c: Buffer) => down.push(Buffer.from(c)));
    front.pipe(back).on('error', () => undefined);
    back.pipe(front).on('error', () => undefined);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => relay.close(() => resolve()));
  });

  const serverSide = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const port = (relay.address() as AddressInfo).port;
  const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: deflate });
  await once(client, 'open');
  const serverWs = await serverSide;
  await script({ client, server: serverWs });
  const closed = Promise.all([once(client, 'close'), once(serverWs, 'close')]);
  client.close(1000, 'bye');
  await closed;
  return { up: afterHandshake(Buffer.concat(up)), down: afterHandshake(Buffer.concat(down)) };
}

/** Send, then wait until the other side has it (so frame order is deterministic). */
async function sendAndWait(from: WebSocket, to: WebSocket, data: Buffer | string, fin = true) {
  const got = once(to, 'message');
  from.send(data, { fin });
  if (fin) await got;
}

function parseAll(direction: FrameDirection, chunks: Buffer[], previewBytes?: number) {
  const frames: ParsedFrame[] = [];
  const parser = new FrameParser(direction, (f) => frames.push(f), { previewBytes });
  for (const chunk of chunks) parser.push(chunk);
  return { frames, parser };
}

const bytesOf = (buffer: Buffer) => Array.from(buffer, (_, i) => buffer.subarray(i, i + 1));

/** The frames a script is expected to produce, without the parser's bookkeeping. */
function summary(frames: ParsedFrame[]) {
  return frames.map((f) => ({
    opcode: f.opcode,
    fin: f.fin,
    size: f.size,
    preview: f.preview.toString('hex'),
  }));
}

const expectFrame = (opcode: number, payload: Buffer | string, fin = true) => {
  const bytes = Buffer.from(payload);
  return { opcode, fin, size: bytes.length, preview: bytes.subarray(0, 64).toString('hex') };
};

const closePayload = (code: number, reason: string) =>
  Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(reason)]);

const binary = Buffer.from([0, 1, 2, 0, 255, 254, 0]);
const medium = 'é'.repeat(150); // 300 bytes: a 16-bit length
const large = Buffer.alloc(70 * 1024, 0xab); // a 64-bit length
large.write('start of the large payload', 0);

describe('FrameParser on frames produced by ws', () => {
  it('reads a whole conversation both ways, in one chunk and byte by byte', async () => {
    const { up, down } = await capture(async ({ client, server }) => {
      await sendAndWait(client, server, 'hello');
      await sendAndWait(client, server, binary);
      await sendAndWait(client, server, medium);
      await sendAndWait(client, server, large);
      await sendAndWait(client, server, 'frag-a', false);
      await sendAndWait(client, server, 'frag-b');
      const pong = once(client, 'pong');
      client.ping('p1');
      await pong;
      await sendAndWait(server, client, 'welcome');
      await sendAndWait(server, client, large);
      const serverPong = once(server, 'pong');
      server.ping();
      await serverPong;
    });
    const expectedUp = [
      expectFrame(1, 'hello'),
      expectFrame(2, binary),
      expectFrame(1, medium),
      expectFrame(2, large),
      expectFrame(1, 'frag-a', false),
      expectFrame(0, 'frag-b'),
      expectFrame(9, 'p1'),
      expectFrame(10, ''),
      expectFrame(8, closePayload(1000, 'bye')),
    ];
    const expectedDown = [
      expectFrame(10, 'p1'),
      expectFrame(1, 'welcome'),
      expectFrame(2, large),
      expectFrame(9, ''),
      // ws answers a close by echoing its code and reason.
      expectFrame(8, closePayload(1000, 'bye')),
    ];
    for (const chunks of [[up], bytesOf(up)]) {
      const { frames, parser } = parseAll('up', chunks);
      expect(parser.broken).toBe(false);
      expect(summary(frames)).toEqual(expectedUp);
      expect(frames.every((f) => f.direction === 'up' && !f.compressed)).toBe(true);
    }
    for (const chunks of [[down], bytesOf(down)]) {
      const { frames, parser } = parseAll('down', chunks);
      expect(parser.broken).toBe(false);
      expect(summary(frames)).toEqual(expectedDown);
    }
  });

  it('gives the same frames however a small conversation is split', async () => {
    const { up, down } = await capture(async ({ client, server }) => {
      await sendAndWait(client, server, 'a');
      await sendAndWait(client, server, Buffer.from([0, 0, 0]));
      await sendAndWait(server, client, 'b'.repeat(130));
      await sendAndWait(client, server, '');
    });
    for (const [direction, bytes] of [
      ['up', up],
      ['down', down],
    ] as const) {
      const whole = summary(parseAll(direction, [bytes]).frames);
      // Up: 'a', three NULs, '', close; down: 130 × 'b', close.
      expect(whole).toHaveLength(direction === 'up' ? 4 : 2);
      for (let cut = 0; cut <= bytes.length; cut++) {
        for (const second of [cut, Math.min(bytes.length, cut + 3)]) {
          const chunks = [
            bytes.subarray(0, cut),
            bytes.subarray(cut, second),
            bytes.subarray(second),
          ];
          const { frames, parser } = parseAll(direction, chunks);
          expect(parser.broken).toBe(false);
          expect(summary(frames)).toEqual(whole);
        }
      }
    }
  });

  it('flags permessage-deflate frames as compressed', async () => {
    const { up } = await capture(
      async ({ client, server }) => {
        await sendAndWait(client, server, 'compress me '.repeat(20));
      },
      { threshold: 0 },
    );
    const { frames, parser } = parseAll('up', bytesOf(up));
    expect(parser.broken).toBe(false);
    expect(frames[0]).toMatchObject({ opcode: 1, compressed: true });
    expect(frames[0]?.size).toBeLessThan(240);
  });
});

// ---- hand-built frames -------------------------------------------------------------

interface Spec {
  opcode: number;
  payload?: Buffer;
  fin?: boolean;
  mask?: Buffer;
  /** Raw first byte bits to add (RSV). */
  rsv?: number;
  /** Force the length field: a declared size and the form that carries it. */
  declared?: bigint;
}

function frame({ opcode, payload = Buffer.alloc(0), fin = true, mask, rsv = 0, declared }: Spec) {
  const size = declared ?? BigInt(payload.length);
  const head = [(fin ? 0x80 : 0) | rsv | opcode];
  let length: Buffer;
  if (declared === undefined && size < 126n) {
    length = Buffer.from([Number(size)]);
  } else if (declared === undefined && size < 65536n) {
    length = Buffer.from([126, 0, 0]);
    length.writeUInt16BE(Number(size), 1);
  } else {
    length = Buffer.alloc(9);
    length[0] = 127;
    length.writeBigUInt64BE(size, 1);
  }
  if (mask) length[0] = (length[0] ?? 0) | 0x80;
  const body = mask ? Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] ?? 0))) : payload;
  return Buffer.concat([Buffer.from(head), length, mask ?? Buffer.alloc(0), body]);
}

const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
const payloadOf = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7) & 0xff));

describe('FrameParser on hand-built frames', () => {
  it.each([0, 1, 125, 126, 127, 65535, 65536, 70 * 1024])(
    'reads a %i-byte payload masked and unmasked',
    (n) => {
      const payload = payloadOf(n);
      const up = parseAll('up', [frame({ opcode: 2, payload, mask: key })]);
      const down = parseAll('down', [frame({ opcode: 2, payload })]);
      for (const { frames, parser } of [up, down]) {
        expect(parser.broken).toBe(false);
        expect(frames).toHaveLength(1);
        expect(frames[0]?.size).toBe(n);
        expect(frames[0]?.preview).toEqual(payload.subarray(0, 64));
      }
    },
  );

  it('reads many frames from one chunk, with a custom preview size', () => {
    const stream = Buffer.concat([
      frame({ opcode: 1, payload: Buffer.from('first message'), fin: false, mask: key }),
      frame({ opcode: 9, payload: Buffer.from('ping inside'), mask: key }),
      frame({ opcode: 0, payload: Buffer.from(' continues'), fin: false, mask: key }),
      frame({ opcode: 0, payload: Buffer.from(' and ends'), mask: key }),
      frame({ opcode: 2, payload: payloadOf(3), mask: key }),
    ]);
    const { frames, parser } = parseAll('up', [stream], 4);
    expect(parser.broken).toBe(false);
    expect(frames.map((f) => [f.opcode, f.fin, f.size, f.preview.toString('latin1')])).toEqual([
      [1, false, 13, 'firs'],
      [9, true, 11, 'ping'],
      [0, false, 10, ' con'],
      [0, true, 9, ' and'],
      [2, true, 3, '\u0000\u0007\u000e'],
    ]);
  });

  it('keeps no payload: a huge frame streams through in bounded memory', () => {
    const frames: ParsedFrame[] = [];
    const parser = new FrameParser('down', (f) => frames.push(f));
    parser.push(frame({ opcode: 2, declared: 2n ** 40n }));
    const mib = Buffer.alloc(1024 * 1024, 7);
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 256; i++) parser.push(mib);
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(grown).toBeLessThan(16 * 1024 * 1024);
    expect(parser.broken).toBe(false);
    expect(frames).toEqual([]);
  });

  it('reports the preview of a frame whose payload is still streaming only at its end', () => {
    const frames: ParsedFrame[] = [];
    const parser = new FrameParser('down', (f) => frames.push(f));
    const whole = frame({ opcode: 2, payload: payloadOf(1000) });
    parser.push(whole.subarray(0, 500));
    expect(frames).toEqual([]);
    parser.push(whole.subarray(500));
    expect(frames).toHaveLength(1);
  });

  it.each<[string, FrameDirection, Buffer, RegExp]>([
    ['reserved opcode', 'down', frame({ opcode: 3 }), /reserved opcode 3/],
    ['reserved control opcode', 'down', frame({ opcode: 11 }), /reserved opcode 11/],
    ['unmasked client frame', 'up', frame({ opcode: 1 }), /unmasked client frame/],
    ['masked server frame', 'down', frame({ opcode: 1, mask: key }), /masked server frame/],
    ['fragmented ping', 'down', frame({ opcode: 9, fin: false }), /fragmented control/],
    ['126-byte pong', 'down', frame({ opcode: 10, payload: payloadOf(126) }), /over 125/],
    ['lone continuation', 'down', frame({ opcode: 0 }), /continuation frame outside/],
    ['RSV2', 'down', frame({ opcode: 1, rsv: 0x20 }), /RSV2/],
    ['2^63 length', 'down', frame({ opcode: 2, declared: 2n ** 63n }), /out of range/],
    // 'H' reads as a non-final close frame.
    ['HTTP text', 'down', Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'), /fragmented control/],
  ])('stops at garbage (%s) without throwing', (_name, direction, bad, reason) => {
    const good = frame({
      opcode: 1,
      payload: Buffer.from('ok'),
      mask: direction === 'up' ? key : undefined,
    });
    const { frames, parser } = parseAll(direction, [Buffer.concat([good, bad, good]), good]);
    expect(parser.broken).toBe(true);
    expect(parser.brokenReason).toMatch(reason);
    expect(frames).toHaveLength(1);
  });

  it('refuses a new message inside a fragmented one', () => {
    const stream = Buffer.concat([
      frame({ opcode: 1, payload: Buffer.from('a'), fin: false }),
      frame({ opcode: 2, payload: Buffer.from('b') }),
    ]);
    const { frames, parser } = parseAll('down', [stream]);
    expect(frames).toHaveLength(1);
    expect(parser.brokenReason).toMatch(/inside a fragmented message/);
  });
});
