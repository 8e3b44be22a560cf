// One process of a benchmark, started by bench/throughput.js or bench/balancing.js with
// fork():
//
//   node bench/throughput-peer.js backend
//   node bench/throughput-peer.js backends          <count>
//   node bench/throughput-peer.js bare              <backend-url>
//   node bench/throughput-peer.js switchyard        <backend-url> [<compiled-engine-dir>]
//   node bench/throughput-peer.js switchyard-config <routing-config-json> [<compiled-engine-dir>]
//   node bench/throughput-peer.js load
//   node bench/throughput-peer.js server            <spec-json>
//
// Each listens on 127.0.0.1 on a free port, reports { type: 'ready', port } over IPC (and
// `info.dir`, the temp dir it removes when it stops, if it made one) and
// runs until told to stop (IPC 'stop', SIGTERM, SIGINT) or until its parent goes away
// (IPC channel closes), so no process outlives a benchmark run. It exits with
// process.exit(), so a `--cpu-prof` profile is written.
//
// `backends` is the same backend listening on <count> free ports in one process (so any
// number of ports shares one process's capacity); it reports them all as `ports`, counts
// the requests each port answered and the connections it accepted, and sends the counts
// when asked ({ type: 'counts' }).
// `switchyard-config` runs the engine with the given routing file (its first listener's
// port 0 picks a free port). Two bench-only keys of that JSON are taken out before the
// routing file's schema sees it (used by bench/capture.js):
//   "capture": false   the traffic log paused (Engine.recorder.setPaused(true));
//   "ui": true         the headless UI too, as `switchyard` runs it: an EngineApi and the
//                      UI server with its WebSocket bridge on 127.0.0.1, reported as `info.ui`
//                      ({ port, token, apiUrl }) in the ready message.
// It answers { type: 'memory' } with the process's memory, the traffic log's size and the
// bridge's backlog, and { type: 'synthesize', rate, seconds } by recording that many
// exchanges per second straight into the traffic log (no HTTP), so the log pipeline can be
// measured apart from forwarding.
// `load` is the load generator at a fixed rate, so it does not share the benchmark's event
// loop: { type: 'load', tool, url, rate, seconds, connections } runs wrk paced by
// capture-wrk.lua (tool 'wrk') or autocannon with overallRate, and answers with the result.
// `server` is the guardian of Apache, nginx or Caddy (bench/peers.js; spec
// { peer, backendUrl, cpu }): the server runs in its own process group, which this process
// stops when it stops; its ready message carries the server's pid and group as `info`.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cleanups, runChild, stop } from './child.js';

const HOST = '127.0.0.1';
/** 100 bytes, fixed, so every target moves exactly the same payload. */
const BODY = Buffer.from(
  `${JSON.stringify({ service: 'switchyard-bench', status: 'ok', note: 'fixed body' }).padEnd(99)}\n`,
);

const [role, target, engineDir] = process.argv.slice(2);

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: HOST, port: 0 }, () => resolve(server.address().port));
  });
}

function closeServer(server) {
  return () =>
    new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    });
}

async function backend() {
  const length = String(BODY.length);
  const server = http.createServer((req, res) => {
    // Drain any request body, answer the fixed body. Node keeps the connection alive
    // (HTTP/1.1 default, keepAliveTimeout 5 s).
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': length });
    res.end(BODY);
  });
  cleanups.push(closeServer(server));
  return listen(server);
}

async function backends(countArg) {
  const count = Number(countArg);
  if (!Number.isInteger(count) || count < 1 || count > 64) {
    throw new Error(`backends needs a port count in 1..64, not '${countArg}'`);
  }
  const length = String(BODY.length);
  const counts = new Array(count).fill(0);
  const connections = new Array(count).fill(0);
  const ports = [];
  for (let i = 0; i < count; i++) {
    // The backend handler above, plus counters of requests and connections per port.
    const server = http.createServer((req, res) => {
      counts[i]++;
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': length });
      res.end(BODY);
    });
    server.on('connection', () => connections[i]++);
    cleanups.push(closeServer(server));
    ports.push(await listen(server));
  }
  process.on('message', (m) => {
    if (m?.type === 'counts' && process.connected) {
      process.send({
        type: 'counts',
        id: m.id,
        ports,
        counts: [...counts],
        connections: [...connections],
      });
    }
  });
  return { port: ports[0], ports };
}

async function bare(backendUrl) {
  // Exactly what a naive user writes: default options. The only addition is an error
  // callback so that one failed request cannot crash the process (errors are counted by
  // the load tool as non-2xx / socket errors, never silently dropped).
  const { createProxyServer } = await import('http-proxy-3');
  const proxy = createProxyServer({ target: backendUrl });
  const server = http.createServer((req, res) => {
    proxy.web(req, res, {}, () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  });
  cleanups.push(closeServer(server));
  return listen(server);
}

async function undiciPipe(backendUrl) {
  // The floor for Switchyard's HTTP/1.1 transport: node:http in, an undici Pool out, the
  // response head and body relayed with backpressure, and nothing else — no routing, no
  // header rules, no capture. What a proxy on this stack cannot go below per request.
  const { Pool } = await import('undici');
  const pool = new Pool(backendUrl, { connections: 512, keepAliveTimeout: 4_000 });
  const host = new URL(backendUrl).host;
  const server = http.createServer((req, res) => {
    req.resume();
    pool.dispatch(
      { path: req.url, method: req.method, headers: { host }, body: null },
      {
        onRequestStart() {},
        onResponseStart(controller, status, headers, statusText) {
          res.writeHead(status, statusText, headers);
        },
        onResponseData(controller, chunk) {
          if (!res.write(chunk)) {
            controller.pause();
            res.once('drain', () => controller.resume());
          }
        },
        onResponseEnd() {
          res.end();
        },
        onResponseError() {
          if (!res.headersSent) res.writeHead(502);
          res.end();
        },
      },
    );
  });
  cleanups.push(closeServer(server));
  cleanups.push(() => pool.close());
  return listen(server);
}

function switchyard(backendUrl, engineDir) {
  return startEngine(
    {
      version: 1,
      listeners: [{ name: 'bench', port: 0, address: HOST }],
      routes: [{ name: 'app', match: { path: '/' }, to: backendUrl }],
    },
    engineDir,
  );
}

function switchyardConfig(configJson, engineDir) {
  const { capture = true, ui = false, ...config } = JSON.parse(configJson);
  return startEngine(config, engineDir, { capture, ui });
}

/** Record `rate` exchanges per second for `seconds` straight into the traffic log. */
function synthesize(engine, rate, seconds) {
  const rawHeaders = ['Host', 'app.localhost', 'User-Agent', 'switchyard-bench', 'Accept', '*/*'];
  const responseHeaders = { 'content-type': 'application/json', 'content-length': '100' };
  return new Promise((resolve) => {
    const started = performance.now();
    let made = 0;
    // Catch up to the schedule on every tick, so timer jitter does not lower the rate.
    const timer = setInterval(() => {
      const elapsed = (performance.now() - started) / 1000;
      const due = Math.min(Math.floor(elapsed * rate), Math.round(rate * seconds));
      for (; made < due; made++) {
        const r = engine.recorder.begin({
          listener: 'bench',
          client: HOST,
          method: 'GET',
          url: `/synthetic/${made}`,
          host: 'app.localhost',
          secure: false,
          httpVersion: '1.1',
          rawHeaders,
          websocket: false,
        });
        if (!r) continue;
        r.route('app');
        r.attempt('http://127.0.0.1:9', 'single target');
        r.upstreamConnected();
        r.response(200, responseHeaders);
        r.responseData(BODY);
        r.end('completed');
      }
      if (elapsed >= seconds) {
        clearInterval(timer);
        resolve({ made, seconds: elapsed });
      }
    }, 5);
  });
}

async function startEngine(config, engineDir, { capture = true, ui = false } = {}) {
  // The tsc output (out/cli/ by default), loaded as the CLI loads it.
  const root = engineDir
    ? pathToFileURL(`${engineDir.replace(/\/$/, '')}/`)
    : new URL('../out/cli/', import.meta.url);
  const { Engine } = await import(new URL('engine/engine.js', root).href);
  const { routingConfigSchema } = await import(new URL('shared/config.js', root).href);
  const dataDir = await mkdtemp(join(tmpdir(), 'switchyard-bench-'));
  const engine = new Engine({ dataDir });
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  cleanups.push(() => engine.close({ graceMs: 500 }));
  await engine.apply(routingConfigSchema.parse(config));
  const [listener] = engine.listeners();
  if (!listener) throw new Error('the engine bound no listener');
  if (!capture) engine.recorder.setPaused(true);
  let server;
  if (ui) {
    const { EngineApi } = await import(new URL('engine/engine-api.js', root).href);
    const { startUiServer } = await import(new URL('server/http.js', root).href);
    const api = new EngineApi(engine, { host: 'headless', version: 'bench' });
    server = await startUiServer({ api, port: 0, root: join(dataDir, 'no-ui-build') });
    cleanups.push(() => api.close());
    cleanups.push(() => server.close());
  }
  process.on('message', (m) => {
    if (!process.connected) return;
    if (m?.type === 'memory') {
      const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
      process.send({
        type: 'memory',
        id: m.id,
        rss,
        heapUsed,
        heapTotal,
        external,
        arrayBuffers,
        ring: engine.recorder.stats(),
        maxEntries: engine.recorder.limits.maxEntries,
        bridge: server?.bridge.stats(),
      });
    } else if (m?.type === 'synthesize') {
      void synthesize(engine, m.rate, m.seconds).then((r) => {
        if (process.connected) process.send({ type: 'synthesize', id: m.id, ...r });
      });
    }
  });
  return {
    port: listener.port,
    info: {
      // So the benchmark can remove it if this process is killed before its clean-up.
      dir: dataDir,
      ...(server ? { ui: { port: server.port, token: server.token, apiUrl: server.apiUrl } } : {}),
    },
  };
}

/** wrk, paced by bench/capture-wrk.lua; resolves with throughput-wrk.lua's summary line. */
function pacedWrk(m) {
  const here = dirname(fileURLToPath(import.meta.url));
  const connections = m.connections;
  // Each connection waits `pause` ms before each request, plus the response time.
  const pause = Math.max(0, Math.floor((connections * 1000) / m.rate) - 1);
  const args = [
    '-t2',
    `-c${connections}`,
    `-d${m.seconds}s`,
    '--timeout',
    '5s',
    '-s',
    join(here, 'capture-wrk.lua'),
    m.url,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        WRK_BASE_SCRIPT: join(here, 'throughput-wrk.lua'),
        WRK_DELAY_MS: String(pause),
      },
    });
    const kill = () => child.kill('SIGKILL');
    cleanups.push(kill);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const watchdog = setTimeout(kill, (m.seconds + 30) * 1_000);
    child.once('error', reject);
    child.once('exit', () => {
      clearTimeout(watchdog);
      const line = out.split('\n').find((l) => l.startsWith('WRK_JSON '));
      if (!line) {
        reject(new Error(`wrk ${args.join(' ')} failed:\n${out}`));
        return;
      }
      const r = JSON.parse(line.slice('WRK_JSON '.length));
      const seconds = r.duration_us / 1e6;
      resolve({
        tool: `wrk, ${connections} connections pausing ${pause} ms before each request`,
        requests: r.requests,
        seconds,
        rps: r.requests / seconds,
        non2xx: r.non200,
        errors: r.connect + r.read + r.write + r.timeout,
        p50: r.p50_us / 1000,
        p99: r.p99_us / 1000,
      });
    });
  });
}

async function pacedAutocannon(m) {
  const { default: autocannon } = await import('autocannon');
  const r = await autocannon({
    url: m.url,
    connections: m.connections,
    duration: m.seconds,
    overallRate: m.rate,
    pipelining: 1,
    timeout: 5,
  });
  const answered = Object.values(r.statusCodeStats ?? {}).reduce((n, v) => n + Number(v.count), 0);
  return {
    tool: `autocannon, ${m.connections} connections, overallRate ${m.rate}`,
    requests: answered,
    seconds: r.duration,
    rps: answered / r.duration,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    p50: r.latency.p50,
    p99: r.latency.p99,
  };
}

async function load() {
  process.on('message', async (m) => {
    if (m?.type !== 'load') return;
    try {
      const r = m.tool === 'wrk' ? await pacedWrk(m) : await pacedAutocannon(m);
      if (process.connected) process.send({ type: 'load', id: m.id, ...r });
    } catch (error) {
      if (process.connected) process.send({ type: 'load', id: m.id, failed: String(error) });
    }
  });
  return 0;
}

/**
 * Guardian of a server that is not Node (Apache, nginx, Caddy; bench/peers.js): starts it
 * in its own process group and stops the group with this process (stop message, signal,
 * or the benchmark's death closing the IPC channel). `spec` is JSON: { peer, backendUrl,
 * cpu }. If the server exits on its own, this process exits too, so the benchmark notices.
 */
async function server(spec) {
  const { startServer } = await import('./peers.js');
  return startServer(JSON.parse(spec), cleanups, (message) => {
    console.error(`server: ${message}`);
    void stop(1);
  });
}

const roles = {
  backend,
  backends,
  bare,
  undici: undiciPipe,
  switchyard,
  'switchyard-config': switchyardConfig,
  load,
  server,
};

const start = roles[role];
await runChild(
  role,
  async () => {
    if (!start)
      throw new Error(`unknown role '${role}' (expected ${Object.keys(roles).join(', ')})`);
    if (role !== 'backend' && role !== 'load' && !target) {
      const needs = {
        backends: 'a port count',
        'switchyard-config': 'a routing config (JSON)',
        server: 'a server spec (JSON)',
      };
      throw new Error(`role '${role}' needs ${needs[role] ?? 'a backend URL'}`);
    }
    return start(target, engineDir);
  },
  HOST,
);
