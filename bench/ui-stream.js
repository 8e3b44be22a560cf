// UI stream benchmark: the Traffic view in real Chromium while exchanges stream in.
//
// Measures what a user feels with the traffic log under load: frames per second of the
// page (requestAnimationFrame callbacks counted in the page, per one-second bucket) and
// the JS heap (CDP Runtime.getHeapUsage: sampled each second, and after a forced GC at the
// end). The goal: >= 50 fps throughout, and a heap that stops growing once the list holds
// its 5,000 entries (the engine ring's size).
//
// Two feeds, each for --duration seconds (both by default):
//   real       the headless `switchyard` command (bin/switchyard.js) with a fast local
//              backend; a bounded load loop in this process sends --rate requests/s over
//              keep-alive connections, at most --connections in flight. The UI gets what
//              the engine records, through the WebSocket bridge, as a user would.
//   synthetic  the same UI server and bridge over an engine with no listeners, whose API
//              emits --rate made-up exchange summaries/s in 50 ms batches: the renderer's
//              load without the proxy's CPU use (this machine has 2 cores to share
//              between the proxy, the backend, the load loop and Chromium).
//
// Usage:
//   npm run build                      # out/cli (engine, command) and out/renderer (UI)
//   node bench/ui-stream.js            # both feeds, 10 s each at 2,000/s
//   node bench/ui-stream.js --feed real --rate 2000 --duration 10 --connections 32
//
// Needs /usr/bin/chromium (apt-get install chromium). Everything listens on 127.0.0.1.
// Functions passed to page.evaluate run in the page, not in Node:
/* global window, requestAnimationFrame */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = '/usr/bin/chromium';
const RING = 5_000;

const { values } = parseArgs({
  options: {
    feed: { type: 'string', default: 'both' },
    rate: { type: 'string', default: '2000' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  const { readFileSync } = await import('node:fs');
  const lines = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  console.log(
    lines
      .slice(
        0,
        lines.findIndex((l) => !l.startsWith('//')),
      )
      .map((l) => l.replace(/^\/\/ ?/, ''))
      .join('\n'),
  );
  process.exit(0);
}
const RATE = Number(values.rate);
const DURATION = Number(values.duration);
const CONNECTIONS = Number(values.connections);
const FEEDS = values.feed === 'both' ? ['real', 'synthetic'] : [values.feed];
if (
  !(RATE > 0 && DURATION > 0 && CONNECTIONS > 0) ||
  FEEDS.some((f) => !['real', 'synthetic'].includes(f))
) {
  console.error(
    'ui-stream: --rate, --duration, --connections must be > 0; --feed real|synthetic|both',
  );
  process.exit(2);
}
for (const needed of ['out/cli/server/cli.js', 'out/renderer/index.html']) {
  if (!existsSync(join(ROOT, needed))) {
    console.error(`ui-stream: ${needed} is missing; run \`npm run build\` first`);
    process.exit(2);
  }
}
if (!existsSync(CHROMIUM)) {
  console.error(`ui-stream: ${CHROMIUM} is missing (apt-get install chromium)`);
  process.exit(2);
}

/** Everything to stop on exit, latest first. */
const cleanups = [];
async function cleanup() {
  while (cleanups.length > 0)
    await cleanups
      .pop()()
      .catch(() => undefined);
}
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

// ---------------------------------------------------------------------------------------
// Processes

/** A node child that prints one line matching `ready`; resolves with the match. */
function child(args, ready, options = {}) {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let out = '';
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  cleanups.push(async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line in 15 s:\n${out}`)), 15_000);
    const onData = (chunk) => {
      out += chunk;
      const match = ready.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ match, output: () => out });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    void exited.then(() => reject(new Error(`exited early:\n${out}`)));
  });
}

/** A fast backend in its own process: a fixed small JSON body, keep-alive. */
async function startBackend() {
  const code = `
    const body = JSON.stringify({ ok: true, note: 'ui-stream bench backend' });
    const server = require('node:http').createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    server.keepAliveTimeout = 30000;
    server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
    process.on('disconnect', () => process.exit(0));
  `;
  const { match } = await child(['-e', code], /^port (\d+)$/m);
  return `http://127.0.0.1:${match[1]}`;
}

async function startSwitchyard(backend) {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-ui-bench-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'switchyard.yaml');
  await writeFile(
    file,
    JSON.stringify({
      version: 1,
      listeners: [{ name: 'web', port: 0 }],
      routes: [{ name: 'api', match: { path: '/' }, to: 'balancer://pool/' }],
      balancers: [{ name: 'pool', members: [{ url: backend }] }],
    }),
  );
  const args = [join(ROOT, 'bin/switchyard.js'), '--config', file, '--data-dir', join(dir, 'data')];
  const { output } = await child([...args, '--ui-port', '0', '--no-watch'], /^ui (\S+)$/m, {
    cwd: dir,
  });
  const text = output();
  return {
    ui: /^ui (\S+)$/m.exec(text)[1],
    listener: /^listening web (\S+)$/m.exec(text)[1],
  };
}

/** The synthetic feed: the real UI server and bridge over an API emitting made-up batches. */
async function startSynthetic() {
  const load = (path) => import(pathToFileURL(join(ROOT, 'out/cli', path)).href);
  const [{ Engine }, { EngineApi }, { startUiServer }] = await Promise.all([
    load('engine/engine.js'),
    load('engine/engine-api.js'),
    load('server/http.js'),
  ]);
  const dataDir = await mkdtemp(join(tmpdir(), 'switchyard-ui-bench-'));
  const engine = new Engine({ dataDir });
  const api = new EngineApi(engine, { host: 'headless', version: 'bench' });
  const server = await startUiServer({ api, port: 0 });
  cleanups.push(async () => {
    await server.close();
    api.close();
    await engine.close({ graceMs: 0 });
    await rm(dataDir, { recursive: true, force: true });
  });
  let id = 0;
  return {
    ui: server.url,
    /** Emit `rate` summaries/s in 50 ms batches, as the engine's batching does. */
    run(rate, seconds) {
      let sent = 0;
      const t0 = Date.now();
      return new Promise((resolve) => {
        const timer = setInterval(() => {
          const due = Math.min(rate * seconds, Math.floor(((Date.now() - t0) / 1000) * rate));
          const batch = [];
          for (; sent < due; sent++) {
            id++;
            batch.push({
              id,
              startedAt: Date.now(),
              listener: 'web',
              client: '127.0.0.1',
              method: id % 5 === 0 ? 'POST' : 'GET',
              url: `/api/items/${id}?page=${id % 7}`,
              host: '127.0.0.1:8080',
              secure: false,
              route: 'api',
              member: `http://127.0.0.1:${9001 + (id % 3)}`,
              why: 'picked by byrequests',
              attempts: 1,
              status: id % 50 === 0 ? 502 : 200,
              outcome: 'completed',
              timings: { upstreamConnected: 0.4, firstByte: 1.2, done: 1.5 },
              requestBytes: 0,
              responseBytes: 48,
            });
          }
          if (batch.length > 0) api.events.emit('exchanges', batch);
          if (sent >= rate * seconds) {
            clearInterval(timer);
            resolve({ sent, errors: 0, elapsed: (Date.now() - t0) / 1000 });
          }
        }, 50);
      });
    },
  };
}

/** Bounded load loop: `rate` requests/s for `seconds`, never more than `connections` in flight. */
function realLoad(url, rate, seconds, connections) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL('/api/items', url);
  let issued = 0;
  let done = 0;
  let errors = 0;
  let inFlight = 0;
  const total = rate * seconds;
  const t0 = Date.now();
  return new Promise((resolve) => {
    const finish = () => {
      clearInterval(timer);
      agent.destroy();
      resolve({ sent: done, errors, elapsed: (Date.now() - t0) / 1000 });
    };
    const send = () => {
      issued++;
      inFlight++;
      const req = http.get(
        { agent, host: target.hostname, port: target.port, path: `${target.pathname}/${issued}` },
        (res) => {
          res.resume();
          res.on('end', () => {
            inFlight--;
            done++;
            if (res.statusCode !== 200) errors++;
          });
        },
      );
      req.on('error', () => {
        inFlight--;
        errors++;
      });
    };
    const timer = setInterval(() => {
      const elapsed = (Date.now() - t0) / 1000;
      if (elapsed >= seconds) return finish();
      const due = Math.min(total, Math.floor(elapsed * rate));
      while (issued < due && inFlight < connections) send();
    }, 2);
  });
}

// ---------------------------------------------------------------------------------------
// The browser side

async function openTrafficView(browser, ui) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 860 } });
  const url = new URL(ui);
  url.searchParams.set('view', 'traffic');
  await page.goto(url.toString());
  await page.getByRole('listbox', { name: 'Exchanges' }).waitFor();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.enable');
  await cdp.send('Performance.enable');
  return { page, cdp };
}

/** Main-thread time the page spent, in seconds, by kind (CDP Performance metrics). */
async function busy(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const get = (name) => metrics.find((m) => m.name === name)?.value ?? 0;
  return {
    task: get('TaskDuration'),
    script: get('ScriptDuration'),
    layout: get('LayoutDuration') + get('RecalcStyleDuration'),
  };
}

async function heapMiB(cdp) {
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  return usedSize / 2 ** 20;
}

/** Count animation frames in the page until `stop`; per-second buckets and the worst gap. */
async function startFrameCounter(page) {
  await page.evaluate(() => {
    const state = { frames: [], running: true };
    window.__uiBench = state;
    const tick = (t) => {
      state.frames.push(t);
      if (state.running) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

async function stopFrameCounter(page) {
  return page.evaluate(() => {
    const state = window.__uiBench;
    state.running = false;
    const f = state.frames;
    const seconds = (f.at(-1) - f[0]) / 1000;
    const buckets = new Map();
    let worstGap = 0;
    for (let i = 0; i < f.length; i++) {
      const b = Math.floor((f[i] - f[0]) / 1000);
      buckets.set(b, (buckets.get(b) ?? 0) + 1);
      if (i > 0) worstGap = Math.max(worstGap, f[i] - f[i - 1]);
    }
    // The last bucket is partial; leave it out of the minimum.
    const full = [...buckets.entries()].filter(([b]) => b < Math.floor(seconds)).map(([, n]) => n);
    return {
      fps: (f.length - 1) / seconds,
      minFps: full.length > 0 ? Math.min(...full) : NaN,
      worstGapMs: worstGap,
    };
  });
}

async function rowsShown(page) {
  const text = await page
    .getByText(/^\s*\d+ exchanges\s*$/)
    .first()
    .textContent();
  return Number(/\d+/.exec(text)?.[0] ?? NaN);
}

async function measure(browser, feed) {
  let ui;
  let drive;
  if (feed === 'real') {
    const backend = await startBackend();
    const sy = await startSwitchyard(backend);
    ui = sy.ui;
    // Warm up the connections and the JIT for a moment before measuring.
    await realLoad(sy.listener, 500, 1, CONNECTIONS);
    drive = () => realLoad(sy.listener, RATE, DURATION, CONNECTIONS);
  } else {
    const synthetic = await startSynthetic();
    ui = synthetic.ui;
    drive = () => synthetic.run(RATE, DURATION);
  }
  const { page, cdp } = await openTrafficView(browser, ui);
  await page.waitForTimeout(500);
  const heapStart = await heapMiB(cdp);
  const heapSamples = [];
  const sampler = setInterval(() => void heapMiB(cdp).then((h) => heapSamples.push(h)), 1_000);
  await startFrameCounter(page);
  const busyStart = await busy(cdp);
  const t0 = Date.now();
  const load = await drive();
  // Let the last batches land before the counter stops.
  await page.waitForTimeout(300);
  const frames = await stopFrameCounter(page);
  const busyEnd = await busy(cdp);
  const wall = (Date.now() - t0) / 1000;
  const share = (key) => (busyEnd[key] - busyStart[key]) / wall;
  clearInterval(sampler);
  const heapEnd = await heapMiB(cdp);
  await cdp.send('HeapProfiler.collectGarbage');
  const heapAfterGc = await heapMiB(cdp);
  const rows = await rowsShown(page);
  await page.close();
  await cleanup();
  return {
    feed,
    rate: load.sent / load.elapsed,
    errors: load.errors,
    rows,
    ...frames,
    mainBusy: share('task'),
    scriptBusy: share('script'),
    layoutBusy: share('layout'),
    heapStart,
    heapPeak: Math.max(heapEnd, ...heapSamples),
    heapEnd,
    heapAfterGc,
  };
}

// ---------------------------------------------------------------------------------------

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const results = [];
try {
  for (const feed of FEEDS) {
    process.stderr.write(`ui-stream: ${feed} feed, ${RATE}/s for ${DURATION} s…\n`);
    results.push(await measure(browser, feed));
  }
} finally {
  await browser.close();
  await cleanup();
}

const f1 = (n) => (Number.isFinite(n) ? n.toFixed(1) : '—');
console.log(
  `\nTraffic view, Chromium headless 1440×860, target ${RATE} exchanges/s for ${DURATION} s (ring ${RING})\n`,
);
const header = [
  'feed',
  'achieved/s',
  'errors',
  'rows',
  'fps avg',
  'fps min/s',
  'worst frame ms',
  'main busy',
  'script',
  'style+layout',
  'heap start',
  'heap peak',
  'heap end',
  'after GC',
];
const pct = (n) => `${(n * 100).toFixed(0)} %`;
const rows = results.map((r) => [
  r.feed,
  f1(r.rate),
  String(r.errors),
  String(r.rows),
  f1(r.fps),
  String(r.minFps),
  f1(r.worstGapMs),
  pct(r.mainBusy),
  pct(r.scriptBusy),
  pct(r.layoutBusy),
  `${f1(r.heapStart)} MiB`,
  `${f1(r.heapPeak)} MiB`,
  `${f1(r.heapEnd)} MiB`,
  `${f1(r.heapAfterGc)} MiB`,
]);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
console.log(line(header));
for (const r of rows) console.log(line(r));
const short = results.filter((r) => r.rate < RATE * 0.95);
for (const r of short) {
  console.log(
    `\nnote: the ${r.feed} feed reached ${f1(r.rate)}/s, short of ${RATE}/s: the proxy, the backend, the load loop and Chromium share this machine's CPUs.`,
  );
}
const slow = results.filter((r) => r.fps < 50);
if (slow.length > 0) {
  console.log(`\nbelow the 50 fps goal: ${slow.map((r) => r.feed).join(', ')}`);
  process.exitCode = 1;
}
