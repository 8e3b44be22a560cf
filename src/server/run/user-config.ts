/**
 * Which routing file `switchyard run`, `up` and `alias` use when none is named: `--config`,
 * else $SWITCHYARD_CONFIG, else ./switchyard.yaml when the folder has one, else the user's
 * own `<data dir>/switchyard.yaml`, written on first use with an HTTPS and an HTTP
 * listener for the apps.
 *
 * Ports 443 and 80 give URLs without a port (https://shop.localhost). Where this process
 * may not bind them, the file gets 8443 and 8080 instead and the notes say how to get
 * 443 and 80 on this OS; nothing fails silently.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join, resolve } from 'node:path';

export interface RoutingFileChoice {
  path: string;
  /** Written now, with these notes for the user. */
  created?: string[];
}

/** Whether this process may listen on 127.0.0.1:port now: undefined when it may, else why not. */
export function cannotBind(port: number): Promise<string | undefined> {
  return new Promise((done) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      done(error.code === 'EADDRINUSE' ? 'in use by another program' : 'needs privileges'),
    );
    server.listen({ host: '127.0.0.1', port }, () => server.close(() => done(undefined)));
  });
}

/** How to serve on a port below 1024 on this OS without running Switchyard as root. */
export function lowPortAdvice(platform = process.platform): string {
  if (platform === 'linux')
    return 'on Linux, let Node bind ports below 1024: sudo setcap \'cap_net_bind_service=+ep\' "$(readlink -f "$(command -v node)")" (or sudo sysctl net.ipv4.ip_unprivileged_port_start=80)';
  if (platform === 'darwin')
    return 'on macOS, run the Switchyard app, which asks for permission once, or keep the port in the URL';
  return 'on Windows, ports 80 and 443 need no privileges; stop the program that holds them (IIS, http.sys: netsh http show servicestate)';
}

async function portOrFallback(wanted: number, fallback: number, notes: string[]): Promise<number> {
  const why = await cannotBind(wanted);
  if (why === undefined) return wanted;
  notes.push(
    `port ${wanted} ${why}: using ${fallback}, so URLs carry :${fallback}. To get ${wanted}, ${lowPortAdvice()}, then edit the port in the routing file.`,
  );
  return fallback;
}

function appsStarter(https: number, http: number): string {
  return `# Switchyard's routing file for your apps (switchyard run, switchyard up, switchyard alias).
# Reference: README.md. Edits apply live while switchyard runs.
version: 1

listeners:
  - name: https
    port: ${https}
    tls: true # certificates for NAME.localhost from the local CA (switchyard ca trust)
  - name: http
    port: ${http}

# Apps served at https://NAME.localhost, started with \`switchyard up\` or by Switchyard itself:
# apps:
#   - name: api
#     command: npm run dev     # gets PORT
#     cwd: ~/code/api
#   - name: grafana            # an alias: something already serves this port
#     port: 3000
apps: []
`;
}

export async function routingFileFor(
  explicit: string | undefined,
  dataDir: string,
  cwd = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
): Promise<RoutingFileChoice> {
  if (explicit !== undefined) return { path: resolve(cwd, explicit) };
  const fromEnv = env.SWITCHYARD_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return { path: resolve(cwd, fromEnv) };
  const local = join(cwd, 'switchyard.yaml');
  if (existsSync(local)) return { path: local };
  const own = join(dataDir, 'switchyard.yaml');
  if (existsSync(own)) return { path: own };
  const notes: string[] = [];
  const https = await portOrFallback(443, 8443, notes);
  const http = await portOrFallback(80, 8080, notes);
  await mkdir(dataDir, { recursive: true });
  await writeFile(own, appsStarter(https, http), { flag: 'wx' }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    },
  );
  return { path: own, created: [`wrote ${own} (listeners on ${https} and ${http})`, ...notes] };
}
