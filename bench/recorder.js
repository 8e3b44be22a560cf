// The traffic log's own cost per exchange: the Recorder alone, driven as ExchangeHandler
// drives it for a proxied GET (begin, route, attempt, upstream connected, response head,
// one 1 KiB body chunk, end), with the ring full and two listeners on its events as in
// `switchyard` (Engine and EngineApi), no HTTP. Deterministic where the throughput
// benchmarks are noisy: it measures what capture adds to a request's CPU and GC.
//
//   npm run build:cli
//   taskset -c 1 node bench/recorder.js                      # 300,000 exchanges
//   taskset -c 1 node bench/recorder.js --exchanges 100000 --engine DIR
//
// Prints µs of CPU per exchange, of which GC (from perf_hooks' gc entries), and the heap
// used afterwards. All in this process; no network.
import { PerformanceObserver } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { exchanges: { type: 'string' }, engine: { type: 'string' } },
});
const exchanges = Number(values.exchanges ?? 300_000);
if (!Number.isInteger(exchanges) || exchanges < 1 || exchanges > 10_000_000) {
  console.error('--exchanges must be an integer in 1..10000000');
  process.exit(2);
}
const engineDir = resolve(values.engine ?? 'out/cli');
const { Recorder } = await import(pathToFileURL(`${engineDir}/engine/capture/recorder.js`).href);

const recorder = new Recorder();
recorder.events.on('exchange', () => {});
recorder.events.on('exchange', () => {});
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });

const rawHeaders = ['Host', '127.0.0.1:8080', 'User-Agent', 'wrk', 'Accept', '*/*'];
const body = Buffer.alloc(1024, 'a');
function run(n) {
  for (let i = 0; i < n; i++) {
    const r = recorder.begin({
      listener: 'bench',
      client: '127.0.0.1',
      method: 'GET',
      url: `/path/${i & 1023}`,
      host: '127.0.0.1:8080',
      secure: false,
      httpVersion: '1.1',
      rawHeaders,
      websocket: false,
    });
    r.route('app');
    r.attempt('http://127.0.0.1:9000', undefined);
    r.upstreamConnected();
    r.response(200, {
      'content-type': 'text/plain',
      'content-length': '1024',
      date: 'Tue, 08 Dec 2026 00:00:00 GMT',
      'x-n': String(i),
    });
    r.responseData(body);
    r.end('completed', 200);
  }
}

run(20_000); // fills the ring (5,000) and warms up; discarded
gcMs = 0;
const cpu0 = process.cpuUsage();
run(exchanges);
const cpu = process.cpuUsage(cpu0);
await new Promise((r) => setTimeout(r, 50)); // let the last gc entries arrive
const perExchange = (us) => (us / exchanges).toFixed(2);
console.log(
  `${engineDir}: ${exchanges} exchanges, ${perExchange(cpu.user + cpu.system)} µs CPU/exchange, ` +
    `of which GC ${perExchange(gcMs * 1000)} µs; heap used ${(process.memoryUsage().heapUsed / 1048576).toFixed(1)} MB`,
);
