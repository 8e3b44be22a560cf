import { describe, expect, it } from 'vitest';
import type { HeaderPairs } from '../../../src/shared/exchange.js';
import {
  QUERY_HELP,
  compileQuery,
  parseQuery,
  queryNeeds,
  type Match,
  type Query,
  type QueryAccess,
  type QuerySubject,
} from '../../../src/shared/traffic-query.js';

function summary(over: Partial<QuerySubject> = {}): QuerySubject {
  return {
    id: 1,
    startedAt: 0,
    listener: 'http://127.0.0.1:8080',
    client: '127.0.0.1',
    method: 'GET',
    url: '/api/orders?page=2',
    host: 'api.localhost:8080',
    secure: false,
    httpVersion: '1.1',
    route: 'shop',
    member: 'http://127.0.0.1:9002',
    attempts: 1,
    status: 200,
    outcome: 'completed',
    timings: { done: 120 },
    requestBytes: 0,
    responseBytes: 2048,
    ...over,
  };
}

function parsed(text: string): Query {
  const result = parseQuery(text);
  if (!result.ok) throw new Error(`${text}: ${result.error} at ${result.at}`);
  return result.query;
}

function failure(text: string): { error: string; at: number } {
  const result = parseQuery(text);
  if (result.ok) throw new Error(`${text} parsed`);
  return { error: result.error, at: result.at };
}

/** Whether the query matches the summary (with the given accessors). */
function matches(text: string, s: QuerySubject, access: QueryAccess = {}): boolean {
  return compileQuery(parsed(text), access)(s) !== undefined;
}

function match(text: string, s: QuerySubject, access: QueryAccess = {}): Match | undefined {
  return compileQuery(parsed(text), access)(s);
}

describe('parseQuery', () => {
  it('reads terms, fields, negation and positions', () => {
    expect(parsed('status:5xx -method:get,post checkout')).toEqual({
      groups: [
        [
          { field: 'status', ranges: [[500, 599]], source: 'status:5xx', at: 0, negated: false },
          {
            field: 'method',
            methods: ['GET', 'POST'],
            source: '-method:get,post',
            at: 11,
            negated: true,
          },
          { field: 'text', text: 'checkout', source: 'checkout', at: 28, negated: false },
        ],
      ],
    });
    expect(parsed('   ')).toEqual({ groups: [] });
  });

  it('groups terms by OR, which binds looser than the spaces', () => {
    const q = parsed('a b OR c');
    expect(q.groups.map((g) => g.map((t) => t.source))).toEqual([['a', 'b'], ['c']]);
    // Lower-case "or" is text, as is a quoted OR.
    expect(parsed('a or "OR"').groups[0]!.map((t) => t.source)).toEqual(['a', 'or', '"OR"']);
  });

  it('keeps quoted words together, with escapes, and joins quoted parts as a shell does', () => {
    const [body, text, header] = parsed('body:"order 42" "say \\"hi\\"" header:x-trace="a b"')
      .groups[0]!;
    expect(body).toMatchObject({ field: 'body', side: 'both', text: 'order 42', at: 0 });
    expect(text).toMatchObject({ field: 'text', text: 'say "hi"', at: 16 });
    expect(header).toMatchObject({ field: 'header', name: 'x-trace', value: 'a b' });
  });

  it('reads a quoted field:value, and words that only look like fields, as text', () => {
    expect(parsed('"status:5xx"').groups[0]![0]).toMatchObject({
      field: 'text',
      text: 'status:5xx',
    });
    expect(parsed('localhost:8080 https://x.test').groups[0]!.map((t) => t.field)).toEqual([
      'text',
      'text',
    ]);
  });

  it('reads every status form, with the comparison before or after the colon', () => {
    const ranges = (text: string) => {
      const term = parsed(text).groups[0]![0]!;
      return term.field === 'status' ? term.ranges : undefined;
    };
    expect(ranges('status:404')).toEqual([[404, 404]]);
    expect(ranges('status:4xx,5xx')).toEqual([
      [400, 499],
      [500, 599],
    ]);
    expect(ranges('status:500-504')).toEqual([[500, 504]]);
    expect(ranges('status:>=500')).toEqual([[500, 999]]);
    expect(ranges('status>499')).toEqual([[500, 999]]);
    expect(ranges('status<400')).toEqual([[100, 399]]);
    expect(ranges('status:0')).toEqual([[0, 0]]);
    expect(ranges('status:404,>=500')).toEqual([
      [404, 404],
      [500, 999],
    ]);
    // Only numeric fields read a comparison out of the value: text keeps its `>`.
    expect(parsed('body:>Hello').groups[0]![0]).toMatchObject({ field: 'body', text: '>hello' });
  });

  it('reads sizes (1024-based) and durations', () => {
    expect(parsed('size>100k').groups[0]![0]).toMatchObject({
      field: 'size',
      side: 'both',
      op: '>',
      bytes: 102_400,
    });
    expect(parsed('reqsize>=1.5mb').groups[0]![0]).toMatchObject({
      side: 'request',
      op: '>=',
      bytes: 1_572_864,
    });
    expect(parsed('ressize:<512').groups[0]![0]).toMatchObject({ side: 'response', bytes: 512 });
    expect(parsed('time>500ms').groups[0]![0]).toMatchObject({ field: 'time', op: '>', ms: 500 });
    expect(parsed('time<2s').groups[0]![0]).toMatchObject({ op: '<', ms: 2000 });
    expect(parsed('time>=250').groups[0]![0]).toMatchObject({ op: '>=', ms: 250 });
  });

  it.each([
    ['stauts:5xx', "unknown field 'stauts' (did you mean status?)", 0],
    ['method:GET hots:api', "unknown field 'hots' (did you mean host?)", 11],
    ['size>abc', 'size needs a number such as 100k', 5],
    ['size:100k', 'size needs a comparison, such as size>100k', 5],
    ['time>soon', 'time needs a duration such as 500ms or 2s', 5],
    ['time:2s', 'time needs a comparison', 5],
    ['status:abc', "status takes 404, 5xx, 4xx,5xx, 500-504 or >=500, not 'abc'", 7],
    ['status:4xx,9zz', "not '9zz'", 11],
    ['status:4xx,,5xx', 'status: empty item in the list', 11],
    ['x status:', 'status needs a value, such as status:5xx', 9],
    ['reqsize>', 'reqsize needs a value, such as reqsize>100k', 8],
    ['proto:h3', "proto is h1, h2, ws or grpc, not 'h3'", 6],
    ['proto:h2,quic', "not 'quic'", 9],
    [
      'has:websockets',
      "has is one of websocket, body, error, grpc, not 'websockets' (did you mean websocket?)",
      4,
    ],
    ['method>GET', "method takes ':' rather than '>', such as method:POST", 6],
    ['grpc:/', 'grpc needs a service or method', 5],
    ['a body:"order 42', 'unclosed quote: add a closing "', 7],
    ['""', 'empty quotes', 0],
    ['a - b', "'-' needs a term right after it", 2],
    ['OR status:5xx', 'OR needs a term before it', 0],
    ['status:5xx OR OR a', 'OR needs a term before it', 14],
    ['status:5xx OR', 'OR needs a term after it', 11],
  ])('refuses %j: %s at %i', (text, error, at) => {
    const result = failure(text);
    expect(result.error).toContain(error);
    expect(result.at).toBe(at);
  });

  it('documents every field it reads in QUERY_HELP', () => {
    const documented = new Set(QUERY_HELP.map((h) => h.field));
    for (const field of ['status', 'method', 'host', 'url', 'route', 'member', 'rule', 'proto']) {
      expect(documented).toContain(field);
    }
    for (const field of ['grpc', 'size', 'reqsize', 'ressize', 'time', 'has', 'header', 'body']) {
      expect(documented).toContain(field);
    }
    // Every example parses.
    for (const help of QUERY_HELP) expect(parseQuery(help.example).ok).toBe(true);
  });
});

describe('compileQuery: summary fields', () => {
  it('matches everything when empty, and ANDs terms', () => {
    expect(match('', summary())).toEqual({ hits: [] });
    expect(matches('status:2xx method:GET', summary())).toBe(true);
    expect(matches('status:2xx method:POST', summary())).toBe(false);
  });

  it('status: classes, lists, comparisons and "no response"', () => {
    expect(matches('status:5xx', summary({ status: 503 }))).toBe(true);
    expect(matches('status:5xx', summary({ status: 404 }))).toBe(false);
    expect(matches('status:4xx,5xx', summary({ status: 404 }))).toBe(true);
    expect(matches('status:>=500', summary({ status: 500 }))).toBe(true);
    expect(matches('status:>=500', summary({ status: 499 }))).toBe(false);
    expect(matches('status<400', summary({ status: 0 }))).toBe(false);
    expect(matches('status:0', summary({ status: 0, outcome: 'pending' }))).toBe(true);
  });

  it('method: a list, any case', () => {
    expect(matches('method:post,put', summary({ method: 'PUT' }))).toBe(true);
    expect(matches('method:post,put', summary({ method: 'GET' }))).toBe(false);
  });

  it('host: exact or glob, with or without the port', () => {
    expect(matches('host:api.localhost', summary())).toBe(true);
    expect(matches('host:api.localhost:8080', summary())).toBe(true);
    expect(matches('host:localhost', summary())).toBe(false);
    expect(matches('host:*.shop.test', summary({ host: 'cart.shop.test' }))).toBe(true);
    expect(matches('host:*.shop.test', summary({ host: 'shop.test' }))).toBe(false);
    expect(matches('host:API.*', summary())).toBe(true);
  });

  it('route, member, url and rule', () => {
    expect(matches('route:shop', summary())).toBe(true);
    expect(matches('route:sho', summary())).toBe(false);
    expect(matches('route:sh*', summary())).toBe(true);
    expect(matches('route:shop', summary({ route: undefined }))).toBe(false);
    expect(matches('member:9002', summary())).toBe(true);
    expect(matches('member:9003', summary())).toBe(false);
    expect(matches('url:/API/orders', summary())).toBe(true);
    expect(matches('url:/cart', summary())).toBe(false);
    // No rules exist yet: a summary without them never matches…
    expect(matches('rule:no-cache', summary())).toBe(false);
    // …and once summaries carry them, the term reads them.
    expect(match('rule:no-*', summary({ rules: ['strip-cookies', 'no-cache'] }))).toEqual({
      hits: [{ term: 'rule:no-*', field: 'rule', snippet: 'no-cache' }],
    });
  });

  it('proto: h1, h2, ws and grpc from the version, WebSocket and gRPC fields', () => {
    const ws = summary({
      websocket: { open: false, framesUp: 1, framesDown: 1, bytesUp: 5, bytesDown: 5 },
    });
    const grpc = summary({
      httpVersion: '2.0',
      grpc: { service: 'shop.v1.Orders', method: 'Get', messagesUp: 1, messagesDown: 1 },
    });
    expect(matches('proto:h1', summary())).toBe(true);
    expect(matches('proto:h2', summary())).toBe(false);
    expect(matches('proto:h2', summary({ httpVersion: '2.0' }))).toBe(true);
    expect(matches('proto:ws', ws)).toBe(true);
    expect(matches('proto:ws', summary())).toBe(false);
    expect(matches('proto:grpc', grpc)).toBe(true);
    expect(matches('proto:h2', grpc)).toBe(true);
    expect(matches('proto:ws|grpc', grpc)).toBe(true);
    expect(matches('proto:ws,grpc', summary())).toBe(false);
  });

  it('grpc: service and method, the package optional', () => {
    const s = summary({
      grpc: { service: 'shop.v1.Orders', method: 'Get', messagesUp: 1, messagesDown: 1 },
    });
    expect(matches('grpc:shop.v1.Orders/Get', s)).toBe(true);
    expect(matches('grpc:Orders/Get', s)).toBe(true);
    expect(matches('grpc:orders', s)).toBe(true);
    expect(matches('grpc:/get', s)).toBe(true);
    expect(matches('grpc:Orders/List', s)).toBe(false);
    expect(matches('grpc:ders', s)).toBe(false); // a suffix of the name, not of a package part
    expect(matches('grpc:Orders', summary())).toBe(false);
  });

  it('size, reqsize and ressize count body bytes', () => {
    const s = summary({ requestBytes: 60 * 1024, responseBytes: 50 * 1024 });
    expect(matches('size>100k', s)).toBe(true);
    expect(matches('size>200k', s)).toBe(false);
    expect(matches('size<1mb', s)).toBe(true);
    expect(matches('reqsize>50k', s)).toBe(true);
    expect(matches('ressize>50k', s)).toBe(false);
    expect(matches('ressize>=50k', s)).toBe(true);
  });

  it('time reads the total time; a pending exchange has none', () => {
    expect(matches('time>100ms', summary())).toBe(true);
    expect(matches('time>500ms', summary())).toBe(false);
    expect(matches('time<2s', summary())).toBe(true);
    expect(matches('time<2s', summary({ timings: {}, outcome: 'pending' }))).toBe(false);
    expect(matches('time>0', summary({ timings: {}, outcome: 'pending' }))).toBe(false);
  });

  it('has: websocket, body, error and grpc', () => {
    const ws = summary({
      websocket: { open: true, framesUp: 0, framesDown: 0, bytesUp: 0, bytesDown: 0 },
    });
    expect(matches('has:websocket', ws)).toBe(true);
    expect(matches('has:ws', summary())).toBe(false);
    expect(matches('has:body', summary())).toBe(true);
    expect(matches('has:body', summary({ responseBytes: 0 }))).toBe(false);
    expect(matches('has:error', summary({ outcome: 'aborted' }))).toBe(true);
    expect(matches('has:error', summary({ error: 'no member available' }))).toBe(true);
    expect(matches('has:error', summary())).toBe(false);
    expect(matches('has:grpc', summary())).toBe(false);
  });

  it('negates terms, and ORs alternatives', () => {
    expect(matches('-status:2xx', summary())).toBe(false);
    expect(matches('-status:5xx', summary())).toBe(true);
    expect(matches('-method:get OR route:shop', summary())).toBe(true);
    expect(matches('status:5xx OR time>1s', summary())).toBe(false);
    expect(matches('status:5xx OR time>1s', summary({ timings: { done: 1500 } }))).toBe(true);
    expect(matches('method:POST status:2xx OR method:GET status:5xx', summary())).toBe(false);
  });
});

describe('compileQuery: free text, headers and bodies', () => {
  const headers: Record<number, { request: HeaderPairs; response: HeaderPairs }> = {
    1: {
      request: [
        ['Host', 'api.localhost:8080'],
        ['X-Trace', 'trace-7f3a'],
      ],
      response: [
        ['Content-Type', 'application/json'],
        ['Set-Cookie', 'JSESSIONID=abc.route2'],
      ],
    },
  };
  const bodies: Record<string, string> = {
    '1:request': '',
    '1:response': `{"items":[{"id":"order-41","total":3},{"id":"order-42","total":7}],"next":null}`,
  };
  const calls: string[] = [];
  const access: QueryAccess = {
    headers: (id) => {
      calls.push(`headers ${id}`);
      return headers[id];
    },
    body: (id, side) => {
      calls.push(`body ${id} ${side}`);
      return bodies[`${id}:${side}`];
    },
  };

  it('free text searches the summary fields, any case, and says which', () => {
    expect(match('ORDERS', summary(), access)?.hits).toEqual([{ term: 'ORDERS', field: 'url' }]);
    expect(match('api.local', summary({ url: '/' }), access)?.hits).toEqual([
      { term: 'api.local', field: 'host' },
    ]);
    expect(match('503', summary({ status: 503 }), access)?.hits).toEqual([
      { term: '503', field: 'status' },
    ]);
    expect(match('shop', summary(), access)?.hits).toEqual([{ term: 'shop', field: 'route' }]);
    expect(match(':9002', summary(), access)?.hits).toEqual([{ term: ':9002', field: 'member' }]);
    expect(match('"order 99"', summary(), access)).toBeUndefined();
  });

  it('free text searches header names and values through the accessor', () => {
    expect(match('7f3a', summary(), access)?.hits).toEqual([
      { term: '7f3a', field: 'request header x-trace', snippet: 'X-Trace: trace-7f3a' },
    ]);
    expect(match('jsessionid', summary(), access)?.hits).toEqual([
      {
        term: 'jsessionid',
        field: 'response header set-cookie',
        snippet: 'Set-Cookie: JSESSIONID=abc.route2',
      },
    ]);
    // Without the accessor, only the summary is searched.
    expect(matches('7f3a', summary())).toBe(false);
  });

  it('header: by name, optionally by value', () => {
    expect(match('header:x-trace', summary(), access)?.hits).toEqual([
      { term: 'header:x-trace', field: 'request header x-trace', snippet: 'X-Trace: trace-7f3a' },
    ]);
    expect(matches('header:x-trace=7F3A', summary(), access)).toBe(true);
    expect(matches('header:x-trace=beef', summary(), access)).toBe(false);
    expect(matches('header:content-*=json', summary(), access)).toBe(true);
    expect(matches('-header:authorization', summary(), access)).toBe(true);
  });

  it('body: the decoded text of either side, with a snippet around the match', () => {
    expect(match('body:"order-42"', summary(), access)).toEqual({
      hits: [
        {
          term: 'body:"order-42"',
          field: 'response body',
          snippet: '…:"order-41","total":3},{"id":"order-42","total":7}],"next":null}',
        },
      ],
    });
    expect(matches('resbody:order-42', summary(), access)).toBe(true);
    expect(matches('reqbody:order-42', summary(), access)).toBe(false);
    expect(matches('body:order-43', summary(), access)).toBe(false);
    expect(matches('-body:order-43', summary(), access)).toBe(true);
    // Without a body accessor there is no body to find anything in.
    expect(matches('body:order-42', summary())).toBe(false);
  });

  it('lists where each term matched, in the order written; negated terms are not listed', () => {
    expect(
      match('body:order-42 method:get -status:5xx trace-7f3a', summary(), access)?.hits,
    ).toEqual([
      {
        term: 'body:order-42',
        field: 'response body',
        snippet: expect.stringContaining('order-42'),
      },
      { term: 'method:get', field: 'method' },
      {
        term: 'trace-7f3a',
        field: 'request header x-trace',
        snippet: 'X-Trace: trace-7f3a',
      },
    ]);
  });

  it('evaluates cheap terms first: no header or body is read for an exchange they reject', () => {
    calls.length = 0;
    const matcher = compileQuery(parsed('body:order-42 x-trace status:5xx'), access);
    expect(matcher(summary())).toBeUndefined();
    expect(calls).toEqual([]);
    expect(matcher(summary({ status: 502 }))).toBeDefined();
    // Headers once (for the free text), then the request body, then the response body.
    expect(calls).toEqual(['headers 1', 'body 1 request', 'body 1 response']);
  });

  it('tries the cheapest alternative first and reads each body at most once', () => {
    calls.length = 0;
    const matcher = compileQuery(parsed('reqbody:nope OR body:order-42 OR method:GET'), access);
    expect(matcher(summary())?.hits).toEqual([{ term: 'method:GET', field: 'method' }]);
    expect(calls).toEqual([]);
    calls.length = 0;
    const bodies = compileQuery(parsed('reqbody:nope OR resbody:nope OR body:order-42'), access);
    expect(bodies(summary())?.hits[0]?.field).toBe('response body');
    expect(calls).toEqual(['body 1 request', 'body 1 response']);
  });

  it('says what a query needs beyond summaries', () => {
    expect(queryNeeds(parsed('status:5xx method:GET'))).toEqual({ headers: false, bodies: false });
    expect(queryNeeds(parsed('status:5xx OR trace'))).toEqual({ headers: true, bodies: false });
    expect(queryNeeds(parsed('-body:x'))).toEqual({ headers: false, bodies: true });
  });
});
