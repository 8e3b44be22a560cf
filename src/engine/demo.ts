/**
 * First launch without a routing file (SPEC §5): two echo backends on loopback behind a
 * balancer, so a new user sees traffic, balancing and the inspector within seconds. The
 * host (Electron main, or `switchyard` without --config) calls `startDemo()`, applies the
 * returned configuration and calls `close()` when it stops or the user switches to a real
 * routing file.
 *
 * The echo backends answer what they saw (JSON), or a small page for a browser at `/`:
 * reloading it shows the two backends taking turns, which is what a balancer is.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { routingConfigSchema, type RoutingConfig } from '../shared/config.js';

/** The balancer's name; the renderer recognises the demo by it (features/routes/demo-mode). */
export const DEMO_BALANCER = 'demo';

/** A port users may already know from tutorials; any free port when it is taken. */
const PREFERRED_PORT = 8080;

export interface DemoOptions {
  /** Listener port; default 8080 when free, else any free port. 0 lets the engine pick. */
  port?: number;
}

export interface Demo {
  config: RoutingConfig;
  /** The echo backends' URLs, in member order. */
  backends: string[];
  close(): Promise<void>;
}

interface EchoBackend {
  url: string;
  close(): Promise<void>;
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

// The empty inline icon keeps browsers from asking for /favicon.ico: through a byrequests
// balancer that second request would take every other turn, and each reload of the page
// would land on the same backend.
function page(name: string, req: IncomingMessage): string {
  const headers = Object.entries(req.headers)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchyard demo: ${name}</title>
<meta name="color-scheme" content="light dark">
<link rel="icon" href="data:,">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}
th{text-align:left;padding-right:1rem;vertical-align:top}td{font-family:monospace;word-break:break-all}
.name{color:#0f8a7e}</style></head>
<body><h1>Answered by <span class="name">${name}</span></h1>
<p>This page came through Switchyard's <code>demo</code> balancer. Reload it: the other echo
backend answers next. Every request is in the Traffic view.</p>
<p><code>${escapeHtml(req.method ?? '')} ${escapeHtml(req.url ?? '')}</code></p>
<h2>Headers this backend received</h2><table>${headers}</table></body></html>`;
}

function answer(name: string, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ backend: name, ok: true }));
    return;
  }
  // A browser at / gets a page; curl, fetch and everything else get the JSON echo.
  if (path === '/' && req.method === 'GET' && /text\/html/.test(req.headers.accept ?? '')) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'x-echo-backend': name });
    res.end(page(name, req));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'x-echo-backend': name });
  res.end(
    `${JSON.stringify(
      { backend: name, method: req.method, path: req.url, headers: req.headers },
      null,
      2,
    )}\n`,
  );
}

async function startEcho(name: string): Promise<EchoBackend> {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    // The body is not echoed, only drained, so a large upload cannot fill memory.
    req.resume();
    req.on('end', () => answer(name, req, res));
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Whether 127.0.0.1:port can be bound right now (it is released again at once). */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = http.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const backends = await Promise.all([startEcho('echo-1'), startEcho('echo-2')]);
  const closeAll = async (): Promise<void> => {
    await Promise.all(backends.map((b) => b.close()));
  };
  try {
    // A fixed port is written into the routing file if the user keeps the demo; 0 would
    // give them a different port on every start.
    const port = options.port ?? ((await isFree(PREFERRED_PORT)) ? PREFERRED_PORT : 0);
    const config = routingConfigSchema.parse({
      version: 1,
      listeners: [{ name: 'demo', port, address: '127.0.0.1' }],
      routes: [{ name: 'demo', match: { path: '/' }, to: `balancer://${DEMO_BALANCER}/` }],
      balancers: [
        {
          name: DEMO_BALANCER,
          method: 'byrequests',
          healthCheck: { path: '/health', interval: '5s' },
          members: backends.map((b, i) => ({ url: b.url, route: String(i + 1) })),
        },
      ],
    });
    return { config, backends: backends.map((b) => b.url), close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
