import { describe, expect, it } from 'vitest';
import {
  DEFAULT_VOLATILE_HEADERS,
  diffExchanges,
  diffHeaders,
  diffQuery,
  summarizeDiff,
  type BodyInput,
  type ExchangeDiff,
} from '../../../src/shared/exchange-diff.js';
import { exchangeDetailSchema, type ExchangeDetail } from '../../../src/shared/exchange.js';

const utf8 = (text: string): BodyInput => ({ bytes: new TextEncoder().encode(text) });

/** A GET through route `shop` answered by one member, as the recorder keeps it. */
function detail(overrides: Partial<ExchangeDetail> = {}): ExchangeDetail {
  return exchangeDetailSchema.parse({
    id: 101,
    startedAt: 1_714_557_600_000,
    listener: 'http://127.0.0.1:8080',
    client: '127.0.0.1:53122',
    method: 'GET',
    url: '/api/orders/42?expand=items&lang=en',
    host: 'shop.localhost',
    secure: false,
    httpVersion: '1.1',
    route: 'shop',
    member: 'http://127.0.0.1:9001',
    why: 'fan-out to every member',
    attempts: 1,
    status: 200,
    outcome: 'completed',
    timings: { upstreamConnected: 2, firstByte: 38, done: 41 },
    requestBytes: 0,
    responseBytes: 118,
    requestHeaders: [
      ['Host', 'shop.localhost'],
      ['Accept', 'application/json'],
      ['User-Agent', 'curl/8.5.0'],
    ],
    responseHeaders: [
      ['content-type', 'application/json; charset=utf-8'],
      ['content-length', '118'],
      ['date', 'Wed, 01 May 2024 10:00:00 GMT'],
      ['x-request-id', 'b5d1c0de-0001'],
      ['set-cookie', 'JSESSIONID=abc.node1; Path=/'],
      ['set-cookie', 'theme=dark; Path=/'],
    ],
    requestBody: { size: 0, captured: 0, truncated: false },
    responseBody: {
      size: 118,
      captured: 118,
      truncated: false,
      contentType: 'application/json; charset=utf-8',
    },
    ...overrides,
  });
}

const orderV2 = JSON.stringify({
  id: 42,
  status: 'paid',
  total: 59.9,
  currency: 'EUR',
  items: [
    { sku: 'A-1', qty: 1, price: 19.9 },
    { sku: 'B-7', qty: 2, price: 20 },
  ],
  generatedAt: '2024-05-01T10:00:00.120Z',
});
// The same order from a member still on the old schema: total as a string, no currency,
// another price, and the fields in another order.
const orderV1 = JSON.stringify({
  generatedAt: '2024-05-01T10:00:00.450Z',
  items: [
    { price: 19.9, qty: 1, sku: 'A-1' },
    { price: 21, qty: 2, sku: 'B-7' },
  ],
  total: '59.90',
  status: 'paid',
  id: 42,
});

describe('diffHeaders', () => {
  it('compares names case-insensitively, spelled as A first had them', () => {
    expect(
      diffHeaders(
        [
          ['Content-Type', 'text/html'],
          ['X-Powered-By', 'Express'],
        ],
        [
          ['content-type', 'text/html'],
          ['x-powered-by', 'Koa'],
          ['Vary', 'Accept'],
        ],
      ),
    ).toEqual([
      { name: 'Content-Type', kind: 'same', a: ['text/html'], b: ['text/html'] },
      { name: 'X-Powered-By', kind: 'changed', a: ['Express'], b: ['Koa'] },
      { name: 'Vary', kind: 'added', b: ['Accept'] },
    ]);
  });

  it('keeps a repeated header as one entry with its values in order', () => {
    const a: [string, string][] = [
      ['Set-Cookie', 'a=1'],
      ['Cache-Control', 'no-store'],
      ['set-cookie', 'b=2'],
    ];
    expect(diffHeaders(a, [...a])).toEqual([
      { name: 'Set-Cookie', kind: 'same', a: ['a=1', 'b=2'], b: ['a=1', 'b=2'] },
      { name: 'Cache-Control', kind: 'same', a: ['no-store'], b: ['no-store'] },
    ]);
    // Order is part of a repeated header's meaning; a missing repeat is a change too.
    expect(
      diffHeaders(a, [
        ['set-cookie', 'b=2'],
        ['set-cookie', 'a=1'],
      ]),
    ).toEqual([
      { name: 'Set-Cookie', kind: 'changed', a: ['a=1', 'b=2'], b: ['b=2', 'a=1'] },
      { name: 'Cache-Control', kind: 'removed', a: ['no-store'] },
    ]);
    expect(diffHeaders(a, [['set-cookie', 'a=1']])[0]).toMatchObject({
      kind: 'changed',
      b: ['a=1'],
    });
  });

  it('compares values exactly', () => {
    expect(diffHeaders([['ETag', '"abc"']], [['etag', 'W/"abc"']])[0]!.kind).toBe('changed');
    expect(diffHeaders([['X-A', 'on']], [['x-a', 'ON']])[0]!.kind).toBe('changed');
  });

  it('leaves out ignored names in any case, with a trailing * as a prefix', () => {
    const a: [string, string][] = [
      ['Date', 'Wed, 01 May 2024 10:00:00 GMT'],
      ['X-B3-TraceId', '1'],
      ['X-B3-SpanId', '2'],
      ['Server', 'nginx'],
    ];
    const b: [string, string][] = [
      ['date', 'Wed, 01 May 2024 10:00:07 GMT'],
      ['x-b3-traceid', '9'],
      ['Server', 'nginx'],
    ];
    expect(diffHeaders(a, b, { ignore: ['DATE', 'x-b3-*'] })).toEqual([
      { name: 'Server', kind: 'same', a: ['nginx'], b: ['nginx'] },
    ]);
  });

  it('applies the volatile list only when asked', () => {
    const a: [string, string][] = [
      ['date', 'Wed, 01 May 2024 10:00:00 GMT'],
      ['x-request-id', 'r1'],
      ['traceparent', '00-aa-01'],
    ];
    const b: [string, string][] = [
      ['date', 'Wed, 01 May 2024 10:00:09 GMT'],
      ['x-request-id', 'r2'],
      ['traceparent', '00-bb-01'],
    ];
    expect(diffHeaders(a, b).map((h) => h.kind)).toEqual(['changed', 'changed', 'changed']);
    expect(diffHeaders(a, b, { ignore: DEFAULT_VOLATILE_HEADERS })).toEqual([]);
    expect(DEFAULT_VOLATILE_HEADERS).toEqual(expect.arrayContaining(['date', 'x-request-id']));
  });
});

describe('diffQuery', () => {
  it('compares query parameters by name, case-sensitively, repeated ones as lists', () => {
    expect(
      diffQuery('/search?q=shoes&page=1&tag=a&tag=b', '/search?page=2&Q=x&q=shoes&tag=a'),
    ).toEqual([
      { name: 'q', kind: 'same', a: ['shoes'], b: ['shoes'] },
      { name: 'page', kind: 'changed', a: ['1'], b: ['2'] },
      { name: 'tag', kind: 'changed', a: ['a', 'b'], b: ['a'] },
      { name: 'Q', kind: 'added', b: ['x'] },
    ]);
  });

  it('decodes values, and reads no query from a path without one or from a fragment', () => {
    expect(diffQuery('/p?name=a%20b', '/p?name=a+b')[0]!.kind).toBe('same');
    expect(diffQuery('/p', '/p?x=1')).toEqual([{ name: 'x', kind: 'added', b: ['1'] }]);
    expect(diffQuery('/p?x=1#y=2', '/p?x=1')).toEqual([
      { name: 'x', kind: 'same', a: ['1'], b: ['1'] },
    ]);
  });
});

describe('diffExchanges', () => {
  const a = detail();
  const b = detail({
    id: 102,
    member: 'http://127.0.0.1:9002',
    timings: { upstreamConnected: 3, firstByte: 212, done: 230 },
    responseBytes: 131,
    responseHeaders: [
      ['Content-Type', 'application/json; charset=utf-8'],
      ['Content-Length', '131'],
      ['Date', 'Wed, 01 May 2024 10:00:01 GMT'],
      ['X-Request-Id', 'b5d1c0de-0002'],
      ['Set-Cookie', 'JSESSIONID=abc.node2; Path=/'],
      ['Set-Cookie', 'theme=dark; Path=/'],
      ['X-Powered-By', 'Spring Boot 2.7'],
    ],
  });
  const bodies = { response: { a: utf8(orderV2), b: utf8(orderV1) } };

  it('compares two members answering the same request', () => {
    const diff = diffExchanges(a, b, bodies);
    expect(diff.a).toBe(101);
    expect(diff.b).toBe(102);
    expect(diff.fields.filter((f) => !f.same)).toEqual([
      { field: 'member', a: 'http://127.0.0.1:9001', b: 'http://127.0.0.1:9002', same: false },
    ]);
    expect(diff.fields.map((f) => f.field)).toEqual([
      'method',
      'url',
      'host',
      'secure',
      'httpVersion',
      'status',
      'outcome',
      'error',
      'route',
      'member',
      'attempts',
    ]);
    expect(diff.query.every((q) => q.kind === 'same')).toBe(true);
    expect(diff.requestHeaders.every((h) => h.kind === 'same')).toBe(true);
    expect(diff.responseHeaders.filter((h) => h.kind !== 'same')).toEqual([
      { name: 'content-length', kind: 'changed', a: ['118'], b: ['131'] },
      {
        name: 'date',
        kind: 'changed',
        a: ['Wed, 01 May 2024 10:00:00 GMT'],
        b: ['Wed, 01 May 2024 10:00:01 GMT'],
      },
      { name: 'x-request-id', kind: 'changed', a: ['b5d1c0de-0001'], b: ['b5d1c0de-0002'] },
      {
        name: 'set-cookie',
        kind: 'changed',
        a: ['JSESSIONID=abc.node1; Path=/', 'theme=dark; Path=/'],
        b: ['JSESSIONID=abc.node2; Path=/', 'theme=dark; Path=/'],
      },
      { name: 'X-Powered-By', kind: 'added', b: ['Spring Boot 2.7'] },
    ]);
    expect(diff.responseTrailers).toEqual([]);
    expect(diff.timings).toEqual([
      { name: 'upstreamConnected', a: 2, b: 3, delta: 1 },
      { name: 'firstByte', a: 38, b: 212, delta: 174 },
      { name: 'done', a: 41, b: 230, delta: 189 },
    ]);
    expect(diff.sizes).toEqual([
      { name: 'request', a: 0, b: 0, delta: 0 },
      { name: 'response', a: 118, b: 131, delta: 13 },
    ]);
    expect(diff.requestBody).toBeUndefined();
    // The content type came from the details, so the bodies were compared as JSON.
    expect(diff.responseBody).toEqual({
      kind: 'json',
      same: false,
      truncated: false,
      count: 4,
      changes: [
        { path: '$.total', kind: 'type', a: 59.9, b: '59.90' },
        { path: '$.currency', kind: 'removed', a: 'EUR' },
        { path: '$.items[1].price', kind: 'changed', a: 20, b: 21 },
        {
          path: '$.generatedAt',
          kind: 'changed',
          a: '2024-05-01T10:00:00.120Z',
          b: '2024-05-01T10:00:00.450Z',
        },
      ],
    });
  });

  it('summarizes it for a table cell', () => {
    const summary = summarizeDiff(diffExchanges(a, b, bodies));
    expect(summary).toEqual({
      same: false,
      fields: ['member'],
      query: { added: 0, removed: 0, changed: 0 },
      requestHeaders: { added: 0, removed: 0, changed: 0 },
      responseHeaders: { added: 1, removed: 0, changed: 4 },
      headers: { added: 1, removed: 0, changed: 4 },
      jsonPaths: 4,
      responseBody: { kind: 'json', same: false, paths: 4, linesAdded: 0, linesRemoved: 0 },
      text: 'member differs · response headers +1 −0 ~4 · response body 4 JSON paths',
    });
  });

  it('leaves out what always differs between members when asked (fan-out)', () => {
    const diff = diffExchanges(a, b, bodies, {
      ignoreFields: ['member'],
      ignoreHeaders: [...DEFAULT_VOLATILE_HEADERS, 'content-length', 'set-cookie'],
      ignorePaths: ['generatedAt'],
    });
    expect(diff.fields.some((f) => f.field === 'member')).toBe(false);
    expect(diff.responseHeaders.filter((h) => h.kind !== 'same').map((h) => h.name)).toEqual([
      'X-Powered-By',
    ]);
    expect(summarizeDiff(diff).text).toBe('response headers +1 −0 ~0 · response body 3 JSON paths');
    // Two members that agree on everything that matters read "same".
    const twin = detail({ id: 103, member: 'http://127.0.0.1:9003' });
    const agreeing = diffExchanges(
      a,
      twin,
      { response: { a: utf8(orderV2), b: utf8(orderV2.replace('.120Z', '.999Z')) } },
      {
        ignoreFields: ['member'],
        ignoreHeaders: DEFAULT_VOLATILE_HEADERS,
        ignorePaths: ['$.generatedAt'],
      },
    );
    expect(summarizeDiff(agreeing)).toMatchObject({ same: true, jsonPaths: 0, text: 'same' });
  });

  it('reports a member that failed: status, outcome and error, and its body as text', () => {
    const failed = detail({
      id: 104,
      member: 'http://127.0.0.1:9004',
      status: 502,
      outcome: 'errored',
      error: 'connect ECONNREFUSED 127.0.0.1:9004',
      timings: { upstreamConnected: undefined, firstByte: 1, done: 1 },
      responseHeaders: [['content-type', 'text/html']],
      responseBody: { size: 52, captured: 52, truncated: false, contentType: 'text/html' },
    });
    const diff = diffExchanges(a, failed, {
      response: { a: utf8(orderV2), b: utf8('<h1>502 Bad Gateway</h1>\n<p>Switchyard</p>') },
    });
    expect(diff.fields.filter((f) => !f.same).map((f) => [f.field, f.a, f.b])).toEqual([
      ['status', 200, 502],
      ['outcome', 'completed', 'errored'],
      ['error', undefined, 'connect ECONNREFUSED 127.0.0.1:9004'],
      ['member', 'http://127.0.0.1:9001', 'http://127.0.0.1:9004'],
    ]);
    expect(diff.timings[0]).toEqual({ name: 'upstreamConnected', a: 2 });
    expect(diff.responseBody).toMatchObject({
      kind: 'text',
      note: "B is not valid JSON: Unexpected token '<'",
    });
    const summary = summarizeDiff(diff);
    expect(summary.fields).toEqual(['status', 'outcome', 'error', 'member']);
    expect(summary.text).toBe(
      'status 200 → 502 · outcome, error, member differ · response headers +0 −4 ~1 · response body +2 −1 lines',
    );
  });

  it('compares two different requests: method, URL, query and request bodies', () => {
    const post = (id: number, url: string, body: string): ExchangeDetail =>
      detail({
        id,
        method: 'POST',
        url,
        requestBytes: body.length,
        requestHeaders: [
          ['Host', 'shop.localhost'],
          ['Content-Type', 'application/json'],
        ],
        requestBody: {
          size: body.length,
          captured: body.length,
          truncated: false,
          contentType: 'application/json',
        },
      });
    const one = post(1, '/api/cart?currency=EUR', '{"sku":"A-1","qty":1}');
    const two = post(2, '/api/cart?currency=USD&dry=1', '{"qty":3,"sku":"A-1"}');
    const diff = diffExchanges(one, two, {
      request: { a: utf8('{"sku":"A-1","qty":1}'), b: utf8('{"qty":3,"sku":"A-1"}') },
    });
    expect(diff.query).toEqual([
      { name: 'currency', kind: 'changed', a: ['EUR'], b: ['USD'] },
      { name: 'dry', kind: 'added', b: ['1'] },
    ]);
    expect(diff.requestBody).toMatchObject({
      kind: 'json',
      changes: [{ path: '$.qty', kind: 'changed', a: 1, b: 3 }],
    });
    expect(diff.sizes[0]).toEqual({ name: 'request', a: 21, b: 21, delta: 0 });
    expect(diffExchanges(one, two, {}, { ignoreFields: ['url'] }).query).toEqual([]);
    expect(summarizeDiff(diff).text).toBe('query +1 −0 ~1 · request body 1 JSON path');

    const otherPath = diffExchanges(one, detail({ id: 3, method: 'DELETE', url: '/api/cart/7' }));
    expect(summarizeDiff(otherPath).text).toBe(
      'method differs · path differs · query +0 −1 ~0 · request headers +2 −1 ~0',
    );
    const reordered = diffExchanges(two, { ...two, url: '/api/cart?dry=1&currency=USD' });
    expect(summarizeDiff(reordered)).toMatchObject({
      same: false,
      fields: ['url'],
      text: 'query order differs',
    });
  });

  it('compares trailers, binary bodies and truncation taken from the details', () => {
    const grpc = (id: number, trailer: string, truncated: boolean): ExchangeDetail =>
      detail({
        id,
        responseTrailers: [
          ['grpc-status', trailer],
          ['grpc-message', ''],
        ],
        responseBody: {
          size: 9_000_000,
          captured: 4,
          truncated,
          contentType: 'application/grpc',
        },
      });
    const diff = diffExchanges(grpc(1, '0', false), grpc(2, '14', true), {
      response: {
        a: { bytes: Uint8Array.of(0, 0, 0, 1) },
        b: { bytes: Uint8Array.of(0, 0, 0, 2) },
      },
    });
    expect(diff.responseTrailers).toEqual([
      { name: 'grpc-status', kind: 'changed', a: ['0'], b: ['14'] },
      { name: 'grpc-message', kind: 'same', a: [''], b: [''] },
    ]);
    expect(diff.responseBody).toMatchObject({
      kind: 'binary',
      same: false,
      truncated: true,
      a: { size: 4 },
      b: { size: 4 },
    });
    const summary = summarizeDiff(diff);
    expect(summary.responseHeaders).toEqual({ added: 0, removed: 0, changed: 1 });
    expect(summary.text).toBe('response headers +0 −0 ~1 · response body 4 B vs 4 B');
  });

  it('an exchange against itself is the same, whatever its timings', () => {
    const diff: ExchangeDiff = diffExchanges(
      a,
      { ...a, timings: { firstByte: 900, done: 950 } },
      {
        response: { a: utf8(orderV2), b: utf8(orderV2) },
        request: { a: utf8(''), b: utf8('') },
      },
    );
    expect(diff.timings[1]).toEqual({ name: 'firstByte', a: 38, b: 900, delta: 862 });
    expect(diff.requestBody).toEqual({ kind: 'empty', same: true, truncated: false });
    expect(summarizeDiff(diff)).toMatchObject({
      same: true,
      fields: [],
      jsonPaths: 0,
      text: 'same',
    });
  });
});
