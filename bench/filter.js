// The traffic filter over a full log (issue 15: a body term over 10,000 captured exchanges
// answers in < 200 ms). Fills a Recorder as ExchangeHandler does (request head, a JSON
// request body for writes, response head, a JSON response body of 1–6 KiB, a third of them
// gzip- and some br-encoded, as APIs send them), then times full passes of compiled queries
// over the summaries, with headers and decoded bodies read as the engine reads them
// (Recording headers, BodyTextCache).
//
//   npm run build:cli
//   node bench/filter.js                          # 10,000 exchanges, 7 passes per query
//   node bench/filter.js --exchanges 5000 --runs 11 --engine DIR
//
// Prints, per query, the first pass (nothing decoded yet, code not yet optimised) and the
// median of the passes after it, in ms, and the matches found; then both figures of the body
// term against the goal. All in this process; no network.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';

const { values } = parseArgs({
  options: {
    exchanges: { type: 'string' },
    runs: { type: 'string' },
    engine: { type: 'string' },
  },
});
const exchanges = Number(values.exchanges ?? 10_000);
const runs = Number(values.runs ?? 7);
if (!Number.isInteger(exchanges) || exchanges < 1 || exchanges > 100_000) {
  console.error('--exchanges must be an integer in 1..100000');
  process.exit(2);
}
if (!Number.isInteger(runs) || runs < 1 || runs > 101) {
  console.error('--runs must be an integer in 1..101');
  process.exit(2);
}
const GOAL_MS = 200;
const engineDir = resolve(values.engine ?? 'out/cli');
const load = (path) => import(pathToFileURL(`${engineDir}/${path}`).href);
const { Recorder } = await load('engine/capture/recorder.js');
const { BodyTextCache } = await load('engine/capture/body-text.js');
const { compileQuery, parseQuery } = await load('shared/traffic-query.js');

// A deterministic generator (mulberry32), so every run searches the same log.
let seed = 42;
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
};
const pick = (list) => list[Math.floor(random() * list.length)];
const hex = (n) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');

const HOSTS = ['api.localhost', 'shop.localhost', 'cart.shop.test', 'auth.localhost'];
const ROUTES = ['api', 'shop', 'cart', 'auth'];
const STATUSES = [200, 200, 200, 200, 200, 201, 204, 301, 304, 400, 404, 404, 500, 502, 503];

function orderJson(i) {
  const lines = Array.from({ length: 2 + Math.floor(random() * 12) }, (_, n) => ({
    sku: `SKU-${hex(6)}`,
    name: pick(['Blue mug', 'Tea towel', 'Notebook, A5', 'Desk lamp', 'Café au lait beans']),
    quantity: 1 + (n % 4),
    price: Math.round(random() * 10_000) / 100,
  }));
  return JSON.stringify({
    id: `order-${i}`,
    customer: { id: `cus_${hex(12)}`, email: `user${i % 997}@example.test` },
    createdAt: new Date(1_760_000_000_000 + i * 1000).toISOString(),
    status: pick(['pending', 'paid', 'shipped', 'cancelled']),
    lines,
    total: lines.reduce((sum, l) => sum + l.price * l.quantity, 0).toFixed(2),
  });
}

const recorder = new Recorder({ maxEntries: exchanges, maxBytes: 1024 * 1024 * 1024 });
for (let i = 0; i < exchanges; i++) {
  const write = random() < 0.3;
  const route = Math.floor(random() * ROUTES.length);
  const r = recorder.begin({
    listener: 'http://127.0.0.1:8080',
    client: '127.0.0.1',
    method: write ? pick(['POST', 'PUT', 'PATCH']) : 'GET',
    url: write ? `/api/orders/${i}` : `/api/orders/${i}?include=lines&page=${i % 7}`,
    host: `${HOSTS[route]}:8080`,
    secure: false,
    httpVersion: random() < 0.2 ? '2.0' : '1.1',
    rawHeaders: [
      'Host',
      `${HOSTS[route]}:8080`,
      'User-Agent',
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/141.0 Safari/537.36',
      'Accept',
      'application/json',
      'Accept-Encoding',
      'gzip, deflate, br, zstd',
      'X-Trace-Id',
      hex(32),
      'Cookie',
      `JSESSIONID=${hex(16)}.route${1 + (i % 3)}`,
      ...(write ? ['Content-Type', 'application/json'] : []),
    ],
    websocket: false,
    contentType: write ? 'application/json' : undefined,
  });
  r.route(ROUTES[route]);
  r.attempt(`http://127.0.0.1:${9001 + (i % 3)}`, 'picked by byrequests');
  r.upstreamConnected();
  if (write) r.requestData(Buffer.from(orderJson(i)));
  const status = pick(STATUSES);
  const encoding = random() < 0.33 ? (random() < 0.8 ? 'gzip' : 'br') : undefined;
  r.response(status, {
    'content-type': 'application/json; charset=utf-8',
    ...(encoding ? { 'content-encoding': encoding } : {}),
    date: 'Tue, 08 Dec 2026 00:00:00 GMT',
    'x-request-id': hex(16),
  });
  const body = Buffer.from(
    `[${Array.from({ length: 1 + Math.floor(random() * 4) }, (_, n) => orderJson(n === 0 ? i : Math.floor(random() * exchanges) + exchanges)).join(',')}]`,
  );
  r.responseData(
    encoding === 'gzip'
      ? zlib.gzipSync(body)
      : encoding === 'br'
        ? zlib.brotliCompressSync(body, {
            params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 },
          })
        : body,
  );
  r.end('completed', status);
}

const cache = new BodyTextCache();
const access = {
  headers(id) {
    const r = recorder.get(id);
    return r && { request: r.requestHeaders, response: r.responseHeaders };
  },
  body(id, side) {
    const r = recorder.get(id);
    const text = r && cache.text(r, side);
    return text?.ok ? text.text : undefined;
  },
};

const t0 = performance.now();
const summaries = recorder.list();
const listMs = performance.now() - t0;
const stats = recorder.stats();
console.log(
  `${engineDir}: ${stats.entries} exchanges, ${(stats.bytes / 1048576).toFixed(1)} MB captured; ` +
    `recorder.list() ${listMs.toFixed(1)} ms`,
);

const trace = hex(4); // a run of 4 hex digits: found in some trace ids
const QUERIES = [
  ['cheap', 'status:5xx method:POST,PUT'],
  ['header', `header:x-trace-id=${trace}`],
  ['free text', `"${trace}"`],
  ['body', 'body:"order-4242"'],
  ['body + cheap', 'status:2xx body:"order-4242"'],
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let bodyWarm;
for (const [label, text] of QUERIES) {
  const parsed = parseQuery(text);
  if (!parsed.ok) throw new Error(`${text}: ${parsed.error}`);
  const times = [];
  let found = 0;
  let where = '';
  for (let run = 0; run <= runs; run++) {
    const start = performance.now();
    const matcher = compileQuery(parsed.query, access);
    found = 0;
    for (const s of summaries) {
      const match = matcher(s);
      if (match) {
        found++;
        where ||= `#${s.id} ${match.hits.map((h) => h.field).join(', ')}`;
      }
    }
    times.push(performance.now() - start);
  }
  const [first, ...rest] = times;
  const warm = median(rest);
  if (label === 'body') bodyWarm = { first, warm };
  console.log(
    `${label.padEnd(12)} ${text.padEnd(30)} first ${first.toFixed(1).padStart(6)} ms, ` +
      `then ${warm.toFixed(1).padStart(6)} ms (median of ${rest.length}); ` +
      `${found} match${found === 1 ? '' : 'es'}${where ? ` (first: ${where})` : ''}`,
  );
}
const verdict = (ms) => `goal < ${GOAL_MS} ms ${ms < GOAL_MS ? 'met' : 'NOT met'}`;
console.log(
  `body cache: ${cache.size} texts, ${(cache.chars / 1048576).toFixed(1)} M chars\n` +
    `body term over ${exchanges} exchanges: ${bodyWarm.warm.toFixed(1)} ms per pass once bodies ` +
    `are decoded (${verdict(bodyWarm.warm)}); the first search, which decodes every body, ` +
    `${bodyWarm.first.toFixed(1)} ms (${verdict(bodyWarm.first)})`,
);
