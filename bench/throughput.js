// Throughput benchmark: Switchyard's engine against the backend it fronts and against a
// bare http-proxy-3 server, measured in one run with one load tool and one set of settings.
//
//   npm run build:cli                     # the engine is loaded from out/cli/
//   npm run bench:throughput              # 10 s per target after a 2 s warm-up, 50 connections
//   node bench/throughput.js --duration 5 --connections 50
//
// Options (flag, or environment variable):
//   --duration S      BENCH_DURATION     measured seconds per target            (10)
//   --warmup S        BENCH_WARMUP       warm-up seconds per target, discarded  (2)
//   --connections N   BENCH_CONNECTIONS  concurrent keep-alive connections      (50)
//   --threads N       BENCH_THREADS      wrk threads            (1 on <= 2 CPUs, else 2)
//   --tool T          BENCH_TOOL         wrk | autocannon (default: wrk when on PATH)
//   --cpu-prof        BENCH_CPU_PROF=1   write V8 CPU profiles of the two proxies to bench/profiles/
//   --engine DIR      BENCH_ENGINE       compiled engine to load               (out/cli)
//
// Every process is its own single Node process: the backend, the bare proxy and the engine
// each run in a child started with fork(); all traffic stays on 127.0.0.1. See
// bench/README.md for how to read the numbers.
import { mkdirSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { relative } from 'node:path';
import {
  PROFILE_DIR,
  ROOT,
  autocannonVersion,
  checkBuild,
  fmt,
  get,
  measure,
  reportCrashes,
  runBenchmark,
  settings,
  startPeer,
  stopAll,
  table,
  wrkVersion,
} from './harness.js';

/** Quoted from earlier measurements on this machine class; NOT measured by this script. */
const REFERENCE = [
  ['raw undici pipe', 0.29],
  ['Apache mod_proxy', 0.27],
  ['Caddy', 0.22],
  ['raw node:http pipe', 0.2],
  ['bare http-proxy-3', 0.12],
];

// ---------------------------------------------------------------------------------------

async function main() {
  const s = settings(import.meta.url);
  checkBuild(s.engineDir);
  const toolLabel =
    s.tool === 'wrk'
      ? `wrk ${wrkVersion()} (${s.threads} thread${s.threads > 1 ? 's' : ''})`
      : `autocannon ${autocannonVersion()} (in-process${wrkVersion() ? '' : '; wrk not on PATH'})`;
  console.log('Switchyard throughput benchmark');
  console.log(
    `load tool: ${toolLabel}, ${s.connections} connections, ${s.duration} s per target after a ${s.warmup} s warm-up`,
  );
  console.log(
    `machine:   ${os.cpus().length} CPU (${os.cpus()[0]?.model.trim() ?? '?'}), load avg ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, node ${process.version}`,
  );

  const profArgv = s.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] : [];
  if (s.cpuProf) mkdirSync(PROFILE_DIR, { recursive: true });

  const backend = await startPeer('backend', []);
  const [bare, engine] = await Promise.all([
    startPeer('bare', [backend.url], profArgv),
    startPeer('switchyard', [backend.url, s.engineDir], profArgv),
  ]);
  const engineRel = relative(ROOT, s.engineDir);
  console.log(`engine:    ${engineRel.startsWith('..') ? s.engineDir : engineRel}`);
  console.log(
    `backend:   node:http on ${backend.url} (pid ${backend.pid}), fixed 100-byte body, keep-alive\n`,
  );

  const targets = [
    { name: 'direct (backend)', url: backend.url, proxy: undefined },
    { name: 'bare http-proxy-3', url: bare.url, proxy: bare },
    { name: 'switchyard engine', url: engine.url, proxy: engine },
  ];

  // Each target must answer 200 with the backend's exact body before it is measured.
  const reference = await get(`${backend.url}/`);
  for (const t of targets) {
    const r = await get(`${t.url}/`);
    if (r.status !== 200 || !r.body.equals(reference.body)) {
      throw new Error(
        `${t.name} (${t.url}) answered ${r.status} with ${r.body.length} bytes instead of 200 with the backend's ${reference.body.length}-byte body`,
      );
    }
  }

  for (const t of targets) {
    process.stdout.write(`measuring ${t.name.padEnd(18)} ${t.url} … `);
    t.result = await measure(t, s, [backend, ...(t.proxy ? [t.proxy] : [])]);
    const bad = t.result.non200 + t.result.errors;
    console.log(
      `${fmt.int(t.result.rps)} req/s${bad > 0 ? `  (${t.result.non200} non-200; ${t.result.errorDetail})` : ''}`,
    );
  }

  const direct = targets[0].result;
  const rows = [
    [
      'target',
      'req/s',
      '×direct',
      'p50 ms',
      '×direct',
      'p99 ms',
      '×direct',
      'requests',
      'non-200',
      'errors',
      'proxy CPU',
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
      fmt.x(r.p50 / direct.p50),
      fmt.ms(r.p99),
      fmt.x(r.p99 / direct.p99),
      fmt.int(r.requests),
      fmt.int(r.non200),
      fmt.int(r.errors),
      t.proxy ? fmt.pct(r.cpu[1]) : '–',
      fmt.pct(r.cpu[0]),
    ]);
  }
  console.log(`\n${table(rows)}\n`);
  console.log(
    '(×direct: req/s ratio higher is better; latency ratios lower is better. CPU: share of one core during the measured window.)',
  );

  const bareR = targets[1].result;
  const sy = targets[2].result;
  console.log(
    `\nSwitchyard vs bare http-proxy-3 (this run): ${fmt.x(sy.rps / bareR.rps)} the requests/s, p50 ${fmt.x(sy.p50 / bareR.p50)}, p99 ${fmt.x(sy.p99 / bareR.p99)}.`,
  );
  console.log(
    `Switchyard at ${fmt.x(sy.rps / direct.rps)} direct; bare http-proxy-3 at ${fmt.x(bareR.rps / direct.rps)} direct in this run. ` +
      `Quoted reference figures (measured earlier on this machine class, NOT by this script): ` +
      REFERENCE.map(([n, v]) => `${n} ≈ ${v.toFixed(2)}×`).join(', ') +
      ' direct.',
  );

  reportCrashes([backend, bare, engine]);

  const invalid = targets.filter((t) => t.result.non200 + t.result.errors > 0);
  if (invalid.length > 0) {
    console.log(
      `\nWARNING: ${invalid.map((t) => `${t.name}: ${t.result.non200} non-200, ${t.result.errorDetail}`).join('; ')}. ` +
        'Those rows include failed exchanges; their req/s is not pure successful throughput.',
    );
    process.exitCode = 1;
  }

  await stopAll();
  if (s.cpuProf) {
    const profiles = readdirSync(PROFILE_DIR).filter((f) => f.endsWith('.cpuprofile'));
    console.log(
      `\nCPU profiles (bare pid ${bare.pid}, switchyard pid ${engine.pid}) in ${relative(process.cwd(), PROFILE_DIR) || '.'}/: ${profiles.join(', ')}`,
    );
  }
}

runBenchmark(main);
