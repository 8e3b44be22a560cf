// One process of a benchmark, started by bench/throughput.js or bench/balancing.js with
// fork():
//
//   node bench/throughput-peer.js backend
//   node bench/throughput-peer.js backends          <count>
//   node bench/throughput-peer.js bare              <backend-url>
//   node bench/throughput-peer.js switchyard        <backend-url> [<compiled-engine-dir>]
//   node bench/throughput-peer.js switchyard-config <routing-config-json> [<compiled-engine-dir>]
//
// Each listens on 127.0.0.1 on a free port, reports { type: 'ready', port } over IPC and
// runs until told to stop (IPC 'stop', SIGTERM, SIGINT) or until its parent goes away
// (IPC channel closes), so no process outlives a benchmark run. It exits with
// process.exit(), so a `--cpu-prof` profile is written.
//
// `backends` is the same backend listening on <count> free ports in one process (so any
// number of ports shares one process's capacity); it reports them all as `ports`, counts
// the requests each port answered and the connections it accepted, and sends the counts
// when asked ({ type: 'counts' }).
// `switchyard-config` runs the engine with the given routing file (its first listener's
// port 0 picks a free port).
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const HOST = '127.0.0.1';
/** 100 bytes, fixed, so every target moves exactly the same payload. */
const BODY = Buffer.from(
  `${JSON.stringify({ service: 'switchyard-bench', status: 'ok', note: 'fixed body' }).padEnd(99)}\n`,
);

const [role, target, engineDir] = process.argv.slice(2);
const cleanups = [];
let stopping = false;

async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  // Never hang on the way out.
  setTimeout(() => process.exit(code), 3_000).unref();
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch {
      // best effort
    }
  }
  process.exit(code);
}

// Crash guard. An exception that escapes a request handler would end this process and
// turn the rest of the run into connection errors. It is reported to the parent, which
// prints it with the results (and fails the run), and the process keeps serving so the
// remaining measurements stay meaningful. Node's advice is to exit after one; for a
// benchmark of stateless forwarding, surviving it and saying so loudly is more useful.
process.on('uncaughtException', (error) => {
  const message = String(error?.stack ?? error);
  if (process.send && process.connected) process.send({ type: 'uncaught', message });
  else console.error(`${role}: uncaught exception: ${message}`);
});

process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
process.on('disconnect', () => void stop(0)); // parent died or closed the channel
process.on('message', (m) => {
  if (m && m.type === 'stop') void stop(0);
});

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
  return startEngine(JSON.parse(configJson), engineDir);
}

async function startEngine(config, engineDir) {
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
  return listener.port;
}

const roles = {
  backend,
  backends,
  bare,
  switchyard,
  'switchyard-config': switchyardConfig,
};

try {
  const start = roles[role];
  if (!start) throw new Error(`unknown role '${role}' (expected ${Object.keys(roles).join(', ')})`);
  if (role !== 'backend' && !target) {
    const needs = { backends: 'a port count', 'switchyard-config': 'a routing config (JSON)' };
    throw new Error(`role '${role}' needs ${needs[role] ?? 'a backend URL'}`);
  }
  const started = await start(target, engineDir);
  const { port, ports } = typeof started === 'number' ? { port: started } : started;
  if (process.send)
    process.send({ type: 'ready', port, ...(ports ? { ports } : {}), pid: process.pid });
  else
    console.log(
      `${role} listening on ${(ports ?? [port]).map((p) => `http://${HOST}:${p}`).join(' ')}`,
    );
} catch (error) {
  if (process.send) process.send({ type: 'failed', message: String(error?.stack ?? error) });
  else console.error(error);
  await stop(1);
}
