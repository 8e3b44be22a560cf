// Balancing benchmark: what a balancer:// route costs compared with a route to one backend,
// measured in one run with the load tool and settings of bench/throughput.js.
//
//   npm run build:cli                     # the engine is loaded from out/cli/
//   npm run bench:balancing               # 10 s per variant after a 2 s warm-up, 50 connections
//   node bench/balancing.js --duration 5
//   node bench/balancing.js --methods     # also bytraffic, bybusyness and a sticky session
//   node bench/balancing.js --rounds 4    # alternate the order 4 times, on a noisy machine
//
// Options (flag, or environment variable):
//   --duration S      BENCH_DURATION     measured seconds per variant           (10)
//   --warmup S        BENCH_WARMUP       warm-up seconds per variant, discarded (2)
//   --connections N   BENCH_CONNECTIONS  concurrent keep-alive connections      (50)
//   --threads N       BENCH_THREADS      wrk threads            (1 on <= 2 CPUs, else 2)
//   --tool T          BENCH_TOOL         wrk | autocannon (default: wrk when on PATH)
//   --methods         BENCH_METHODS=1    also measure bytraffic, bybusyness and sticky sessions
//   --rounds N        BENCH_ROUNDS       measure every variant N times, order reversed each round (1)
//   --cpu-prof        BENCH_CPU_PROF=1   write V8 CPU profiles of the engines to bench/profiles/
//   --engine DIR      BENCH_ENGINE       compiled engine to load               (out/cli)
//
// One backend process listens on 3 ports and counts the requests each port answers. Each
// engine variant is its own single Node process: `single` routes / to the first port,
// `byrequests` routes / to balancer://cluster/ whose 3 members are the 3 ports (equal
// loadFactor), so both have the same backend capacity. All traffic stays on 127.0.0.1.
// See bench/README.md for how to read the numbers.
import { mkdirSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { relative } from 'node:path';
import {
  HOST,
  PROFILE_DIR,
  UsageError,
  ROOT,
  autocannonVersion,
  backendCounts,
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

/** The goal the balancing issue states: a balanced route keeps ≥ 90 % of single-route req/s. */
const GOAL = 0.9;
const MEMBERS = 3;
/** A spread balancer must give every port at least this share of the requests. */
const MIN_SHARE = 0.2;
/** A sticky session must keep at least this share on its member. */
const STICKY_SHARE = 0.99;
const STICKY_COOKIE = 'JSESSIONID';
/** Route id 2 is the second member, the backend's second port. */
const STICKY_VALUE = 'x.2';

function routingConfig(to, balancer) {
  return {
    version: 1,
    listeners: [{ name: 'bench', port: 0, address: HOST }],
    routes: [{ name: 'app', match: { path: '/' }, to }],
    balancers: balancer ? [balancer] : [],
  };
}

/** The engine variants: what each routes / to, and where its requests must land. */
function variants(ports, withMethods) {
  const urls = ports.map((p) => `http://${HOST}:${p}`);
  const cluster = (method, extra = {}) => ({
    name: 'cluster',
    method,
    ...extra,
    members: urls.map((url, i) => ({
      url,
      loadFactor: 1,
      ...(extra.stickySession ? { route: String(i + 1) } : {}),
    })),
  });
  const list = [
    {
      name: 'single',
      describe: `/ → ${urls[0]}`,
      config: routingConfig(urls[0]),
      expect: { only: 0 },
    },
    {
      name: 'byrequests',
      describe: `/ → balancer://cluster/ (byrequests, ${MEMBERS} members, loadFactor 1)`,
      config: routingConfig('balancer://cluster/', cluster('byrequests')),
      expect: { spread: true },
    },
  ];
  if (withMethods) {
    for (const method of ['bytraffic', 'bybusyness']) {
      list.push({
        name: method,
        describe: `/ → balancer://cluster/ (${method}, ${MEMBERS} members, loadFactor 1)`,
        config: routingConfig('balancer://cluster/', cluster(method)),
        expect: { spread: true },
      });
    }
    list.push({
      name: 'sticky',
      describe: `/ → balancer://cluster/ (byrequests, stickySession ${STICKY_COOKIE}; load tool sends Cookie: ${STICKY_COOKIE}=${STICKY_VALUE})`,
      config: routingConfig(
        'balancer://cluster/',
        cluster('byrequests', { stickySession: STICKY_COOKIE }),
      ),
      headers: { cookie: `${STICKY_COOKIE}=${STICKY_VALUE}` },
      expect: { only: 1, share: STICKY_SHARE },
    });
  }
  return list;
}

/** Did the variant's requests land where they must? A sentence when they did not. */
function distributionProblem(v, shares) {
  if (v.expect.spread) {
    const low = shares.findIndex((sh) => sh < MIN_SHARE);
    return low === -1
      ? undefined
      : `port ${low + 1} took ${fmt.pct(shares[low])} of the requests (every port must take ≥ ${fmt.pct(MIN_SHARE)})`;
  }
  const share = shares[v.expect.only];
  const needed = v.expect.share ?? 1;
  return share >= needed
    ? undefined
    : `port ${v.expect.only + 1} took ${fmt.pct(share)} of the requests, not ≥ ${fmt.pct(needed)}`;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** One variant's rounds as one result (a single round is returned as it is measured). */
function combine(runs) {
  const sum = (f) => runs.reduce((a, r) => a + f(r), 0);
  const sumEach = (f) => runs[0][f].map((_, i) => sum((r) => r[f][i]));
  const requests = sum((r) => r.requests);
  const seconds = sum((r) => r.seconds);
  const proxyCpu = runs.every((r) => r.cpu[1] !== undefined)
    ? sum((r) => r.cpu[1] * r.wall)
    : undefined;
  const wall = sum((r) => r.wall);
  return {
    requests,
    seconds,
    rps: requests / seconds,
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    non200: sum((r) => r.non200),
    errors: sum((r) => r.errors),
    errorDetail: runs.map((r) => r.errorDetail).join('; '),
    cpu: runs[0].cpu.map((_, i) =>
      runs.every((r) => r.cpu[i] !== undefined) ? sum((r) => r.cpu[i] * r.wall) / wall : undefined,
    ),
    proxyUsPerRequest:
      proxyCpu === undefined || requests === 0 ? undefined : (proxyCpu / requests) * 1e6,
    counts: sumEach('counts'),
    connections: sumEach('connections'),
  };
}

async function main() {
  const s = settings(import.meta.url, {
    methods: { type: 'boolean' },
    rounds: { type: 'string' },
  });
  const withMethods = s.extra.methods ?? process.env.BENCH_METHODS === '1';
  const roundsRaw = s.extra.rounds ?? process.env.BENCH_ROUNDS ?? '1';
  const rounds = Number(roundsRaw);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) {
    throw new UsageError(`--rounds (BENCH_ROUNDS) must be an integer in 1..20, not '${roundsRaw}'`);
  }
  checkBuild(s.engineDir);
  const toolLabel =
    s.tool === 'wrk'
      ? `wrk ${wrkVersion()} (${s.threads} thread${s.threads > 1 ? 's' : ''})`
      : `autocannon ${autocannonVersion()} (in-process${wrkVersion() ? '' : '; wrk not on PATH'})`;
  console.log('Switchyard balancing benchmark');
  console.log(
    `load tool: ${toolLabel}, ${s.connections} connections, ${s.duration} s per variant after a ${s.warmup} s warm-up` +
      (rounds > 1 ? `, ${rounds} rounds (order reversed every other round)` : ''),
  );
  console.log(
    `machine:   ${os.cpus().length} CPU (${os.cpus()[0]?.model.trim() ?? '?'}), load avg ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, node ${process.version}`,
  );

  const profArgv = s.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] : [];
  if (s.cpuProf) mkdirSync(PROFILE_DIR, { recursive: true });

  const backend = await startPeer('backends', [String(MEMBERS)]);
  const list = variants(backend.ports, withMethods);
  const engines = await Promise.all(
    list.map((v) =>
      startPeer('switchyard-config', [JSON.stringify(v.config), s.engineDir], profArgv),
    ),
  );
  list.forEach((v, i) => {
    v.proxy = engines[i];
    v.proxy.role = `switchyard ${v.name}`;
    v.url = v.proxy.url;
  });
  const engineRel = relative(ROOT, s.engineDir);
  console.log(`engine:    ${engineRel.startsWith('..') ? s.engineDir : engineRel}`);
  console.log(
    `backend:   one node:http process (pid ${backend.pid}) on ${backend.ports.map((p, i) => `port ${i + 1} = ${p}`).join(', ')}; fixed 100-byte body, keep-alive`,
  );
  for (const v of list) console.log(`${`${v.name}:`.padEnd(12)}${v.describe}`);
  console.log('');

  // Each variant must answer 200 with the backend's exact body before it is measured.
  const reference = await get(`http://${HOST}:${backend.ports[0]}/`);
  for (const v of list) {
    const r = await get(`${v.url}/`, v.headers);
    if (r.status !== 200 || !r.body.equals(reference.body)) {
      throw new Error(
        `${v.name} (${v.url}) answered ${r.status} with ${r.body.length} bytes instead of 200 with the backend's ${reference.body.length}-byte body`,
      );
    }
  }

  for (const v of list) v.runs = [];
  for (let round = 0; round < rounds; round++) {
    if (rounds > 1) console.log(`round ${round + 1} of ${rounds}`);
    // Reversed every other round, so drift on a shared machine favours no variant.
    for (const v of round % 2 === 0 ? list : [...list].reverse()) {
      process.stdout.write(`measuring ${v.name.padEnd(10)} ${v.url} … `);
      const r = await measure(v, s, [backend, v.proxy], () => backendCounts(backend));
      const [before, after] = r.snapshots;
      r.counts = after.requests.map((n, i) => n - before.requests[i]);
      r.connections = after.connections.map((n, i) => n - before.connections[i]);
      v.runs[round] = r;
      const bad = r.non200 + r.errors;
      console.log(
        `${fmt.int(r.rps)} req/s${bad > 0 ? `  (${r.non200} non-200; ${r.errorDetail})` : ''}`,
      );
    }
  }
  for (const v of list) {
    v.result = combine(v.runs);
    v.seen = v.result.counts.reduce((a, b) => a + b, 0);
    v.shares = v.result.counts.map((n) => (v.seen > 0 ? n / v.seen : 0));
    v.problem = distributionProblem(v, v.shares);
  }

  const single = list[0].result;
  const rows = [
    [
      'variant',
      'req/s',
      '×single',
      'p50 ms',
      '×single',
      'p99 ms',
      '×single',
      'requests',
      'non-200',
      'errors',
      'proxy CPU',
      'µs CPU/req',
      'backend CPU',
    ],
  ];
  for (const v of list) {
    const r = v.result;
    rows.push([
      v.name,
      fmt.int(r.rps),
      fmt.x(r.rps / single.rps),
      fmt.ms(r.p50),
      fmt.x(r.p50 / single.p50),
      fmt.ms(r.p99),
      fmt.x(r.p99 / single.p99),
      fmt.int(r.requests),
      fmt.int(r.non200),
      fmt.int(r.errors),
      fmt.pct(r.cpu[1]),
      r.proxyUsPerRequest === undefined ? '–' : r.proxyUsPerRequest.toFixed(1),
      fmt.pct(r.cpu[0]),
    ]);
  }
  console.log(`\n${table(rows)}\n`);
  console.log(
    '(×single: req/s ratio higher is better; latency ratios lower is better. CPU: share of one core during the measured window;\n' +
      ' µs CPU/req: proxy CPU time per answered request.' +
      (rounds > 1
        ? ` Over ${rounds} rounds: req/s = all requests / all measured seconds, p50 and p99 = median of the rounds.)`
        : ')'),
  );

  const dist = [
    [
      'variant',
      ...backend.ports.map((p, i) => `port ${i + 1} (${p})`),
      'backend saw',
      'load tool got',
      'new backend conns',
      'check',
    ],
  ];
  for (const v of list) {
    dist.push([
      v.name,
      ...v.result.counts.map((n, i) => `${fmt.int(n)} ${fmt.pct(v.shares[i]).padStart(4)}`),
      fmt.int(v.seen),
      fmt.int(v.result.requests),
      fmt.int(v.result.connections.reduce((a, b) => a + b, 0)),
      v.problem ? 'FAILED' : 'ok',
    ]);
  }
  console.log(`\nRequests each backend port answered during the measured window:\n${table(dist)}`);

  const balanced = list[1].result;
  const ratio = balanced.rps / single.rps;
  console.log(
    `\nbalanced/single (byrequests over ${MEMBERS} members vs one target, this run): ${fmt.x(ratio)} the requests/s, ` +
      `p50 ${fmt.x(balanced.p50 / single.p50)}, p99 ${fmt.x(balanced.p99 / single.p99)}. ` +
      `Goal: ≥ ${GOAL.toFixed(2)}× requests/s — ${ratio >= GOAL ? 'met' : 'NOT met'} in this run.`,
  );
  const cpuRatio = list[1].result.proxyUsPerRequest / list[0].result.proxyUsPerRequest;
  if (Number.isFinite(cpuRatio)) {
    console.log(
      `Proxy CPU per request, balanced/single: ${fmt.x(cpuRatio)} (${list[1].result.proxyUsPerRequest.toFixed(1)} vs ${list[0].result.proxyUsPerRequest.toFixed(1)} µs).`,
    );
  }
  if (rounds > 1) {
    const perRound = list[0].runs.map((r, i) => list[1].runs[i].rps / r.rps);
    console.log(
      `Per round, balanced/single req/s: ${perRound.map(fmt.x).join(', ')} (median ${fmt.x(median(perRound))}).`,
    );
  }

  reportCrashes([backend, ...engines]);

  const misrouted = list.filter((v) => v.problem);
  if (misrouted.length > 0) {
    console.log(
      `\nWARNING: requests did not land where they must: ${misrouted.map((v) => `${v.name}: ${v.problem}`).join('; ')}.`,
    );
    process.exitCode = 1;
  }

  const invalid = list.filter((v) => v.result.non200 + v.result.errors > 0);
  if (invalid.length > 0) {
    console.log(
      `\nWARNING: ${invalid.map((v) => `${v.name}: ${v.result.non200} non-200, ${v.result.errorDetail}`).join('; ')}. ` +
        'Those rows include failed exchanges; their req/s is not pure successful throughput.',
    );
    process.exitCode = 1;
  }

  await stopAll();
  if (s.cpuProf) {
    const profiles = readdirSync(PROFILE_DIR).filter((f) => f.endsWith('.cpuprofile'));
    console.log(
      `\nCPU profiles (${list.map((v) => `${v.name} pid ${v.proxy.pid}`).join(', ')}) in ${relative(process.cwd(), PROFILE_DIR) || '.'}/: ${profiles.join(', ')}`,
    );
  }
}

runBenchmark(main);
