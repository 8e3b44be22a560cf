// Capture benchmark: what the traffic log costs, and whether the log reaches the UI.
//
//   npm run build:cli                     # the engine is loaded from out/cli/
//   npm run bench:capture                 # 10 s per measurement after a 2 s warm-up
//   node bench/capture.js --duration 5 --rate 10000
//
// (a) Throughput with capture on vs off, in the same run: two engine processes run as
//     `switchyard` does (engine + EngineApi + UI server, nobody connected), one with the
//     traffic log paused. Goal: on >= 0.97 x off.
// (b) The log pipeline: an engine with capture on, and a WebSocket client connected through
//     the UI server's bridge, subscribed to `exchanges`, parsing and validating every batch
//     with the contract's zod schema as the browser client does. Measured twice:
//     - through the proxy: a load generator (autocannon) at --rate requests/s;
//     - log only: --rate exchanges/s recorded straight into the traffic log inside the
//       engine process (no HTTP), i.e. the pipeline's own capacity.
//     Printed: exchanges/s delivered, lag (receipt - exchange done, p50/p99/max), and the
//     engine process's memory every second once the ring is full.
//     Goal: 10,000 exchanges/s delivered, lag < 100 ms, memory flat.
//
// Options (flag, or environment variable):
//   --duration S      BENCH_DURATION     measured seconds per measurement        (10)
//   --warmup S        BENCH_WARMUP       warm-up seconds, discarded               (2)
//   --connections N   BENCH_CONNECTIONS  load connections                         (50)
//   --rate N          BENCH_RATE         target requests (exchanges) per second   (10000)
//   --rounds N        BENCH_ROUNDS       (a) rounds, the order alternating        (2)
//   --only a|b        BENCH_ONLY         run one part
//   --tool T          BENCH_TOOL         (a) wrk | autocannon (default: wrk when on PATH)
//   --cpu-prof        BENCH_CPU_PROF=1   (a) V8 CPU profiles of both engines in bench/profiles/
//   --engine DIR      BENCH_ENGINE       compiled engine to load                  (out/cli)
//   --no-pin          BENCH_PIN=0        with --only a: do not pin (pinned as bench:throughput
//                                        pins: both engines on one CPU, the rest on the other)
//
// Every process is its own Node process (fork()); all traffic stays on 127.0.0.1; every
// run is bounded by its duration. See bench/README.md for how to read the numbers.
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';
import {
  PROFILE_DIR,
  UsageError,
  autocannonVersion,
  checkBuild,
  cpuLayout,
  cpuSeconds,
  fmt,
  get,
  measure,
  pinProcess,
  reportCrashes,
  runBenchmark,
  settings,
  startPeer,
  stopAll,
  table,
  wrkVersion,
} from './harness.js';

const GOAL_RATIO = 0.97; // issue "Forwarding at Apache's speed per core"
const GOAL_RATE = 10_000;
const GOAL_LAG_MS = 100;

// ---------------------------------------------------------------------------------------
// Talking to the peers

let nextAsk = 1;
/** Send `message` to a peer over IPC and wait for its answer of the same type and id. */
function ask(peer, message, timeoutMs = 120_000) {
  const id = nextAsk++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      peer.child.off('message', onMessage);
      reject(new Error(`${peer.role} did not answer '${message.type}' within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (m) => {
      if (m?.type !== message.type || m.id !== id) return;
      clearTimeout(timer);
      peer.child.off('message', onMessage);
      resolve(m);
    };
    peer.child.on('message', onMessage);
    peer.child.send({ ...message, id });
  });
}

function engineConfig(backendUrl, extra) {
  return JSON.stringify({
    version: 1,
    listeners: [{ name: 'bench', port: 0, address: '127.0.0.1' }],
    routes: [{ name: 'app', match: { path: '/' }, to: backendUrl }],
    ...extra,
  });
}

const mb = (bytes) => (bytes / (1024 * 1024)).toFixed(1);

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// ---------------------------------------------------------------------------------------
// (a) capture on vs off

async function throughput(s, backend) {
  console.log('\n(a) throughput, capture on vs off');
  const profArgv = s.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] : [];
  if (s.cpuProf) mkdirSync(PROFILE_DIR, { recursive: true });
  const cpu = s.pin !== undefined ? { cpu: s.layout.proxy } : {};
  const [on, off] = await Promise.all([
    startPeer(
      'switchyard-config',
      [engineConfig(backend.url, { ui: true }), s.engineDir],
      profArgv,
      cpu,
    ),
    startPeer(
      'switchyard-config',
      [engineConfig(backend.url, { ui: true, capture: false }), s.engineDir],
      profArgv,
      cpu,
    ),
  ]);
  if (s.cpuProf) {
    console.log(`  CPU profiles in ${PROFILE_DIR}: capture on pid ${on.pid}, off pid ${off.pid}`);
  }
  on.name = 'capture on';
  off.name = 'capture off';
  const reference = await get(`${backend.url}/`);
  for (const p of [on, off]) {
    const r = await get(`${p.url}/`);
    if (r.status !== 200 || !r.body.equals(reference.body)) {
      throw new Error(`${p.name} answered ${r.status} instead of the backend's 200`);
    }
  }
  const totals = new Map([
    [on, { requests: 0, seconds: 0, cpu: 0, p50: [], p99: [], bad: 0 }],
    [off, { requests: 0, seconds: 0, cpu: 0, p50: [], p99: [], bad: 0 }],
  ]);
  const perRound = [];
  for (let round = 0; round < s.extra.rounds; round++) {
    const order = round % 2 === 0 ? [on, off] : [off, on];
    const results = new Map();
    for (const p of order) {
      process.stdout.write(`  round ${round + 1}: ${p.name.padEnd(11)} … `);
      const r = await measure({ name: p.name, url: p.url }, s, [backend, p]);
      results.set(p, r);
      const t = totals.get(p);
      t.requests += r.requests;
      t.seconds += r.seconds;
      t.cpu += (r.cpu[1] ?? 0) * r.wall;
      t.p50.push(r.p50);
      t.p99.push(r.p99);
      t.bad += r.non200 + r.errors;
      console.log(`${fmt.int(r.rps)} req/s, proxy CPU ${fmt.pct(r.cpu[1])}`);
    }
    perRound.push(results.get(on).rps / results.get(off).rps);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rows = [['variant', 'req/s', 'p50 ms', 'p99 ms', 'µs CPU/req', 'non-200+errors']];
  const figures = new Map();
  for (const p of [on, off]) {
    const t = totals.get(p);
    const rps = t.requests / t.seconds;
    const cpuPerReq = (t.cpu / t.requests) * 1e6;
    figures.set(p, { rps, cpuPerReq });
    rows.push([
      p.name,
      fmt.int(rps),
      fmt.ms(median(t.p50)),
      fmt.ms(median(t.p99)),
      cpuPerReq.toFixed(0),
      fmt.int(t.bad),
    ]);
  }
  console.log(`\n${table(rows)}\n`);
  const ratio = figures.get(on).rps / figures.get(off).rps;
  const cpuRatio = figures.get(off).cpuPerReq / figures.get(on).cpuPerReq;
  console.log(
    `capture on / off: ${fmt.x(ratio)} the requests/s (rounds: ${perRound.map(fmt.x).join(', ')}); ` +
      `${fmt.x(cpuRatio)} by CPU per request. Goal >= ${GOAL_RATIO}×: ${ratio >= GOAL_RATIO ? 'met' : 'NOT met'}.`,
  );
  if ([on, off].some((p) => totals.get(p).bad > 0)) process.exitCode = 1;
  return [on, off];
}

// ---------------------------------------------------------------------------------------
// (b) the log pipeline

/** A WebSocket client of the bridge, as the browser's: JSON, then the contract's schema. */
async function connectClient(ui, exchangesSchema) {
  const ws = new WebSocket(`${ui.apiUrl}?token=${ui.token}`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const stats = {
    recording: false,
    /** Ended exchanges seen (first time each), and their lag. */
    delivered: 0,
    lags: [],
    batches: 0,
    invalid: 0,
    seen: new Set(),
    parseMs: 0,
  };
  ws.on('message', (data) => {
    const received = Date.now();
    const t0 = performance.now();
    const message = JSON.parse(data.toString());
    if (message.event !== 'exchanges') return;
    const parsed = exchangesSchema.safeParse(message.payload);
    stats.parseMs += performance.now() - t0;
    if (!parsed.success) {
      stats.invalid++;
      return;
    }
    if (!stats.recording) return;
    stats.batches++;
    for (const x of parsed.data) {
      if (x.outcome === 'pending' || stats.seen.has(x.id)) continue;
      stats.seen.add(x.id);
      stats.delivered++;
      stats.lags.push(received - (x.startedAt + (x.timings.done ?? 0)));
    }
  });
  ws.send(JSON.stringify({ subscribe: ['exchanges'] }));
  return { ws, stats };
}

async function pipeline(s, backend, engine, client, mode) {
  const label =
    mode === 'proxy'
      ? `through the proxy, load generator at ${fmt.int(s.extra.rate)} req/s`
      : `log only, ${fmt.int(s.extra.rate)} exchanges/s recorded in the engine process`;
  console.log(`\n(b) log pipeline: ${label}`);
  const generate = (seconds) =>
    mode === 'proxy'
      ? ask(client.load, {
          type: 'load',
          tool: s.tool,
          url: `${engine.url}/`,
          rate: s.extra.rate,
          seconds,
          connections: s.connections,
        })
      : ask(engine, { type: 'synthesize', rate: s.extra.rate, seconds });

  if (s.warmup > 0) await generate(s.warmup); // fills the ring; discarded
  await new Promise((r) => setTimeout(r, 300));
  const { stats } = client;
  Object.assign(stats, { recording: true, delivered: 0, lags: [], batches: 0, parseMs: 0 });
  stats.seen.clear();

  const samples = [];
  const t0 = Date.now();
  const cpu0 = cpuSeconds(engine.pid);
  const sampler = setInterval(() => {
    void ask(engine, { type: 'memory' }, 5_000).then(
      (m) => samples.push({ t: (Date.now() - t0) / 1000, ...m }),
      () => undefined,
    );
  }, 1_000);
  const generated = await generate(s.duration);
  if (generated.failed) throw new Error(`the load generator failed: ${generated.failed}`);
  const wall = (Date.now() - t0) / 1000;
  const cpu = cpuSeconds(engine.pid);
  // The tail: batches of exchanges that ended in the last moments.
  await new Promise((r) => setTimeout(r, 500));
  clearInterval(sampler);
  samples.push({ t: (Date.now() - t0) / 1000, ...(await ask(engine, { type: 'memory' })) });
  stats.recording = false;

  const produced = mode === 'proxy' ? generated.requests : generated.made;
  const lags = [...stats.lags].sort((a, b) => a - b);
  const rate = stats.delivered / wall;
  const p50 = percentile(lags, 50);
  const p99 = percentile(lags, 99);
  console.log(
    `  produced ${fmt.int(produced)} exchanges in ${wall.toFixed(1)} s (${fmt.int(produced / wall)}/s)` +
      (mode === 'proxy'
        ? `\n  load: ${generated.tool}: ${fmt.int(generated.rps)} req/s answered, p50 ${generated.p50} ms, p99 ${generated.p99} ms, ` +
          `${generated.non2xx} non-2xx, ${generated.errors} errors`
        : ''),
  );
  console.log(
    `  delivered ${fmt.int(stats.delivered)} ended exchanges to the client: ${fmt.int(rate)}/s ` +
      `(${((stats.delivered / Math.max(1, produced)) * 100).toFixed(1)}% of produced) in ${fmt.int(stats.batches)} batches; ` +
      `${stats.invalid} invalid`,
  );
  console.log(
    `  lag (received - exchange done): p50 ${fmt.ms(p50)} ms, p99 ${fmt.ms(p99)} ms, max ${fmt.ms(lags.at(-1) ?? NaN)} ms; ` +
      `client JSON.parse + zod ${fmt.pct(stats.parseMs / 1000 / wall)} of one core; ` +
      `engine process CPU ${cpu0 === undefined ? '–' : fmt.pct((cpu - cpu0) / wall)}`,
  );
  const rows = [
    [
      't s',
      'RSS MB',
      'heap MB',
      'external MB',
      'ring entries',
      'ring MB',
      'bridge pending',
      'buffered KB',
    ],
  ];
  for (const m of samples) {
    rows.push([
      m.t.toFixed(1),
      mb(m.rss),
      mb(m.heapUsed),
      mb(m.external),
      fmt.int(m.ring.entries),
      mb(m.ring.bytes),
      fmt.int(m.bridge?.pendingExchanges ?? 0),
      ((m.bridge?.bufferedBytes ?? 0) / 1024).toFixed(0),
    ]);
  }
  console.log(`\n${table(rows).replace(/^/gm, '  ')}\n`);
  const full = samples.filter((m) => m.ring.entries >= m.maxEntries);
  const half = Math.floor(full.length / 2);
  const peak = (list, key) => Math.max(...list.map((m) => m[key]));
  const dropped = samples.at(-1)?.bridge?.droppedExchanges ?? 0;
  if (full.length >= 4) {
    // The heap saws up and down with GC, so single samples say little. A leak shows as a
    // rising floor: compare the lowest heap and RSS of the two halves (peaks printed too).
    const halves = [full.slice(0, half), full.slice(half)];
    const floor = (list, key) => Math.min(...list.map((m) => m[key]));
    const [heap1, heap2] = halves.map((h) => floor(h, 'heapUsed'));
    const [rss1, rss2] = halves.map((h) => floor(h, 'rss'));
    const [peak1, peak2] = halves.map((h) => peak(h, 'heapUsed'));
    const flat = heap2 <= heap1 * 1.15 + 8 * 2 ** 20 && rss2 <= rss1 * 1.15 + 16 * 2 ** 20;
    console.log(
      `  memory with the ring full (${full.length} samples, first half → second half): ` +
        `heap floor ${mb(heap1)} → ${mb(heap2)} MB (peaks ${mb(peak1)} → ${mb(peak2)}), ` +
        `RSS floor ${mb(rss1)} → ${mb(rss2)} MB: ${flat ? 'flat' : 'GROWING'}; ` +
        `bridge dropped ${fmt.int(dropped)} summaries for lag`,
    );
  } else {
    console.log(
      `  memory: too few samples with the ring full (${full.length}); run longer (--duration)`,
    );
  }
  const verdict = [
    `${fmt.int(rate)}/s delivered ${rate >= GOAL_RATE * 0.98 ? 'meets' : 'does NOT meet'} ${fmt.int(GOAL_RATE)}/s`,
    `lag p99 ${fmt.ms(p99)} ms ${p99 < GOAL_LAG_MS ? 'meets' : 'does NOT meet'} < ${GOAL_LAG_MS} ms`,
  ];
  console.log(`  goal: ${verdict.join('; ')}.`);
}

// ---------------------------------------------------------------------------------------

async function main() {
  const s = settings(import.meta.url, {
    rate: { type: 'string' },
    rounds: { type: 'string' },
    only: { type: 'string' },
    'no-pin': { type: 'boolean' },
  });
  const int = (raw, env, fallback, min, max, flag) => {
    const value = raw ?? process.env[env];
    if (value === undefined || value === '') return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new UsageError(
        `--${flag} (${env}) must be an integer in ${min}..${max}, not '${value}'`,
      );
    }
    return n;
  };
  s.extra.rate = int(s.extra.rate, 'BENCH_RATE', GOAL_RATE, 1, 200_000, 'rate');
  s.extra.rounds = int(s.extra.rounds, 'BENCH_ROUNDS', 2, 1, 20, 'rounds');
  const only = s.extra.only ?? process.env.BENCH_ONLY;
  if (only !== undefined && only !== 'a' && only !== 'b') {
    throw new UsageError(`--only must be a or b, not '${only}'`);
  }
  checkBuild(s.engineDir);
  // (a) is pinned as bench:throughput pins: both engines on the proxy's CPU (only the one
  // being measured is busy), the backend, wrk and this script on the other.
  const layout = cpuLayout(!(s.extra['no-pin'] ?? process.env.BENCH_PIN === '0'));
  s.layout = layout;
  // The UI server must be built too (checkBuild looks at the engine only).
  for (const file of ['engine/engine-api.js', 'server/http.js', 'server/ws-bridge.js']) {
    try {
      await import(new URL(file, pathToFileURL(`${s.engineDir}/`)).href);
    } catch (error) {
      throw new UsageError(
        `${s.engineDir}/${file} cannot be loaded (${error.message}): run \`npm run build:cli\``,
      );
    }
  }
  const { EVENTS } = await import(new URL('shared/api.js', pathToFileURL(`${s.engineDir}/`)).href);

  console.log('Switchyard capture benchmark');
  console.log(
    `machine: ${os.cpus().length} CPU (${os.cpus()[0]?.model.trim() ?? '?'}), load avg ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, node ${process.version}`,
  );
  const toolLabel = s.tool === 'wrk' ? `wrk ${wrkVersion()}` : `autocannon ${autocannonVersion()}`;
  console.log(
    `(a) ${toolLabel}, ${s.connections} connections, ${s.extra.rounds} round(s) of ${s.duration} s per variant after ${s.warmup} s warm-up; ` +
      `(b) ${s.tool === 'wrk' ? `wrk ${wrkVersion()} paced` : `autocannon ${autocannonVersion()}`} at ${fmt.int(s.extra.rate)}/s, ${s.connections} connections, ${s.duration} s after ${s.warmup} s warm-up`,
  );

  console.log(
    `pinning (a): ${layout.proxy !== undefined ? layout.summary : `none: ${layout.reason}`}`,
  );
  const pinned = only === 'a' && layout.proxy !== undefined;
  if (pinned) {
    pinProcess(process.pid, layout.load);
    s.pin = layout.load;
  }
  const backend = await startPeer('backend', [], [], pinned ? { cpu: layout.backend } : {});
  const peers = [backend];
  if (only !== 'b') {
    const engines = await throughput(s, backend);
    peers.push(...engines);
  }
  if (only !== 'a') {
    const engine = await startPeer('switchyard-config', [
      engineConfig(backend.url, { ui: true }),
      s.engineDir,
    ]);
    const load = await startPeer('load', []);
    peers.push(engine, load);
    const client = await connectClient(engine.info.ui, EVENTS.exchanges);
    client.load = load;
    await pipeline(s, backend, engine, client, 'proxy');
    await pipeline(s, backend, engine, client, 'log');
    client.ws.close();
  }
  reportCrashes(peers);
  await stopAll();
}

runBenchmark(main);
