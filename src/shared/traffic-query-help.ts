/** The filter language's fields, for the filter bar's help card and the docs (traffic-query.ts). */
export const QUERY_HELP: ReadonlyArray<{ field: string; example: string; meaning: string }> = [
  {
    field: 'text',
    example: 'checkout',
    meaning:
      'URL, host, method, status, route, member or any header name or value contains it (any case)',
  },
  {
    field: '"…"',
    example: '"order 42"',
    meaning: 'quotes keep words together; a quoted field:value is plain text',
  },
  { field: '-', example: '-status:2xx', meaning: 'not: the term must not match' },
  {
    field: 'OR',
    example: 'status:5xx OR time>1s',
    meaning: 'either side; binds looser than the spaces between terms',
  },
  {
    field: 'status',
    example: 'status:5xx',
    meaning: 'response status: 404, 5xx, 4xx,5xx, 500-504, >=500; 0 is no response',
  },
  { field: 'method', example: 'method:POST,PUT', meaning: 'request method, any of a list' },
  {
    field: 'host',
    example: 'host:*.shop.test',
    meaning: 'Host the client asked for, with or without the port; * and ? are wildcards',
  },
  { field: 'url', example: 'url:/api/orders', meaning: 'path and query contain it' },
  {
    field: 'route',
    example: 'route:shop',
    meaning: 'name of the route that served it (wildcards allowed)',
  },
  {
    field: 'member',
    example: 'member:9002',
    meaning: 'URL of the member (or backend) that served it contains it',
  },
  {
    field: 'rule',
    example: 'rule:no-cache',
    meaning: 'a rule by that name acted on it (no rules exist yet: matches nothing today)',
  },
  {
    field: 'proto',
    example: 'proto:h2',
    meaning: 'h1, h2, ws (WebSocket) or grpc; a WebSocket is also h1, a gRPC call also h2',
  },
  {
    field: 'grpc',
    example: 'grpc:Greeter/SayHello',
    meaning:
      'gRPC service and/or method (grpc:Greeter, grpc:/SayHello); the package may be left out',
  },
  {
    field: 'size',
    example: 'size>100k',
    meaning: 'request + response body bytes; b, k, kb, m, mb (1024-based); also >=, <, <=',
  },
  { field: 'reqsize', example: 'reqsize>1mb', meaning: 'request body bytes' },
  { field: 'ressize', example: 'ressize<1k', meaning: 'response body bytes' },
  {
    field: 'time',
    example: 'time>500ms',
    meaning: 'total time (ms, s, m); pending exchanges have none yet and never match',
  },
  {
    field: 'has',
    example: 'has:websocket',
    meaning: 'websocket, body (any body bytes), error (failed, aborted or an error page) or grpc',
  },
  {
    field: 'header',
    example: 'header:x-trace=abc',
    meaning:
      'a request or response header by that name (wildcards allowed), optionally whose value contains the text after =',
  },
  {
    field: 'body',
    example: 'body:"order-42"',
    meaning:
      'captured request or response body, decoded (gzip, br, deflate, zstd), contains it (any case)',
  },
  { field: 'reqbody', example: 'reqbody:"sku"', meaning: 'captured request body contains it' },
  { field: 'resbody', example: 'resbody:"error"', meaning: 'captured response body contains it' },
];
