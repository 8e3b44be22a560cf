// Throughput benchmark: Switchyard's engine against the backend it fronts and against a
// bare http-proxy-3 server, and with --peers against Apache mod_proxy, nginx and Caddy,
// measured in one run with one load tool and one set of settings.
//
//   npm run build:cli                     # the engine is loaded from out/cli/
//   npm run bench:throughput              # 10 s per target after a 2 s warm-up, 50 connections
//   node bench/throughput.js --duration 5 --connections 50
//   node bench/throughput.js --peers      # also Apache mod_proxy, nginx and Caddy
//
// Options (flag, or environment variable):
//   --duration S      BENCH_DURATION     measured seconds per target            (10)
//   --warmup S        BENCH_WARMUP       warm-up seconds per target, discarded  (2)
//   --connections N   BENCH_CONNECTIONS  concurrent keep-alive connections      (50)
//   --threads N       BENCH_THREADS      wrk threads            (1 on <= 2 CPUs, else 2)
//   --tool T          BENCH_TOOL         wrk | autocannon (default: wrk when on PATH)
//   --peers           BENCH_PEERS=1      also measure Apache mod_proxy (mpm_event), nginx and
//                                        Caddy, from generated configs; each one missing is
//                                        skipped with the reason
//   --no-pin          BENCH_PIN=0        do not pin processes to CPUs (see below)
//   --cpu-prof        BENCH_CPU_PROF=1   write V8 CPU profiles of the two Node proxies to bench/profiles/
//   --engine DIR      BENCH_ENGINE       compiled engine to load               (out/cli)
//
// Every proxy is one process on one core: the backend, the bare proxy and the engine each
// run in a child started with fork(); Apache (one process of 64 threads), nginx (one
// worker) and Caddy (GOMAXPROCS=1) run in the foreground in their own process groups. With
// taskset (util-linux) and 2 or more CPUs every process is pinned: the proxy under test
// alone on the second CPU; on 2 CPUs the backend, the load tool and this script share the
// first, on more the backend has the first and the load tool the others. All traffic
// stays on 127.0.0.1. See bench/README.md for how to read the numbers.
import { mkdirSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { relative } from 'node:path';
import {
  PROFILE_DIR,
  ROOT,
  autocannonVersion,
  backendCounts,
  checkBuild,
  cpuLayout,
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
import { PEERS, PEER_KEYS, probePeer } from './peers.js';

/**
 * Quoted from earlier measurements on this machine class, without pinning; NOT measured by
 * this script. Printed as a footnote only.
 */
const QUOTED = [
  ['Apache mod_proxy', 0.27],
  ['Caddy', 0.22],
  ['raw node:http pipe', 0.2],
  ['bare http-proxy-3', 0.12],
];

/** Below this share of its core, a pinned proxy was held back by the other core. */
const SATURATED = 0.85;

/** Start the peers that are installed; `{ started, skipped }`, each skip with its reason. */
async function startPeers(backendUrl, layout) {
  const started = [];
  const skipped = [];
  await Promise.all(
    PEER_KEYS.map(async (key) => {
      const name = PEERS[key].name;
      const probe = probePeer(key);
      if (!probe.bin) {
        skipped.push({ key, name, reason: probe.reason });
        return;
      }
      const spec = JSON.stringify({ peer: key, backendUrl, cpu: layout.proxy });
      try {
        // The guardian itself idles next to the load tool; the server gets the proxy's CPU.
        const peer = await startPeer('server', [spec], [], { cpu: layout.load });
        peer.role = name;
        started.push({ key, name, peer, info: peer.info });
      } catch (error) {
        // The guardian's error without its stack: what the server said is what matters.
        const message = String(error?.message ?? error)
          .split('\n')
          .filter((l) => !/^\s+at /.test(l) && l !== 'server failed to start:')
          .map((l) => l.replace(/^Error: /, ''))
          .join('\n           ');
        skipped.push({ key, name, reason: `failed to start: ${message}`, failed: true });
      }
    }),
  );
  const order = (list) => list.sort((a, b) => PEER_KEYS.indexOf(a.key) - PEER_KEYS.indexOf(b.key));
  return { started: order(started), skipped: order(skipped) };
}

// ---------------------------------------------------------------------------------------

async function main() {
  const s = settings(import.meta.url, {
    peers: { type: 'boolean' },
    'no-pin': { type: 'boolean' },
  });
  const withPeers = s.extra.peers ?? process.env.BENCH_PEERS === '1';
  const layout = cpuLayout(!(s.extra['no-pin'] ?? process.env.BENCH_PIN === '0'));
  checkBuild(s.engineDir);
  if (layout.proxy !== undefined) {
    // This script (and autocannon, which runs in it) stays off the proxy's core; so do the
    // wrk processes it starts.
    pinProcess(process.pid, layout.load);
    s.pin = layout.load;
  }
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

  console.log(
    `pinning:   ${layout.proxy !== undefined ? layout.summary : `none: ${layout.reason}; the proxy, the backend and the load tool share all CPUs`}`,
  );

  const profArgv = s.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] : [];
  if (s.cpuProf) mkdirSync(PROFILE_DIR, { recursive: true });

  // `backends` with one port: the throughput backend plus a connection counter, so each row
  // shows whether the proxy reuses its backend connections.
  const backend = await startPeer('backends', ['1'], [], { cpu: layout.backend });
  const [bare, pipe, engine] = await Promise.all([
    startPeer('bare', [backend.url], profArgv, { cpu: layout.proxy }),
    startPeer('undici', [backend.url], profArgv, { cpu: layout.proxy }),
    startPeer('switchyard', [backend.url, s.engineDir], profArgv, { cpu: layout.proxy }),
  ]);
  bare.role = 'bare http-proxy-3';
  pipe.role = 'raw undici pipe';
  engine.role = 'switchyard engine';
  const peers = withPeers ? await startPeers(backend.url, layout) : { started: [], skipped: [] };
  const engineRel = relative(ROOT, s.engineDir);
  console.log(`engine:    ${engineRel.startsWith('..') ? s.engineDir : engineRel}`);
  console.log(
    `backend:   node:http on ${backend.url} (pid ${backend.pid}), fixed 100-byte body, keep-alive`,
  );
  if (withPeers) {
    for (const p of peers.started) {
      console.log(`peer:      ${p.name} ${p.info.version} (pid ${p.info.pid}): ${p.info.describe}`);
      console.log(`           ${p.info.command}`);
    }
    for (const p of peers.skipped) console.log(`peer:      ${p.name} SKIPPED: ${p.reason}`);
  }
  console.log('');

  const targets = [
    { name: 'direct (backend)', url: backend.url, proxy: undefined },
    { name: 'bare http-proxy-3', url: bare.url, proxy: bare },
    { name: 'raw undici pipe', url: pipe.url, proxy: pipe },
    { name: 'switchyard engine', url: engine.url, proxy: engine },
    ...peers.started.map((p) => ({ name: p.name, url: p.peer.url, proxy: p.peer, peer: p })),
  ];

  // Each target must answer 200 with the backend's exact body before it is measured, and
  // every response of the measured runs is checked the same way (wrk: throughput-wrk.lua,
  // autocannon: expectBody).
  const reference = await get(`${backend.url}/`);
  s.expectBody = reference.body;
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
    t.result = await measure(t, s, [backend, ...(t.proxy ? [t.proxy] : [])], () =>
      backendCounts(backend),
    );
    const [before, after] = t.result.snapshots;
    t.result.backendConnections = after.connections[0] - before.connections[0];
    const bad = t.result.non200 + t.result.badBody + t.result.errors;
    console.log(
      `${fmt.int(t.result.rps)} req/s${bad > 0 ? `  (${t.result.non200} non-200, ${t.result.badBody} bad body; ${t.result.errorDetail})` : ''}`,
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
      'bad body',
      'errors',
      'backend conns',
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
      fmt.int(r.badBody),
      fmt.int(r.errors),
      fmt.int(r.backendConnections),
      t.proxy ? fmt.pct(r.cpu[1]) : '–',
      fmt.pct(r.cpu[0]),
    ]);
  }
  console.log(`\n${table(rows)}\n`);
  console.log(
    '(×direct: req/s ratio higher is better; latency ratios lower is better. CPU: share of one core during the measured window,\n' +
      ' all processes of the proxy together. backend conns: connections the backend accepted during the measured window;\n' +
      " for direct those are the load tool's own.)",
  );
  if (layout.proxy !== undefined) {
    const unsaturated = targets.filter((t) => t.proxy && t.result.cpu[1] < SATURATED);
    if (unsaturated.length > 0) {
      console.log(
        `(Not CPU-bound: ${unsaturated.map((t) => `${t.name} ${fmt.pct(t.result.cpu[1])}`).join(', ')} of its core. ` +
          `The other core (backend + load tool) or waiting held it back; its ratio is a lower bound.)`,
      );
    }
  }
  const bareR = targets[1].result;
  console.log(
    `\nQuoted, not measured (earlier runs on this machine class, unpinned, other conditions): ` +
      QUOTED.map(([n, v]) => `${n} ≈ ${v.toFixed(2)}×`).join(', ') +
      ` direct. Bare http-proxy-3 measured ${fmt.x(bareR.rps / direct.rps)} direct in this run; do not compare the rows above with these.`,
  );

  const pipeR = targets[2].result;
  const sy = targets[3].result;
  console.log(
    `\nSwitchyard at ${fmt.x(sy.rps / direct.rps)} direct; vs bare http-proxy-3 (this run): ${fmt.x(sy.rps / bareR.rps)} the requests/s, p50 ${fmt.x(sy.p50 / bareR.p50)}, p99 ${fmt.x(sy.p99 / bareR.p99)}.`,
  );
  console.log(
    `Switchyard vs the raw undici pipe its transport is built on (this run): ${fmt.x(sy.rps / pipeR.rps)} the requests/s, p99 ${fmt.x(sy.p99 / pipeR.p99)}.`,
  );
  if (withPeers) {
    const measured = targets.filter((t) => t.peer);
    const skipped = peers.skipped.map((p) => `${p.name} skipped`);
    console.log(
      `Switchyard vs measured peers (this run, ratio of req/s; > 1 means Switchyard is faster): ` +
        [
          ...measured.map(
            (t) =>
              `${fmt.x(sy.rps / t.result.rps)} ${t.name} (${fmt.int(sy.rps)} vs ${fmt.int(t.result.rps)})`,
          ),
          ...skipped,
        ].join(', ') +
        '.',
    );
  } else {
    console.log('(--peers also measures Apache mod_proxy, nginx and Caddy in the same run.)');
  }

  reportCrashes([backend, bare, pipe, engine]);

  const failed = peers.skipped.filter((p) => p.failed);
  if (failed.length > 0) {
    console.log(
      `\nWARNING: ${failed.map((p) => `${p.name} is installed but ${p.reason}`).join('\n')}`,
    );
    process.exitCode = 1;
  }
  const invalid = targets.filter((t) => t.result.non200 + t.result.badBody + t.result.errors > 0);
  if (invalid.length > 0) {
    console.log(
      `\nWARNING: ${invalid.map((t) => `${t.name}: ${t.result.non200} non-200, ${t.result.badBody} bad body, ${t.result.errorDetail}`).join('; ')}. ` +
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
