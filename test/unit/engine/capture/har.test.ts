import { describe, expect, it } from 'vitest';
import {
  fromHar,
  toHar,
  type Har,
  type HarEntry,
  type HarSource,
} from '../../../../src/engine/capture/har.js';
import { exchangeDetailSchema, type ExchangeDetail } from '../../../../src/shared/exchange.js';
import { harSchema } from '../../../support/har-schema.js';

const creator = { name: 'Switchyard', version: '0.1.0' };
const started = Date.parse('2025-03-01T12:00:00.123Z');

function detail(overrides: Partial<ExchangeDetail> = {}): ExchangeDetail {
  return exchangeDetailSchema.parse({
    id: 1,
    startedAt: started,
    listener: 'main',
    client: '127.0.0.1:50000',
    method: 'GET',
    url: '/',
    host: 'app.localhost:8080',
    secure: false,
    attempts: 1,
    status: 200,
    outcome: 'completed',
    timings: { upstreamConnected: 1.5, firstByte: 12.25, done: 20 },
    requestBytes: 0,
    responseBytes: 0,
    requestHeaders: [],
    responseHeaders: [],
    httpVersion: '1.1',
    requestBody: { size: 0, captured: 0, truncated: false },
    responseBody: { size: 0, captured: 0, truncated: false },
    ...overrides,
  });
}

const binaryBody = Buffer.from([0x00, 0xff, 0x10, 0x00, 0x80, 0x41]);
const bomText = Buffer.from('\ufeff{"ok":true}', 'utf8');
const truncatedText = Buffer.from('a'.repeat(100));

const fixtures: Record<string, HarSource> = {
  'a GET with cookies, query and a JSON answer': {
    detail: detail({
      url: '/api/items?q=a%20b&tag=x+y&empty=&flag&bad=%E0%A4%A',
      route: 'api',
      member: 'http://127.0.0.1:3001',
      why: 'sticky route 2 from cookie JSESSIONID',
      requestHeaders: [
        ['Host', 'app.localhost:8080'],
        ['Cookie', 'JSESSIONID=abc.2; theme=dark'],
        ['Accept', 'application/json'],
      ],
      responseHeaders: [
        ['Content-Type', 'application/json; charset=utf-8'],
        ['Set-Cookie', 'JSESSIONID=def.2; Path=/; HttpOnly; Secure'],
        ['Set-Cookie', 'seen=1; Domain=app.localhost; Expires=Wed, 21 Oct 2037 07:28:00 GMT'],
        ['Content-Length', '11'],
      ],
      responseBytes: 11,
      responseBody: {
        size: 11,
        captured: 11,
        truncated: false,
        contentType: 'application/json; charset=utf-8',
      },
    }),
    responseBody: Buffer.from('{"n":"é✓"}'),
  },
  'a POST with a binary body and a truncated text answer': {
    detail: detail({
      id: 2,
      method: 'POST',
      url: '/upload',
      secure: true,
      host: 'secure.localhost',
      attempts: 2,
      requestHeaders: [
        ['Host', 'secure.localhost'],
        ['Content-Type', 'application/octet-stream'],
      ],
      responseHeaders: [['Content-Type', 'text/plain']],
      requestBytes: binaryBody.length,
      responseBytes: 5000,
      requestBody: {
        size: binaryBody.length,
        captured: binaryBody.length,
        truncated: false,
        contentType: 'application/octet-stream',
      },
      responseBody: { size: 5000, captured: 100, truncated: true, contentType: 'text/plain' },
    }),
    requestBody: binaryBody,
    responseBody: truncatedText,
  },
  'a redirect with a BOM body': {
    detail: detail({
      id: 3,
      status: 302,
      responseHeaders: [
        ['Location', 'http://app.localhost:8080/login'],
        ['Content-Type', 'application/json'],
      ],
      responseBytes: bomText.length,
      responseBody: {
        size: bomText.length,
        captured: bomText.length,
        truncated: false,
        contentType: 'application/json',
      },
    }),
    responseBody: bomText,
  },
  'an aborted exchange without a response': {
    detail: detail({
      id: 4,
      method: 'PUT',
      url: '/slow',
      status: 0,
      outcome: 'aborted',
      error: 'client closed the connection',
      timings: {},
      requestHeaders: [['Content-Type', 'text/plain']],
      requestBytes: 2048,
      requestBody: { size: 2048, captured: 0, truncated: true, contentType: 'text/plain' },
    }),
  },
  'an errored exchange answered by Switchyard': {
    detail: detail({
      id: 5,
      status: 502,
      outcome: 'errored',
      error: 'connection refused by 127.0.0.1:3002',
      timings: { firstByte: 3, done: 4 },
    }),
  },
  'a Host-less OPTIONS *': {
    detail: detail({ id: 6, method: 'OPTIONS', url: '*', host: '', httpVersion: '1.0' }),
  },
  'a pending request': {
    detail: detail({ id: 7, status: 0, outcome: 'pending', timings: { upstreamConnected: 2 } }),
  },
  'a WebSocket session': {
    detail: detail({
      id: 8,
      url: '/ws?room=1',
      secure: true,
      status: 101,
      requestHeaders: [
        ['Upgrade', 'websocket'],
        ['Connection', 'Upgrade'],
      ],
      responseHeaders: [['Upgrade', 'websocket']],
      websocket: { open: false, framesUp: 2, framesDown: 5, bytesUp: 70, bytesDown: 9 },
      frames: [
        {
          at: 10.5,
          direction: 'up',
          opcode: 1,
          size: 5,
          preview: Buffer.from('hello').toString('base64'),
        },
        // A text preview cut in the middle of "é".
        {
          at: 11,
          direction: 'down',
          opcode: 1,
          size: 65,
          preview: Buffer.from('é').subarray(0, 1).toString('base64'),
        },
        {
          at: 12,
          direction: 'down',
          opcode: 2,
          size: 3,
          preview: Buffer.from([0, 1, 2]).toString('base64'),
        },
        {
          at: 13.25,
          direction: 'up',
          opcode: 8,
          size: 2,
          preview: Buffer.from([3, 232]).toString('base64'),
        },
      ],
      framesDropped: 2,
    }),
  },
};

const sources = Object.values(fixtures);
const entryOf = (name: string) => {
  const source = fixtures[name];
  if (!source) throw new Error(name);
  const entry = toHar([source], creator).log.entries[0];
  if (!entry) throw new Error('no entry');
  return entry;
};

describe('toHar', () => {
  it.each(Object.entries(fixtures))('writes valid HAR 1.2 for %s', (_name, source) => {
    const har = JSON.parse(JSON.stringify(toHar([source], creator))) as unknown;
    const result = harSchema.safeParse(har);
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it('writes the log header', () => {
    const har = toHar(sources, creator);
    expect(har.log.version).toBe('1.2');
    expect(har.log.creator).toEqual(creator);
    expect(har.log.entries).toHaveLength(sources.length);
    expect(harSchema.safeParse(har).success).toBe(true);
  });

  it('maps the request: absolute URL, query, cookies, headers', () => {
    const { request, startedDateTime, _route, _member, _why, _outcome } = entryOf(
      'a GET with cookies, query and a JSON answer',
    );
    expect(startedDateTime).toBe('2025-03-01T12:00:00.123Z');
    expect(request.url).toBe(
      'http://app.localhost:8080/api/items?q=a%20b&tag=x+y&empty=&flag&bad=%E0%A4%A',
    );
    expect(request.httpVersion).toBe('HTTP/1.1');
    expect(request.queryString).toEqual([
      { name: 'q', value: 'a b' },
      { name: 'tag', value: 'x y' },
      { name: 'empty', value: '' },
      { name: 'flag', value: '' },
      { name: 'bad', value: '%E0%A4%A' },
    ]);
    expect(request.cookies).toEqual([
      { name: 'JSESSIONID', value: 'abc.2' },
      { name: 'theme', value: 'dark' },
    ]);
    expect(request.headers[1]).toEqual({ name: 'Cookie', value: 'JSESSIONID=abc.2; theme=dark' });
    expect(request.postData).toBeUndefined();
    expect([request.headersSize, request.bodySize]).toEqual([-1, 0]);
    expect({ _route, _member, _why, _outcome }).toEqual({
      _route: 'api',
      _member: 'http://127.0.0.1:3001',
      _why: 'sticky route 2 from cookie JSESSIONID',
      _outcome: 'completed',
    });
  });

  it('maps the response: status text, Set-Cookie, text content', () => {
    const { response } = entryOf('a GET with cookies, query and a JSON answer');
    expect(response.statusText).toBe('OK');
    expect(response.cookies).toEqual([
      { name: 'JSESSIONID', value: 'def.2', path: '/', httpOnly: true, secure: true },
      { name: 'seen', value: '1', domain: 'app.localhost', expires: '2037-10-21T07:28:00.000Z' },
    ]);
    expect(response.content).toEqual({
      size: 11,
      mimeType: 'application/json; charset=utf-8',
      text: '{"n":"é✓"}',
    });
    expect(response.redirectURL).toBe('');
    expect(response.bodySize).toBe(11);
  });

  it('writes binary bodies as base64 and says when a body was truncated', () => {
    const { request, response } = entryOf('a POST with a binary body and a truncated text answer');
    expect(request.url).toBe('https://secure.localhost/upload');
    expect(request.postData).toEqual({
      mimeType: 'application/octet-stream',
      text: binaryBody.toString('base64'),
      encoding: 'base64',
    });
    expect(response.content).toEqual({
      size: 5000,
      mimeType: 'text/plain',
      text: 'a'.repeat(100),
      comment: 'truncated: 100 of 5000 bytes kept',
    });
  });

  it('keeps a BOM and fills redirectURL', () => {
    const { response } = entryOf('a redirect with a BOM body');
    expect(response.redirectURL).toBe('http://app.localhost:8080/login');
    expect(response.statusText).toBe('Found');
    expect(Buffer.from(response.content.text ?? '', 'utf8')).toEqual(bomText);
  });

  it('derives timings from the milestones', () => {
    expect(entryOf('a GET with cookies, query and a JSON answer')).toMatchObject({
      time: 20,
      timings: { blocked: -1, dns: -1, connect: 1.5, send: 0, wait: 10.75, receive: 7.75, ssl: -1 },
    });
    expect(entryOf('an aborted exchange without a response')).toMatchObject({
      time: 0,
      timings: { connect: -1, send: 0, wait: 0, receive: 0 },
    });
    // Switchyard's own answer: no backend connection, waiting from the start.
    expect(entryOf('an errored exchange answered by Switchyard')).toMatchObject({
      time: 4,
      timings: { connect: -1, wait: 3, receive: 1 },
    });
    expect(entryOf('a pending request')).toMatchObject({
      time: 2,
      timings: { connect: 2, wait: 0, receive: 0 },
    });
  });

  it('notes bodies that were not captured', () => {
    const { request, _error } = entryOf('an aborted exchange without a response');
    expect(request.postData).toBeUndefined();
    expect(request.bodySize).toBe(2048);
    expect(request.comment).toBe('not captured: 2048 bytes');
    expect(_error).toBe('client closed the connection');
  });

  it('keeps odd request targets', () => {
    const entry = entryOf('a Host-less OPTIONS *');
    expect(entry.request.url).toBe('http://localhost/');
    expect(entry.request.httpVersion).toBe('HTTP/1.0');
    expect(entry._target).toBe('*');
    expect(entry._host).toBe('');
  });

  it("writes WebSocket frames as Chrome's _websocketMessages", () => {
    const entry = entryOf('a WebSocket session');
    expect(entry.request.url).toBe('wss://app.localhost:8080/ws?room=1');
    expect(entry._resourceType).toBe('websocket');
    expect(entry.response.statusText).toBe('Switching Protocols');
    expect(
      entry._websocketMessages?.map(({ type, time, opcode, data }) => ({
        type,
        time,
        opcode,
        data,
      })),
    ).toEqual([
      { type: 'send', time: (started + 10.5) / 1000, opcode: 1, data: 'hello' },
      { type: 'receive', time: (started + 11) / 1000, opcode: 1, data: '\ufffd' },
      { type: 'receive', time: (started + 12) / 1000, opcode: 2, data: 'AAEC' },
      { type: 'send', time: (started + 13.25) / 1000, opcode: 8, data: 'A+g=' },
    ]);
    expect(entry._framesDropped).toBe(2);
  });
});

describe('fromHar', () => {
  const roundTrip = (har: Har) => JSON.parse(JSON.stringify(har)) as Har;

  it('gives back the exchanges and their bodies', () => {
    const back = fromHar(roundTrip(toHar(sources, creator)));
    expect(back).toHaveLength(sources.length);
    for (const [i, source] of sources.entries()) {
      const imported = back[i];
      const d = source.detail;
      // What the log had not kept cannot come back: captured follows the exported bytes.
      const requestBody = { ...d.requestBody, captured: source.requestBody?.length ?? 0 };
      const responseBody = { ...d.responseBody, captured: source.responseBody?.length ?? 0 };
      expect(imported?.detail).toEqual({ ...d, requestBody, responseBody });
      expect(exchangeDetailSchema.parse(imported?.detail)).toEqual(imported?.detail);
      expect(imported?.requestBody).toEqual(source.requestBody);
      expect(imported?.responseBody).toEqual(source.responseBody);
    }
  });

  it('round-trips: toHar → JSON → fromHar → toHar is unchanged', () => {
    const first = roundTrip(toHar(sources, creator));
    const second = roundTrip(toHar(fromHar(first), creator));
    expect(second).toEqual(first);
  });

  it("imports another tool's HAR with defaults for what it lacks", () => {
    const chrome = {
      log: {
        version: '1.2',
        creator: { name: 'WebInspector', version: '537.36' },
        pages: [],
        entries: [
          {
            startedDateTime: '2025-03-01T12:00:00.000Z',
            time: 30,
            request: {
              method: 'POST',
              url: 'https://example.test/api?x=1',
              httpVersion: 'http/2.0',
              cookies: [],
              headers: [{ name: 'content-type', value: 'application/json' }],
              queryString: [{ name: 'x', value: '1' }],
              postData: { mimeType: 'application/json', text: '{"a":1}' },
              headersSize: -1,
              bodySize: 7,
            },
            response: {
              status: 201,
              statusText: '',
              httpVersion: 'http/2.0',
              cookies: [],
              headers: [],
              content: { size: 2, mimeType: 'application/json', text: 'e30=', encoding: 'base64' },
              redirectURL: '',
              headersSize: -1,
              bodySize: -1,
            },
            cache: {},
            timings: { blocked: 1, dns: -1, ssl: -1, connect: 4, send: 1, wait: 20, receive: 4 },
          },
          {
            startedDateTime: '2025-03-01T12:00:01.000Z',
            time: 0,
            request: {
              method: 'GET',
              url: 'wss://example.test/socket',
              httpVersion: 'HTTP/1.1',
              cookies: [],
              headers: [],
              queryString: [],
              headersSize: -1,
              bodySize: 0,
            },
            response: {
              status: 101,
              statusText: '',
              httpVersion: 'HTTP/1.1',
              cookies: [],
              headers: [],
              content: { size: 0, mimeType: 'x-unknown' },
              redirectURL: '',
              headersSize: -1,
              bodySize: 0,
            },
            cache: {},
            timings: { send: 0, wait: 0, receive: 0 },
            _resourceType: 'websocket',
            _websocketMessages: [
              { type: 'send', time: 1740830401.5, opcode: 1, data: 'hi' },
              { type: 'receive', time: 1740830401.75, opcode: 2, data: 'AAE=' },
            ],
          },
        ],
      },
    };
    expect(harSchema.safeParse(chrome).error?.issues ?? []).toEqual([]);
    const [post, socket] = fromHar(chrome as Har);
    expect(post?.detail).toMatchObject({
      id: 1,
      method: 'POST',
      url: '/api?x=1',
      host: 'example.test',
      secure: true,
      status: 201,
      outcome: 'completed',
      httpVersion: '2.0',
      timings: { upstreamConnected: 5, firstByte: 26, done: 30 },
      requestBody: { size: 7, captured: 7, truncated: false, contentType: 'application/json' },
      responseBody: { size: 2, captured: 2, truncated: false },
    });
    expect(post?.requestBody?.toString()).toBe('{"a":1}');
    expect(post?.responseBody?.toString()).toBe('{}');
    expect(exchangeDetailSchema.safeParse(post?.detail).success).toBe(true);
    expect(socket?.detail.websocket).toEqual({
      open: false,
      framesUp: 1,
      framesDown: 1,
      bytesUp: 2,
      bytesDown: 2,
    });
    expect(socket?.detail.frames).toEqual([
      { at: 500, direction: 'up', opcode: 1, size: 2, preview: 'aGk=' },
      { at: 750, direction: 'down', opcode: 2, size: 2, preview: 'AAE=' },
    ]);
  });
});

describe('the HAR 1.2 schema used by these tests', () => {
  /** A valid export with its first entry changed by `edit`. */
  function edited(edit: (entry: Record<string, unknown> & HarEntry) => void): unknown {
    const har = JSON.parse(JSON.stringify(toHar(sources.slice(0, 1), creator))) as Har;
    const entry = har.log.entries[0];
    if (entry) edit(entry as Record<string, unknown> & HarEntry);
    return har;
  }

  it.each<[string, (entry: Record<string, unknown> & HarEntry) => void]>([
    ['a missing required field', (e) => delete (e as { cache?: unknown }).cache],
    ['a custom field without _', (e) => (e.route = 'api')],
    ['a time that is not the sum of the timings', (e) => (e.time = 999)],
    ['a relative URL', (e) => (e.request.url = '/relative')],
    ['a negative wait', (e) => (e.timings.wait = -1)],
    ['a date without a zone', (e) => (e.startedDateTime = '2025-03-01T12:00:00')],
    ['postData without text or params', (e) => (e.request.postData = { mimeType: 'a/b' })],
  ])('rejects %s', (_name, edit) => {
    expect(harSchema.safeParse(edited(edit)).success).toBe(false);
  });

  it('accepts the unedited export', () => {
    expect(harSchema.safeParse(edited(() => undefined)).success).toBe(true);
  });
});
