// Shared plumbing of the benchmarks in bench/ (throughput.js, balancing.js): settings, the
// child processes and their clean-up, the load tool (wrk or autocannon), CPU accounting and
// table formatting. Importing it installs the handlers that stop every child on exit and
// on Ctrl-C.
import { execFileSync, fork, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(HERE, '..');
const PEER = join(HERE, 'throughput-peer.js');
const WRK_SCRIPT = join(HERE, 'throughput-wrk.lua');
export const PROFILE_DIR = join(HERE, 'profiles');
export const HOST = '127.0.0.1';

/** A bad flag or a missing prerequisite: reported without a stack trace. */
export class UsageError extends Error {}

// ---------------------------------------------------------------------------------------
// Settings

/**
 * The settings every benchmark shares, from flags and environment variables. `script` is
 * the calling script's import.meta.url: `--help` prints its header comment. `extraOptions`
 * are further parseArgs options of that script; their values are returned in `s.extra`.
 */
export function settings(script, extraOptions = {}) {
  const { values } = parseArgs({
    options: {
      ...extraOptions,
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      threads: { type: 'string' },
      tool: { type: 'string' },
      'cpu-prof': { type: 'boolean' },
      engine: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    const text = readFileSync(fileURLToPath(script), 'utf8');
    const lines = text.split('\n');
    const end = lines.findIndex((l) => !l.startsWith('//'));
    console.log(
      lines
        .slice(0, end)
        .map((l) => l.replace(/^\/\/ ?/, ''))
        .join('\n'),
    );
    process.exit(0);
  }
  const number = (flag, env, fallback, { min, max, integer }) => {
    const raw = values[flag] ?? process.env[env];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new UsageError(
        `--${flag} (${env}) must be ${integer ? 'an integer' : 'a number'} in ${min}..${max}, not '${raw}'`,
      );
    }
    return n;
  };
  const s = {
    duration: number('duration', 'BENCH_DURATION', 10, { min: 1, max: 600, integer: true }),
    warmup: number('warmup', 'BENCH_WARMUP', 2, { min: 0, max: 60, integer: true }),
    connections: number('connections', 'BENCH_CONNECTIONS', 50, {
      min: 1,
      max: 10_000,
      integer: true,
    }),
    // wrk shares the machine with the processes it measures: leave them the cores.
    threads: number('threads', 'BENCH_THREADS', os.cpus().length > 2 ? 2 : 1, {
      min: 1,
      max: 64,
      integer: true,
    }),
    tool: values.tool ?? process.env.BENCH_TOOL ?? (wrkVersion() ? 'wrk' : 'autocannon'),
    cpuProf: values['cpu-prof'] ?? process.env.BENCH_CPU_PROF === '1',
    engineDir: resolve(values.engine ?? process.env.BENCH_ENGINE ?? join(ROOT, 'out/cli')),
  };
  if (s.tool !== 'wrk' && s.tool !== 'autocannon') {
    throw new UsageError(`--tool must be wrk or autocannon, not '${s.tool}'`);
  }
  if (s.tool === 'wrk' && !wrkVersion()) throw new UsageError('--tool wrk: wrk is not on PATH');
  s.threads = Math.min(s.threads, s.connections);
  s.extra = Object.fromEntries(Object.keys(extraOptions).map((k) => [k, values[k]]));
  return s;
}

let wrkVersionCache;
export function wrkVersion() {
  if (wrkVersionCache !== undefined) return wrkVersionCache;
  // `wrk -v` prints its version and exits non-zero; ENOENT when it is not installed.
  const r = spawnSync('wrk', ['-v'], { encoding: 'utf8', timeout: 5_000 });
  const match = r.error ? null : /wrk\s+(\S+)/.exec(`${r.stdout}${r.stderr}`);
  wrkVersionCache = match ? match[1] : null;
  return wrkVersionCache;
}

export function autocannonVersion() {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules/autocannon/package.json'), 'utf8'))
      .version;
  } catch {
    return '?';
  }
}

/** The engine runs from tsc output; warn when out/cli/ is older than its source. */
export function checkBuild(engineDir) {
  for (const file of ['engine/engine.js', 'shared/config.js']) {
    if (!existsSync(join(engineDir, file))) {
      throw new UsageError(`${join(engineDir, file)} is missing: run \`npm run build:cli\` first`);
    }
  }
  if (engineDir !== join(ROOT, 'out/cli')) return; // another build: its source is not ours
  const stale = [];
  const walk = (dir) => {
    for (const entry of readdirSync(join(ROOT, 'src', dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const js = join(engineDir, rel.replace(/\.ts$/, '.js'));
        if (!existsSync(js) || statSync(join(ROOT, 'src', rel)).mtimeMs > statSync(js).mtimeMs) {
          stale.push(`src/${rel}`);
        }
      }
    }
  };
  walk('engine');
  walk('shared');
  if (stale.length > 0) {
    console.log(
      `warning: out/cli/ is older than ${stale.join(', ')}; run \`npm run build:cli\` to bench the current source\n`,
    );
  }
}

// ---------------------------------------------------------------------------------------
// Children: started here, all stopped on any exit path.

const children = new Set();
/** What the load tool is doing now, to tell when a child's uncaught exception happened. */
let phase = 'start-up';

/**
 * Process groups of servers that are not Node (Apache, nginx, Caddy): each runs detached in
 * its own group under a guardian peer (role `server`), which stops the group when it is
 * stopped or loses its parent. If the guardian itself is killed, the exit handler below
 * kills the group.
 */
const groups = new Set();
/** Temp dirs the peers made (`info.dir`); removed again on exit in case a peer was killed. */
const tempDirs = new Set();

/**
 * Fork `bench/throughput-peer.js` in `role`. `cpu` (a taskset CPU list such as '1'), when
 * given, pins the child to those CPUs from its first instruction: it is started as
 * `taskset -c CPU node …`, so every thread it ever creates inherits the mask.
 */
export function startPeer(role, args, execArgv = [], { cpu } = {}) {
  const child = fork(PEER, [role, ...args], {
    cwd: ROOT,
    ...(cpu === undefined
      ? { execArgv }
      : { execPath: 'taskset', execArgv: ['-c', cpu, process.execPath, ...execArgv] }),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const peer = { role, child, pid: child.pid, uncaught: [], exit: undefined };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} did not start within 15 s`)), 15_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      peer.exit = signal ?? `code ${code}`;
      reject(new Error(`${role} exited during start-up (${peer.exit})`));
    });
    child.on('message', (m) => {
      if (m?.type === 'uncaught') {
        peer.uncaught.push({ phase, message: m.message });
      } else if (m?.type === 'ready') {
        clearTimeout(timer);
        if (m.info?.dir) tempDirs.add(m.info.dir);
        if (m.info?.pgid) {
          // A guardian: the process measured is the server it started, not the guardian.
          const pgid = m.info.pgid;
          groups.add(pgid);
          child.once('exit', () => groups.delete(pgid)); // the guardian stopped its group
          peer.pid = m.info.pid;
          peer.cpuTree = true; // Apache and nginx work in child processes of the one started
        }
        resolve(
          Object.assign(peer, {
            port: m.port,
            ports: m.ports ?? [m.port],
            url: `http://${HOST}:${m.port}`,
            // Whatever else the role reported (switchyard-config with "ui": the UI server).
            info: m.info,
          }),
        );
      } else if (m?.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`${role} failed to start:\n${m.message}`));
      }
    });
  });
}

/** Ask a child to exit (so CPU profiles get written), and kill it if it does not. */
export function stopChild(child, graceMs = 4_000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.send({ type: 'stop' }, () => {});
    else child.kill('SIGTERM');
  });
}

export async function stopAll() {
  await Promise.all([...children].map((c) => stopChild(c)));
}

// Last line of defence: whatever happens, no child outlives us. (Forked peers also exit
// on their own when the IPC channel closes.)
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  // Normally each peer has removed its own already; not if it was killed (a second Ctrl-C).
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
});
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error(`\n${signal}: stopping the benchmark and its child processes…`);
    void stopAll().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------
// Measuring

/** One GET on a fresh connection; `headers` are extra request headers (optional). */
export function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 5_000, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

/** CPU seconds (user + system) a process has used so far; undefined off Linux. */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of a process and all its descendants (Apache's and nginx's workers are child
 * processes): utime + stime of each live process of the tree, plus cutime + cstime (the
 * children it has already reaped). Undefined off Linux.
 */
export function treeCpuSeconds(pid) {
  const procs = new Map(); // pid -> { ppid, own, reaped }
  try {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        procs.set(Number(name), {
          ppid: Number(f[1]),
          own: Number(f[11]) + Number(f[12]),
          reaped: Number(f[13]) + Number(f[14]),
        });
      } catch {
        // exited while we looked
      }
    }
  } catch {
    return undefined;
  }
  if (!procs.has(pid)) return undefined;
  let ticks = 0;
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.pop();
    const info = procs.get(p);
    ticks += info.own + info.reaped;
    for (const [child, c] of procs) if (c.ppid === p) queue.push(child);
  }
  return ticks / CLK_TCK;
}

// ---------------------------------------------------------------------------------------
// CPU pinning (bench/throughput.js)

/** The CPUs this process may run on (Cpus_allowed_list), or undefined off Linux. */
function allowedCpus() {
  try {
    const line = readFileSync('/proc/self/status', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Cpus_allowed_list:'));
    if (!line) return undefined;
    const cpus = [];
    for (const part of line.split(':')[1].trim().split(',')) {
      const [a, b = a] = part.split('-').map(Number);
      for (let c = a; c <= b; c++) cpus.push(c);
    }
    return cpus;
  } catch {
    return undefined;
  }
}

export function tasksetAvailable() {
  const r = spawnSync('taskset', ['-V'], { encoding: 'utf8', timeout: 5_000 });
  return !r.error && r.status === 0;
}

/**
 * Where each process of a throughput run is pinned (taskset CPU lists), or `{ reason }`
 * when it is not pinned. The proxy under test always gets one core to itself:
 *   2 CPUs:  proxy on the second; backend, load tool and this script share the first.
 *   3+ CPUs: proxy on the second, backend on the first, load tool and this script on the
 *            others.
 */
export function cpuLayout(enabled) {
  if (!enabled) return { reason: 'pinning switched off (--no-pin / BENCH_PIN=0)' };
  if (!tasksetAvailable()) return { reason: 'taskset (util-linux) is not on PATH' };
  const cpus = allowedCpus();
  if (!cpus) return { reason: 'the allowed CPUs could not be read from /proc/self/status' };
  if (cpus.length < 2) return { reason: `only ${cpus.length} CPU allowed` };
  const [backend, proxy, ...rest] = cpus.map(String);
  const load = rest.length > 0 ? rest.join(',') : backend;
  return {
    proxy,
    backend,
    load,
    summary:
      rest.length > 0
        ? `taskset: proxy under test alone on CPU ${proxy}; backend on CPU ${backend}; load tool and this script on CPU ${load}`
        : `taskset: proxy under test alone on CPU ${proxy}; backend, load tool and this script share CPU ${backend}`,
  };
}

/** Pin a running process and all its threads (this script: `taskset -a -p`). */
export function pinProcess(pid, cpu) {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpu, String(pid)], {
    encoding: 'utf8',
    timeout: 5_000,
  });
  if (r.error || r.status !== 0) {
    throw new Error(`taskset -a -p -c ${cpu} ${pid} failed: ${r.error ?? r.stderr}`);
  }
}

/** `headers`: extra request headers sent with every request (optional). */
function runWrk(url, seconds, s, headers = {}) {
  const args = [
    `-t${s.threads}`,
    `-c${s.connections}`,
    `-d${seconds}s`,
    '--timeout',
    '5s',
    ...Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    '-s',
    WRK_SCRIPT,
    `${url}/`,
  ];
  // s.pin: a taskset CPU list for the load tool. s.expectBody: a Buffer every response body
  // must equal (throughput-wrk.lua counts the others as `badbody`).
  const env = s.expectBody
    ? { ...process.env, WRK_EXPECT_BODY: s.expectBody.toString('latin1') }
    : process.env;
  const [command, argv] = s.pin ? ['taskset', ['-c', s.pin, 'wrk', ...args]] : ['wrk', args];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const watchdog = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1_000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(watchdog);
      children.delete(child);
      const line = out.split('\n').find((l) => l.startsWith('WRK_JSON '));
      if (!line) {
        reject(
          new Error(`wrk ${args.join(' ')} failed (${signal ?? `code ${code}`}):\n${out}${err}`),
        );
        return;
      }
      const r = JSON.parse(line.slice('WRK_JSON '.length));
      resolve({
        pid: child.pid,
        requests: r.requests,
        seconds: r.duration_us / 1e6,
        rps: r.requests / (r.duration_us / 1e6),
        p50: r.p50_us / 1000,
        p99: r.p99_us / 1000,
        non200: r.non200,
        badBody: r.badbody ?? 0,
        errors: r.connect + r.read + r.write + r.timeout,
        errorDetail: `connect ${r.connect}, read ${r.read}, write ${r.write}, timeout ${r.timeout}`,
      });
    });
  });
}

async function runAutocannon(url, seconds, s, headers = {}) {
  const { default: autocannon } = await import('autocannon');
  const r = await autocannon({
    url: `${url}/`,
    connections: s.connections,
    duration: seconds,
    pipelining: 1,
    timeout: 5,
    headers,
    ...(s.expectBody ? { expectBody: s.expectBody.toString('latin1') } : {}),
  });
  const ok = Number(r.statusCodeStats?.['200']?.count ?? r['2xx']);
  const answered = Object.values(r.statusCodeStats ?? {}).reduce((n, v) => n + Number(v.count), 0);
  return {
    requests: answered,
    seconds: r.duration,
    rps: answered / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non200: answered - ok,
    badBody: r.mismatches ?? 0,
    errors: r.errors + r.timeouts,
    errorDetail: `errors ${r.errors}, timeouts ${r.timeouts}`,
  };
}

let countsId = 0;
/**
 * A `backends` peer's per-port counters over IPC: `{ requests, connections }`, each an array
 * with one number per port (requests answered, connections accepted since it started).
 */
export function backendCounts(backend) {
  const id = ++countsId;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      backend.child.off('message', onMessage);
      reject(new Error('the backend did not report its request counts within 5 s'));
    }, 5_000);
    const onMessage = (m) => {
      if (m?.type !== 'counts' || m.id !== id) return;
      clearTimeout(timer);
      backend.child.off('message', onMessage);
      resolve({ requests: m.counts, connections: m.connections });
    };
    backend.child.on('message', onMessage);
    backend.child.send({ type: 'counts', id });
  });
}

/** Let connections close and late reports from the children arrive before moving on. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

/**
 * Warm-up (discarded), then the measured run of the load tool against `target.url` (with
 * `target.headers`, if any), and the CPU share each `watch`ed peer used meanwhile (over
 * `wall` seconds).
 * `snapshot`, when given, is awaited right before the measured run and again after it has
 * settled; both values are returned as `snapshots`.
 */
export async function measure(target, s, watch, snapshot) {
  const run = s.tool === 'wrk' ? runWrk : runAutocannon;
  const alive = () => {
    for (const p of watch) {
      if (p.exit !== undefined)
        throw new Error(`the ${p.role} process exited (${p.exit}) while measuring ${target.name}`);
    }
  };
  if (s.warmup > 0) {
    phase = `${target.name} warm-up`;
    await run(target.url, s.warmup, s, target.headers);
    await settle();
    alive();
  }
  phase = `${target.name} measured run`;
  const first = await snapshot?.();
  const cpuOf = (p) => (p.cpuTree ? treeCpuSeconds(p.pid) : cpuSeconds(p.pid));
  const before = watch.map(cpuOf);
  const started = process.hrtime.bigint();
  const r = await run(target.url, s.duration, s, target.headers);
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  await settle();
  phase = 'between runs';
  alive();
  const snapshots = snapshot ? [first, await snapshot()] : undefined;
  const cpu = watch.map((p, i) => {
    const after = cpuOf(p);
    return after === undefined || before[i] === undefined ? undefined : (after - before[i]) / wall;
  });
  return { ...r, cpu, wall, ...(snapshots ? { snapshots } : {}) };
}

// ---------------------------------------------------------------------------------------
// Reporting

export const fmt = {
  int: (n) => Math.round(n).toLocaleString('en-US'),
  ms: (n) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)),
  x: (n) => `${n.toFixed(2)}×`,
  pct: (n) => (n === undefined ? '–' : `${Math.round(n * 100)}%`),
};

export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) =>
          i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]),
        )
        .join('  '),
    )
    .join('\n');
}

/**
 * Print a `CRASH:` paragraph for every peer whose crash guard caught an exception that
 * would have ended it, and set exit code 1.
 */
export function reportCrashes(peers) {
  for (const p of peers) {
    if (p.uncaught.length === 0) continue;
    const byPhase = new Map();
    for (const u of p.uncaught) byPhase.set(u.phase, (byPhase.get(u.phase) ?? 0) + 1);
    console.log(
      `\nCRASH: the ${p.role} process threw ${p.uncaught.length} uncaught exception(s), each of which would have ended it ` +
        `(kept alive by the benchmark's crash guard so the run could finish): ` +
        [...byPhase].map(([ph, n]) => `${n} during ${ph}`).join(', ') +
        `. First one:\n  ${p.uncaught[0].message.split('\n').slice(0, 4).join('\n  ')}`,
    );
    process.exitCode = 1;
  }
}

/**
 * Run a benchmark's main(); on failure report it (a UsageError without its stack), stop
 * every child and exit 1.
 */
export function runBenchmark(main) {
  main().catch(async (error) => {
    if (interrupted) return; // the signal handler is already stopping everything
    console.error(
      `\nbenchmark failed: ${error instanceof UsageError ? error.message : (error?.stack ?? error)}`,
    );
    await stopAll();
    process.exit(1);
  });
}
