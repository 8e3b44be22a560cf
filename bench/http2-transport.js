// HTTP/2 transport comparison: Switchyard's Http2Transport (node:http2, one session per
// origin) against an undici Pool with `allowH2: true` (and `useH2c: true`, the option that
// makes undici speak HTTP/2 with prior knowledge on a clear-text connection) sending the
// same requests to the same h2c backend, in one run, alternating rounds.
//
//   npm run build:cli                        # the transport is loaded from out/cli/
//   node bench/http2-transport.js            # 2 rounds × 4 s per client after 1 s warm-ups
//   node bench/http2-transport.js --duration 3 --inflight 50 --rounds 3
//
// Options (flag, or environment variable):
//   --duration S   BENCH_DURATION   measured seconds per client and round        (4)
//   --warmup S     BENCH_WARMUP     warm-up seconds per client and round         (1)
//   --inflight N   BENCH_INFLIGHT   requests kept in flight (streams)            (50)
//   --rounds N     BENCH_ROUNDS     rounds; each runs both clients, order swapped (2)
//   --no-pin       BENCH_PIN=0      do not pin processes to CPUs
//   --engine DIR   BENCH_ENGINE     compiled engine to load                      (out/cli)
//
// What is measured is the transport alone, the part the choice changes: both clients run
// in this process, which is pinned alone to the second CPU (bench/harness.js cpuLayout, as
// bench/throughput.js pins the proxy); the backend (bench/http2-peer.js h2-backend, node:http2
// answering every stream with a fixed 100-byte body) runs on the first. Each client keeps
// --inflight GETs in flight on one HTTP/2 connection (undici: `connections: 1`, as the
// transport keeps one session per origin), reads every body and checks its status and
// length. Printed per client: requests/s, p50/p99 latency, this process's CPU µs per
// request (the figure that does not depend on the backend keeping up), and the backend's
// share of its core. All traffic stays on 127.0.0.1; every loop is bounded by time and by
// MAX_REQUESTS.
import { fork } from 'node:child_process';
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Pool, buildConnector } from 'undici';
import {
  HOST,
  ROOT,
  UsageError,
  checkBuild,
  cpuLayout,
  cpuSeconds,
  pinProcess,
  runBenchmark,
  table,
} from './harness.js';
import { BODY } from './http2-peer.js';

const PEER = join(import.meta.dirname, 'http2-peer.js');
/** Latencies kept per measured window (a bound on memory, far above what 2 CPUs reach). */
const MAX_REQUESTS = 2_000_000;

function options() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      inflight: { type: 'string' },
      rounds: { type: 'string' },
      'no-pin': { type: 'boolean' },
      engine: { type: 'string' },
    },
  });
  const number = (flag, env, fallback, min, max) => {
    const raw = values[flag] ?? process.env[env];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new UsageError(`--${flag} (${env}) must be an integer in ${min}..${max}, not '${raw}'`);
    }
    return n;
  };
  return {
    duration: number('duration', 'BENCH_DURATION', 4, 1, 120),
    warmup: number('warmup', 'BENCH_WARMUP', 1, 0, 30),
    inflight: number('inflight', 'BENCH_INFLIGHT', 50, 1, 100),
    rounds: number('rounds', 'BENCH_ROUNDS', 2, 1, 10),
    pin: !(values['no-pin'] ?? process.env.BENCH_PIN === '0'),
    engineDir: resolve(values.engine ?? process.env.BENCH_ENGINE ?? join(ROOT, 'out/cli')),
  };
}

function startBackend(cpu) {
  const child = fork(PEER, ['h2-backend'], {
    cwd: ROOT,
    ...(cpu === undefined ? {} : { execPath: 'taskset', execArgv: ['-c', cpu, process.execPath] }),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  process.on('exit', () => child.kill('SIGKILL'));
  return new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error('h2-backend did not start in 15 s')), 15_000);
    child.once('exit', (code) => reject(new Error(`h2-backend exited (${code})`)));
    child.on('message', (m) => {
      if (m?.type !== 'ready') return;
      clearTimeout(timer);
      resolvePort({ child, port: m.port });
    });
  });
}

// ---------------------------------------------------------------------------------------
// The two clients, each as `send(done)`: one GET, `done(error)` when its body has ended.

/** Switchyard's transport, driven through its Transport interface as the forwarder does. */
async function transportClient(engineDir, port) {
  const { Http2Transport } = await import(
    pathToFileURL(join(engineDir, 'engine/forwarder/http2.js')).href
  );
  const { compileUrlTarget } = await import(
    pathToFileURL(join(engineDir, 'engine/router.js')).href
  );
  const transport = new Http2Transport();
  const target = compileUrlTarget(`h2c://${HOST}:${port}`);
  const headers = { host: target.host, accept: '*/*' };
  return {
    name: 'node:http2 (Http2Transport)',
    send(done) {
      let status = 0;
      let bytes = 0;
      transport.send(
        {
          target,
          method: 'GET',
          path: '/',
          headers,
          body: null,
          verifyTls: true,
          trailers: false,
        },
        {
          connected() {},
          head(head) {
            status = head.status;
          },
          data(chunk) {
            bytes += chunk.length;
            return true;
          },
          end() {
            done(
              status === 200 && bytes === BODY.length ? undefined : new Error(`${status}/${bytes}`),
            );
          },
          error(error) {
            done(error);
          },
        },
      );
    },
    close: () => transport.close(),
  };
}

/** undici with allowH2 (+ useH2c: prior knowledge), sent with dispatch as http1.ts sends. */
function undiciClient(port, inflight) {
  const pool = new Pool(`http://${HOST}:${port}`, {
    allowH2: true,
    // Pool (and Agent) do not pass `useH2c` on to the connector they build (undici 7.30.3,
    // lib/dispatcher/pool.js): without this connector the connection falls back to HTTP/1.1.
    connect: buildConnector({ allowH2: true, useH2c: true }),
    connections: 1,
    pipelining: inflight,
    maxConcurrentStreams: 100,
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  const headers = { accept: '*/*' };
  return {
    name: 'undici Pool (allowH2 + useH2c)',
    send(done) {
      let status = 0;
      let bytes = 0;
      pool.dispatch(
        { path: '/', method: 'GET', headers, body: null, idempotent: false },
        {
          onRequestStart() {},
          onResponseStart(_c, code) {
            status = code;
          },
          onResponseData(_c, chunk) {
            bytes += chunk.length;
          },
          onResponseEnd() {
            done(
              status === 200 && bytes === BODY.length ? undefined : new Error(`${status}/${bytes}`),
            );
          },
          onResponseError(_c, error) {
            done(error);
          },
        },
      );
    },
    close: () => pool.close(),
    /** Did undici really speak HTTP/2? (It falls back to HTTP/1.1 silently otherwise.) */
    pool,
  };
}

// ---------------------------------------------------------------------------------------
// The loop: `inflight` requests outstanding until the time is up.

function drive(client, inflight, seconds, record) {
  return new Promise((resolveRun, reject) => {
    const latencies = record ? new Float64Array(MAX_REQUESTS) : undefined;
    let completed = 0;
    let failed = 0;
    let running = 0;
    let firstError;
    const endAt = performance.now() + seconds * 1000;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const one = () => {
      running++;
      const started = performance.now();
      client.send((error) => {
        running--;
        const now = performance.now();
        if (error) {
          failed++;
          firstError ??= error;
        } else {
          if (latencies && completed < MAX_REQUESTS) latencies[completed] = now - started;
          completed++;
        }
        if (now < endAt && completed < MAX_REQUESTS && failed < 100) one();
        else if (running === 0) finish(now);
      });
    };
    const finish = (now) => {
      const cpu = process.cpuUsage(cpu0);
      if (failed >= 100) {
        reject(
          new Error(`${client.name}: ${failed} failed requests, first: ${firstError?.message}`),
        );
        return;
      }
      const seconds = (now - t0) / 1000;
      const sorted = latencies ? latencies.subarray(0, completed).sort() : undefined;
      const q = (p) =>
        sorted ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0;
      resolveRun({
        completed,
        failed,
        seconds,
        rps: completed / seconds,
        p50: q(0.5),
        p99: q(0.99),
        cpuUsPerRequest: (cpu.user + cpu.system) / completed,
      });
    };
    for (let i = 0; i < inflight; i++) one();
  });
}

async function main() {
  const s = options();
  checkBuild(s.engineDir);
  const layout = cpuLayout(s.pin);
  const { child, port } = await startBackend(layout.backend);
  if (layout.proxy !== undefined) pinProcess(process.pid, layout.proxy);
  const clients = [await transportClient(s.engineDir, port), undiciClient(port, s.inflight)];
  console.log(
    `HTTP/2 transports, ${s.inflight} streams in flight on one connection, ${s.rounds} round(s) × ` +
      `${s.warmup} s warm-up + ${s.duration} s per client; Node ${process.version}; ` +
      `undici ${(await import('undici/package.json', { with: { type: 'json' } })).default.version}`,
  );
  console.log(
    `pinning: ${layout.proxy !== undefined ? `clients (this script) alone on CPU ${layout.proxy}; h2-backend on CPU ${layout.backend}` : `none: ${layout.reason}`}\n`,
  );
  const results = new Map(clients.map((c) => [c.name, []]));
  for (let round = 0; round < s.rounds; round++) {
    const order = round % 2 === 0 ? clients : [...clients].reverse();
    for (const client of order) {
      if (s.warmup > 0) await drive(client, s.inflight, s.warmup, false);
      const backendCpu0 = cpuSeconds(child.pid);
      const r = await drive(client, s.inflight, s.duration, true);
      r.backendShare = (cpuSeconds(child.pid) - backendCpu0) / r.seconds;
      results.get(client.name).push(r);
      console.log(
        `round ${round + 1} ${client.name}: ${Math.round(r.rps)} req/s, p99 ${r.p99.toFixed(2)} ms, ` +
          `${r.cpuUsPerRequest.toFixed(1)} µs CPU/request, backend at ${Math.round(r.backendShare * 100)} % of its core`,
      );
    }
  }
  const undiciPool = clients[1].pool;
  const h2 = undiciPool.stats?.connected;
  const sum = (list, key) => list.reduce((a, r) => a + r[key], 0) / list.length;
  const rows = [['client', 'req/s', 'p50 ms', 'p99 ms', 'µs CPU/req', 'backend core']];
  const mean = new Map();
  for (const [name, list] of results) {
    const m = {
      rps: list.reduce((a, r) => a + r.completed, 0) / list.reduce((a, r) => a + r.seconds, 0),
      p50: sum(list, 'p50'),
      p99: sum(list, 'p99'),
      cpu: sum(list, 'cpuUsPerRequest'),
      backend: sum(list, 'backendShare'),
    };
    mean.set(name, m);
    rows.push([
      name,
      String(Math.round(m.rps)),
      m.p50.toFixed(2),
      m.p99.toFixed(2),
      m.cpu.toFixed(1),
      `${Math.round(m.backend * 100)} %`,
    ]);
  }
  console.log(`\n${table(rows)}`);
  const [a, b] = [...mean.values()];
  console.log(
    `\nnode:http2 vs undici: ${(a.rps / b.rps).toFixed(2)}× requests/s, ` +
      `${(a.p99 / b.p99).toFixed(2)}× p99 latency, ${(a.cpu / b.cpu).toFixed(2)}× CPU per request ` +
      `(undici connections open at the end: ${h2 ?? 'n/a'})`,
  );
  for (const c of clients) await c.close();
  child.send({ type: 'stop' });
  child.kill('SIGTERM');
}

runBenchmark(main);
