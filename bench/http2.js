// HTTP/2 benchmark: h2load (h2c, prior knowledge) → Switchyard's engine → an h2c backend,
// against the backend on its own and, in the same run, Caddy and nginx proxying to the same
// backend over HTTP/2; then gRPC unary calls per second through Switchyard against direct.
//
//   npm run build:cli                     # the engine is loaded from out/cli/
//   npm run bench:http2                   # 10 s per target after a 2 s warm-up
//   node bench/http2.js --duration 5
//   node bench/http2.js --connections 10 --streams 10 --grpc-concurrency 50
//
// Options (flag, or environment variable):
//   --duration S          BENCH_DURATION          measured seconds per target             (10)
//   --warmup S            BENCH_WARMUP            warm-up seconds per target, discarded   (2)
//   --connections N       BENCH_CONNECTIONS       h2load clients (HTTP/2 connections)     (10)
//   --streams N           BENCH_STREAMS           h2load -m: streams in flight per client (10)
//   --threads N           BENCH_THREADS           h2load threads                          (1 on <= 2 CPUs, else 2)
//   --grpc-concurrency N  BENCH_GRPC_CONCURRENCY  unary gRPC calls in flight, one channel (50)
//   --no-peers            BENCH_PEERS=0           skip Caddy and nginx
//   --no-pin              BENCH_PIN=0             do not pin processes to CPUs
//   --cpu-prof            BENCH_CPU_PROF=1        V8 CPU profiles of the engines in bench/profiles/
//   --engine DIR          BENCH_ENGINE            compiled engine to load                 (out/cli)
//
// The load tool is h2load (Debian: nghttp2-client); --tool does not apply. Pinned as
// bench/throughput.js pins (bench/harness.js cpuLayout): the proxy under test alone on the
// second CPU, the backend, h2load, the gRPC client and this script on the others. The
// backend is node:http2 (h2c) answering every stream with the throughput benchmark's fixed
// 100-byte body; Caddy (`reverse_proxy h2c://`, GOMAXPROCS=1) and nginx (`listen … http2`,
// `grpc_pass grpc://`, one worker) run from generated configurations under bench/peers.js's
// guardian. All traffic stays on 127.0.0.1. See bench/README.md for how to read it.
import { fork, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http2 from 'node:http2';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  HOST,
  PROFILE_DIR,
  ROOT,
  UsageError,
  backendCounts,
  checkBuild,
  cpuLayout,
  cpuSeconds,
  fmt,
  pinProcess,
  reportCrashes,
  runBenchmark,
  settings,
  startPeer,
  stopAll,
  stopChild,
  table,
  treeCpuSeconds,
} from './harness.js';
import { BODY, GRPC_SERVICE_PATH } from './http2-peer.js';
import { freePort, probePeer } from './peers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const PEER = join(HERE, 'http2-peer.js');

/** Below this share of its core, a pinned proxy was held back by the other core. */
const SATURATED = 0.85;

// ---------------------------------------------------------------------------------------
// This script's own children (http2-peer.js roles, h2load): the harness tracks only the
// ones it starts (throughput-peer.js roles, the peers' guardians), so these get the same
// treatment here: stopped at the end, killed on any exit (the harness's Ctrl-C handler
// stops its children and exits, which runs the handler below). The Node ones also exit on
// their own when the IPC channel closes.

const mine = new Set();
let phase = 'start-up';

process.on('exit', () => {
  for (const c of mine) c.kill('SIGKILL');
});

function track(child) {
  mine.add(child);
  child.once('exit', () => mine.delete(child));
  return child;
}

/** Fork bench/http2-peer.js in `role`, pinned to `cpu` as harness.startPeer pins. */
function startOwnPeer(role, { cpu } = {}) {
  const child = track(
    fork(PEER, [role], {
      cwd: ROOT,
      ...(cpu === undefined
        ? {}
        : { execPath: 'taskset', execArgv: ['-c', cpu, process.execPath] }),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const peer = { role, child, pid: child.pid, uncaught: [], exit: undefined };
  child.once('exit', (code, signal) => (peer.exit = signal ?? `code ${code}`));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} did not start within 15 s`)), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`${role} exited during start-up (${peer.exit})`));
    });
    child.on('message', (m) => {
      if (m?.type === 'uncaught') peer.uncaught.push({ phase, message: m.message });
      else if (m?.type === 'ready') {
        clearTimeout(timer);
        resolve(Object.assign(peer, { port: m.port, url: `http://${HOST}:${m.port}` }));
      } else if (m?.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`${role} failed to start:\n${m.message}`));
      }
    });
  });
}

async function stopEverything() {
  await Promise.all([stopAll(), ...[...mine].map((c) => stopChild(c))]);
}

// ---------------------------------------------------------------------------------------
// Helpers

/** One GET over a fresh HTTP/2 connection with prior knowledge (h2c). */
function h2get(url) {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`h2c GET ${url} timed out`));
    }, 5_000);
    const fail = (error) => {
      clearTimeout(timer);
      session.destroy();
      reject(new Error(`h2c GET ${url}: ${error?.message ?? error}`));
    };
    session.once('error', fail);
    const req = session.request({ ':path': '/' });
    const chunks = [];
    let status;
    req.once('response', (headers) => (status = headers[':status']));
    req.on('data', (c) => chunks.push(c));
    req.once('error', fail);
    req.once('end', () => {
      clearTimeout(timer);
      session.close();
      resolve({ status, body: Buffer.concat(chunks) });
    });
    req.end();
  });
}

function h2loadVersion() {
  const r = spawnSync('h2load', ['--version'], { encoding: 'utf8', timeout: 5_000 });
  const match = r.error ? null : /h2load\s+(\S+)/.exec(`${r.stdout}${r.stderr}`);
  return match ? match[1] : null;
}

const cpuOf = (p) => (p.cpuTree ? treeCpuSeconds(p.pid) : cpuSeconds(p.pid));

/**
 * A snapshot of what the measured window is compared against: CPU seconds of each watched
 * process, the backend's counters (optional) and the time.
 */
async function reading(watch, counted) {
  const at = process.hrtime.bigint();
  const cpu = watch.map(cpuOf);
  return { at, cpu, counts: counted ? await backendCounts(counted) : undefined };
}

function windowOf(before, after) {
  const wall = Number(after.at - before.at) / 1e9;
  const cpuSecs = before.cpu.map((b, i) =>
    b === undefined || after.cpu[i] === undefined ? undefined : after.cpu[i] - b,
  );
  return {
    wall,
    cpuSecs,
    cpu: cpuSecs.map((c) => (c === undefined ? undefined : c / wall)),
    counts: before.counts && {
      requests: after.counts.requests[0] - before.counts.requests[0],
      connections: after.counts.connections[0] - before.counts.connections[0],
    },
  };
}

function quantile(sorted, q) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
}

// ---------------------------------------------------------------------------------------
// h2load

/**
 * h2load against `url` (prior-knowledge h2c: its default for http:// URLs): the warm-up
 * (--warm-up-time, on the same connections, discarded) and the measured duration (-D) in
 * one invocation. The CPU readings are taken when h2load announces the start and the end of
 * its measured window. Per-request status and latency come from its --log-file, which
 * holds the measured window's requests only.
 */
async function runH2load(target, s, watch, counted, logDir) {
  const logFile = join(logDir, `${target.key}.log`);
  const args = [
    '-c',
    String(s.clients),
    '-m',
    String(s.streams),
    '-t',
    String(s.h2Threads),
    '-D',
    String(s.duration),
    ...(s.warmup > 0 ? ['--warm-up-time', String(s.warmup)] : []),
    '--log-file',
    logFile,
    `${target.url}/`,
  ];
  const [command, argv] = s.pin ? ['taskset', ['-c', s.pin, 'h2load', ...args]] : ['h2load', args];
  const child = track(spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  let lineStart = 0;
  let before;
  let after;
  const pending = [];
  child.stdout.on('data', (d) => {
    out += d;
    // Whole lines only; the first thread to start or end its measured window decides.
    const end = out.lastIndexOf('\n');
    if (end < lineStart) return;
    const lines = out.slice(lineStart, end).split('\n');
    lineStart = end + 1;
    for (const line of lines) {
      if (!before && line.startsWith('Main benchmark duration is started')) {
        phase = `${target.name} measured run`;
        before = reading(watch, counted);
        pending.push(before);
      } else if (before && !after && line.startsWith('Main benchmark duration is over')) {
        after = reading(watch, counted);
        pending.push(after);
      }
    }
  });
  child.stderr.on('data', (d) => (err += d));
  phase = `${target.name} warm-up`;
  const watchdog = setTimeout(() => child.kill('SIGKILL'), (s.warmup + s.duration + 30) * 1_000);
  const [code, signal] = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c, sig) => resolve([c, sig]));
  });
  clearTimeout(watchdog);
  phase = 'between runs';
  await Promise.all(pending);
  const fail = (why) =>
    new Error(
      `h2load ${args.join(' ')} against ${target.name}: ${why} (${signal ?? `code ${code}`}):\n${out}${err}`,
    );
  const finished = /finished in ([\d.]+)s, ([\d.]+) req\/s/.exec(out);
  const requests =
    /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(
      out,
    );
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
  const protocol = /Application protocol: (\S+)/.exec(out)?.[1];
  if (!finished || !requests || !codes) throw fail('no summary');
  if (protocol !== 'h2c') throw fail(`negotiated ${protocol ?? 'no protocol'}, not h2c`);
  if (!before || !after) throw fail('no measured window announced');

  const [, total, , done, succeeded, failed, errored, timeout] = requests.map(Number);
  const [, c2, c3, c4, c5] = codes.map(Number);
  const log = await readFile(logFile, 'utf8').catch(() => '');
  await rm(logFile, { force: true });
  const latencies = [];
  let logNon200 = 0;
  for (const line of log.split('\n')) {
    if (!line) continue;
    const [, status, us] = line.split('\t');
    if (status !== '200') logNon200++;
    latencies.push(Number(us) / 1000);
  }
  const sorted = Float64Array.from(latencies).sort();
  const w = windowOf(await before, await after);
  return {
    rps: Number(finished[2]),
    requests: total,
    done,
    succeeded,
    ok2xx: c2,
    non2xx: c3 + c4 + c5,
    logNon200,
    errors: failed + errored + timeout + (total - done),
    errorDetail: `failed ${failed}, errored ${errored}, timeout ${timeout}, unfinished ${total - done}`,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    ...w,
  };
}

// ---------------------------------------------------------------------------------------
// gRPC

let grpcId = 0;
/** One gRPC measurement by the client process: warm-up, then the measured window. */
function runGrpc(client, name, address, s, watch, counted) {
  const id = ++grpcId;
  let before;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => {
        client.child.off('message', onMessage);
        reject(new Error(`the gRPC client did not finish ${name} within its duration + 30 s`));
      },
      (s.warmup + s.duration + 30) * 1_000,
    );
    const onMessage = async (m) => {
      if (m?.id !== id) return;
      if (m.type === 'grpc-main') {
        phase = `${name} measured run`;
        before = reading(watch, counted);
        return;
      }
      if (m.type !== 'grpc') return;
      clearTimeout(timer);
      client.child.off('message', onMessage);
      phase = 'between runs';
      try {
        if (m.error) throw new Error(`gRPC ${name} (${address}): ${m.error}`);
        const after = await reading(watch, counted);
        const w = windowOf(await before, after);
        resolve({ ...m, rps: m.ok / m.seconds, ...w });
      } catch (error) {
        reject(error);
      }
    };
    client.child.on('message', onMessage);
    phase = `${name} warm-up`;
    client.child.send({
      type: 'grpc',
      id,
      address,
      concurrency: s.grpcConcurrency,
      warmup: s.warmup,
      seconds: s.duration,
    });
  });
}

// ---------------------------------------------------------------------------------------
// The peers: Caddy and nginx with HTTP/2 configurations (bench/http2-peer.js adds them to
// bench/peers.js's table inside the guardian it is preloaded into).

async function startH2Peers(backend, layout, s) {
  const started = [];
  const skipped = [];
  const inflight = s.clients * s.streams;
  for (const [key, base] of [
    ['caddy-h2c', 'caddy'],
    ['nginx-h2c', 'nginx'],
  ]) {
    const name = base === 'caddy' ? 'Caddy' : 'nginx';
    const probe = probePeer(base);
    if (!probe.bin) {
      skipped.push({ key, name, reason: probe.reason });
      continue;
    }
    const h2port = key === 'nginx-h2c' ? await freePort() : undefined;
    const preload = `${pathToFileURL(PEER).href}?peers&inflight=${inflight}${h2port ? `&h2port=${h2port}` : ''}`;
    const spec = JSON.stringify({ peer: key, backendUrl: backend.url, cpu: layout.proxy });
    try {
      // The guardian idles next to the load tool; the server gets the proxy's CPU.
      const peer = await startPeer('server', [spec], ['--import', preload], { cpu: layout.load });
      peer.role = name;
      // nginx: the guardian's port is the HTTP/1.1 readiness server; h2c is on h2port.
      if (h2port) peer.url = `http://${HOST}:${h2port}`;
      started.push({ key, name, peer, info: peer.info });
    } catch (error) {
      const message = String(error?.message ?? error)
        .split('\n')
        .filter((l) => !/^\s+at /.test(l) && l !== 'server failed to start:')
        .map((l) => l.replace(/^Error: /, ''))
        .join('\n           ');
      skipped.push({ key, name, reason: `failed to start: ${message}`, failed: true });
    }
  }
  return { started, skipped };
}

// ---------------------------------------------------------------------------------------

async function main() {
  const s = settings(import.meta.url, {
    streams: { type: 'string' },
    'grpc-concurrency': { type: 'string' },
    'no-peers': { type: 'boolean' },
    'no-pin': { type: 'boolean' },
  });
  const int = (flag, env, fallback, max) => {
    const raw = s.extra[flag] ?? process.env[env];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > max) {
      throw new UsageError(`--${flag} (${env}) must be an integer in 1..${max}, not '${raw}'`);
    }
    return n;
  };
  // The harness's --connections defaults to 50 HTTP/1.1 connections; with HTTP/2 each
  // client carries --streams requests at once, so the default here is 10 × 10 in flight.
  const connectionsGiven =
    process.argv.some((a) => a === '--connections' || a.startsWith('--connections=')) ||
    Boolean(process.env.BENCH_CONNECTIONS);
  s.clients = connectionsGiven ? s.connections : 10;
  s.h2Threads = Math.min(s.threads, s.clients);
  s.streams = int('streams', 'BENCH_STREAMS', 10, 1_000);
  s.grpcConcurrency = int('grpc-concurrency', 'BENCH_GRPC_CONCURRENCY', 50, 10_000);
  const withPeers = !(s.extra['no-peers'] ?? process.env.BENCH_PEERS === '0');
  const layout = cpuLayout(!(s.extra['no-pin'] ?? process.env.BENCH_PIN === '0'));
  const version = h2loadVersion();
  if (!version) {
    throw new UsageError('h2load is not on PATH (Debian: apt-get install nghttp2-client)');
  }
  checkBuild(s.engineDir);
  if (layout.proxy !== undefined) {
    pinProcess(process.pid, layout.load);
    s.pin = layout.load;
  }

  console.log('Switchyard HTTP/2 benchmark');
  console.log(
    `load tool: h2load ${version} (h2c prior knowledge, ${s.h2Threads} thread${s.h2Threads > 1 ? 's' : ''}), ` +
      `${s.clients} clients × ${s.streams} streams, ${s.duration} s per target after a ${s.warmup} s warm-up`,
  );
  console.log(
    `gRPC:      @grpc/grpc-js client, ${s.grpcConcurrency} unary calls in flight on one channel, same durations`,
  );
  console.log(
    `machine:   ${os.cpus().length} CPU (${os.cpus()[0]?.model.trim() ?? '?'}), load avg ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, node ${process.version}`,
  );
  console.log(
    `pinning:   ${layout.proxy !== undefined ? `${layout.summary.replace('load tool', 'h2load, the gRPC client')}` : `none: ${layout.reason}`}`,
  );

  const profArgv = s.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] : [];
  if (s.cpuProf) mkdirSync(PROFILE_DIR, { recursive: true });

  const [backend, grpcBackend, grpcClient] = await Promise.all([
    startOwnPeer('h2-backend', { cpu: layout.backend }),
    startOwnPeer('grpc-backend', { cpu: layout.backend }),
    startOwnPeer('grpc-client', { cpu: layout.load }),
  ]);
  const engineConfig = (routes) =>
    JSON.stringify({ version: 1, listeners: [{ name: 'bench', port: 0, address: HOST }], routes });
  const [engine, grpcEngine] = await Promise.all([
    startPeer(
      'switchyard-config',
      [
        engineConfig([{ name: 'app', match: { path: '/' }, to: `h2c://${HOST}:${backend.port}` }]),
        s.engineDir,
      ],
      profArgv,
      { cpu: layout.proxy },
    ),
    startPeer(
      'switchyard-config',
      [
        engineConfig([
          {
            name: 'grpc',
            match: { path: GRPC_SERVICE_PATH },
            to: `h2c://${HOST}:${grpcBackend.port}${GRPC_SERVICE_PATH}`,
          },
        ]),
        s.engineDir,
      ],
      profArgv,
      { cpu: layout.proxy },
    ),
  ]);
  engine.role = 'switchyard engine';
  grpcEngine.role = 'switchyard engine (gRPC)';
  const peers = withPeers ? await startH2Peers(backend, layout, s) : { started: [], skipped: [] };

  const engineRel = relative(ROOT, s.engineDir);
  console.log(`engine:    ${engineRel.startsWith('..') ? s.engineDir : engineRel}`);
  console.log(
    `backend:   node:http2 h2c on ${backend.url} (pid ${backend.pid}), fixed 100-byte body`,
  );
  console.log(
    `switchyard: one plain listener (h2c by prior knowledge), route / → h2c://${HOST}:${backend.port}, capture on (pid ${engine.pid})`,
  );
  console.log(
    `gRPC path: @grpc/grpc-js server (pid ${grpcBackend.pid}); via a second engine (pid ${grpcEngine.pid}), route ${GRPC_SERVICE_PATH} → h2c://${HOST}:${grpcBackend.port}${GRPC_SERVICE_PATH}; client pid ${grpcClient.pid}`,
  );
  for (const p of peers.started) {
    console.log(`peer:      ${p.name} ${p.info.version} (pid ${p.info.pid}): ${p.info.describe}`);
    console.log(`           ${p.info.command}`);
  }
  for (const p of peers.skipped) console.log(`peer:      ${p.name} SKIPPED: ${p.reason}`);
  if (!withPeers) console.log('peer:      Caddy and nginx not measured (--no-peers)');
  console.log('');

  const targets = [
    { key: 'direct', name: 'direct (backend)', url: backend.url, proxy: undefined },
    { key: 'switchyard', name: 'switchyard engine', url: engine.url, proxy: engine },
    ...peers.started.map((p) => ({
      key: p.key,
      name: p.name,
      url: p.peer.url,
      proxy: p.peer,
      peer: p,
    })),
  ];

  // Every target must answer an h2c GET with 200 and the backend's exact body before it
  // is measured (h2load checks status codes, not bodies). A peer that does not is reported
  // and left out; Switchyard or the backend not doing so ends the run.
  const unverified = [];
  for (const t of [...targets]) {
    let problem;
    try {
      const r = await h2get(`${t.url}/`);
      if (r.status !== 200 || !r.body.equals(BODY)) {
        problem = `answered ${r.status} with ${r.body.length} bytes instead of 200 with the backend's ${BODY.length}-byte body`;
      }
    } catch (error) {
      problem = String(error?.message ?? error);
    }
    if (problem === undefined) continue;
    if (!t.peer) throw new Error(`${t.name} (${t.url}) over h2c: ${problem}`);
    unverified.push(`${t.name}: ${problem}`);
    targets.splice(targets.indexOf(t), 1);
  }
  for (const u of unverified) console.log(`peer:      ${u}; NOT measured`);

  const logDir = await mkdtemp(join(os.tmpdir(), 'switchyard-bench-h2load-'));
  try {
    for (const t of targets) {
      process.stdout.write(`measuring ${t.name.padEnd(18)} ${t.url} … `);
      t.result = await runH2load(t, s, [backend, ...(t.proxy ? [t.proxy] : [])], backend, logDir);
      const r = t.result;
      for (const p of [backend, ...(t.proxy ? [t.proxy] : [])]) {
        if (p.exit !== undefined) {
          throw new Error(`the ${p.role} process exited (${p.exit}) while measuring ${t.name}`);
        }
      }
      const bad = r.non2xx + r.errors;
      console.log(
        `${fmt.int(r.rps)} req/s${bad > 0 ? `  (${r.non2xx} non-2xx; ${r.errorDetail})` : ''}`,
      );
    }
  } finally {
    await rm(logDir, { recursive: true, force: true });
  }

  // gRPC unary calls: direct, then through Switchyard.
  const grpcTargets = [
    { name: 'gRPC direct', address: `${HOST}:${grpcBackend.port}`, proxy: undefined },
    { name: 'gRPC via switchyard', address: `${HOST}:${grpcEngine.port}`, proxy: grpcEngine },
  ];
  for (const g of grpcTargets) {
    process.stdout.write(`measuring ${g.name.padEnd(18)} ${g.address} … `);
    g.result = await runGrpc(grpcClient, g.name, g.address, s, [
      grpcBackend,
      grpcClient,
      ...(g.proxy ? [g.proxy] : []),
    ]);
    const r = g.result;
    console.log(
      `${fmt.int(r.rps)} calls/s${r.failed + r.badReply > 0 ? `  (${r.failed} failed, ${r.badReply} wrong replies; first: ${r.firstError})` : ''}`,
    );
  }

  // ---- report
  const direct = targets[0].result;
  const rows = [
    [
      'target',
      'req/s',
      '×direct',
      'p50 ms',
      'p99 ms',
      'requests',
      'non-2xx',
      'errors',
      'backend sessions',
      'proxy CPU',
      'proxy µs/req',
      'backend CPU',
    ],
  ];
  for (const t of targets) {
    const r = t.result;
    rows.push([
      t.name,
      fmt.int(r.rps),
      fmt.x(r.rps / direct.rps),
      fmt.ms(r.p50),
      fmt.ms(r.p99),
      fmt.int(r.requests),
      fmt.int(r.non2xx),
      fmt.int(r.errors),
      fmt.int(r.counts.connections),
      t.proxy ? fmt.pct(r.cpu[1]) : '–',
      t.proxy && r.cpuSecs[1] !== undefined ? fmt.int((r.cpuSecs[1] * 1e6) / r.requests) : '–',
      fmt.pct(r.cpu[0]),
    ]);
  }
  console.log(`\n${table(rows)}\n`);

  const grpcDirect = grpcTargets[0].result;
  const grpcRows = [
    [
      'gRPC unary',
      'calls/s',
      '×direct',
      'p50 ms',
      'p99 ms',
      'calls',
      'failed',
      'wrong reply',
      'proxy CPU',
      'proxy µs/call',
      'backend CPU',
      'client CPU',
    ],
  ];
  for (const g of grpcTargets) {
    const r = g.result;
    grpcRows.push([
      g.name,
      fmt.int(r.rps),
      fmt.x(r.rps / grpcDirect.rps),
      fmt.ms(r.p50),
      fmt.ms(r.p99),
      fmt.int(r.ok),
      fmt.int(r.failed),
      fmt.int(r.badReply),
      g.proxy ? fmt.pct(r.cpu[2]) : '–',
      g.proxy && r.cpuSecs[2] !== undefined ? fmt.int((r.cpuSecs[2] * 1e6) / r.ok) : '–',
      fmt.pct(r.cpu[0]),
      fmt.pct(r.cpu[1]),
    ]);
  }
  console.log(`${table(grpcRows)}\n`);
  console.log(
    '(×direct: ratio of req/s or calls/s, higher is better. CPU: share of one core during the measured window, all\n' +
      " processes of the proxy together. proxy µs/req: the proxy's CPU time per request, lower is better. backend sessions:\n" +
      ' HTTP/2 connections the backend accepted during the measured window; 0 means the proxy kept its backend connections\n' +
      " (h2load's own open during the warm-up). Bodies are checked once per target before measuring; h2load checks statuses.)",
  );
  if (layout.proxy !== undefined) {
    const unsaturated = targets.filter((t) => t.proxy && t.result.cpu[1] < SATURATED);
    if (unsaturated.length > 0) {
      console.log(
        `(Not CPU-bound: ${unsaturated.map((t) => `${t.name} ${fmt.pct(t.result.cpu[1])}`).join(', ')} of its core. ` +
          'The other core (backend + h2load) or waiting held it back; its ratio is a lower bound.)',
      );
    }
  }

  const sy = targets.find((t) => t.key === 'switchyard').result;
  const vs = (key, label) => {
    const t = targets.find((x) => x.key === key);
    if (!t) {
      const skip = peers.skipped.find((p) => p.key === key);
      return `${label} not measured${skip ? ` (${skip.failed ? 'failed to start' : 'not installed'})` : withPeers ? ' (did not answer correctly)' : ' (--no-peers)'}`;
    }
    return `${label === 'Caddy' ? `${fmt.x(sy.rps / t.result.rps)} the requests/s` : fmt.x(sy.rps / t.result.rps)} (${fmt.int(sy.rps)} vs ${fmt.int(t.result.rps)})`;
  };
  console.log(`\nSwitchyard at ${fmt.x(sy.rps / direct.rps)} direct over HTTP/2.`);
  console.log(
    `Switchyard vs Caddy (this run): ${vs('caddy-h2c', 'Caddy')}; vs nginx: ${vs('nginx-h2c', 'nginx')}.`,
  );
  const caddy = targets.find((t) => t.key === 'caddy-h2c');
  if (caddy) {
    const met = sy.rps >= caddy.result.rps;
    console.log(
      `Goal (Switchyard's h2 requests/s ≥ Caddy's in the same run): ${met ? 'met' : 'NOT met'}.`,
    );
  }
  const grpcSy = grpcTargets[1].result;
  console.log(
    `gRPC unary calls/s: through Switchyard ${fmt.int(grpcSy.rps)} vs direct ${fmt.int(grpcDirect.rps)}: ${fmt.x(grpcSy.rps / grpcDirect.rps)} direct.`,
  );

  reportCrashes([backend, grpcBackend, grpcClient, engine, grpcEngine]);

  const failed = peers.skipped.filter((p) => p.failed);
  if (failed.length > 0 || unverified.length > 0) {
    console.log(
      `\nWARNING: ${[...failed.map((p) => `${p.name} is installed but ${p.reason}`), ...unverified].join('\n')}`,
    );
    process.exitCode = 1;
  }
  const invalid = targets.filter((t) => t.result.non2xx + t.result.errors > 0);
  const grpcInvalid = grpcTargets.filter((g) => g.result.failed + g.result.badReply > 0);
  if (invalid.length > 0 || grpcInvalid.length > 0) {
    console.log(
      `\nWARNING: ${[
        ...invalid.map((t) => `${t.name}: ${t.result.non2xx} non-2xx, ${t.result.errorDetail}`),
        ...grpcInvalid.map(
          (g) =>
            `${g.name}: ${g.result.failed} failed, ${g.result.badReply} wrong replies (first: ${g.result.firstError})`,
        ),
      ].join(
        '; ',
      )}. Those rows include failed exchanges; their rate is not pure successful throughput.`,
    );
    process.exitCode = 1;
  }

  await stopEverything();
  if (s.cpuProf) {
    const profiles = readdirSync(PROFILE_DIR).filter((f) => f.endsWith('.cpuprofile'));
    console.log(
      `\nCPU profiles (switchyard pid ${engine.pid}, gRPC switchyard pid ${grpcEngine.pid}) in ${relative(process.cwd(), PROFILE_DIR) || '.'}/: ${profiles.join(', ')}`,
    );
  }
}

runBenchmark(async () => {
  try {
    await main();
  } finally {
    await Promise.all([...mine].map((c) => stopChild(c)));
  }
});
