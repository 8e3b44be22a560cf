/**
 * Real httpd and Switchyard running the same Apache configuration, for differential tests
 * of the import: httpd from the distribution (skipped, with the reason printed, when it is
 * not installed) with its state in a temporary folder, and Switchyard's Engine on the
 * routing file `importApacheText` makes of the same text.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importApacheText } from '../../src/engine/apache/to-routing.js';
import { Engine } from '../../src/engine/engine.js';
import { waitForPort } from './wait-port.js';

function which(name: string): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

const APACHE = which('apache2') ?? which('httpd');
const MODULES = [
  '/usr/lib/apache2/modules',
  '/usr/lib64/httpd/modules',
  '/usr/lib/httpd/modules',
  '/usr/local/apache2/modules',
].find((d) => existsSync(d));
export const noApache = APACHE === undefined || MODULES === undefined;
if (noApache)
  console.warn('httpd: apache2 is not installed; its tests are skipped (apt-get install apache2)');

/** Modules every test server loads; a test may ask for more. */
const LOADED = [
  'mpm_event',
  'authz_core',
  'authz_host',
  'headers',
  'proxy',
  'proxy_http',
  'proxy_balancer',
  'slotmem_shm',
  'lbmethod_byrequests',
];

function groupOfNobody(): string {
  try {
    return execFileSync('id', ['-gn', 'nobody'], { encoding: 'utf8' }).trim();
  } catch {
    return 'nogroup';
  }
}

/**
 * httpd running the file as a user would Include it, from a main file that only puts
 * httpd's own state in a temporary folder and loads the modules (no ServerName, which
 * virtual hosts would inherit and which would change name-based choices).
 */
export async function runApache(
  text: string,
  ports: number[],
  extraModules: readonly string[] = [],
): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-apache-import-'));
  await chmod(dir, 0o755);
  await symlink(MODULES as string, join(dir, 'modules'));
  await writeFile(join(dir, 'site.conf'), text);
  const main = [
    `ServerRoot ${dir}`,
    `DefaultRuntimeDir ${dir}`,
    `PidFile ${dir}/httpd.pid`,
    `ErrorLog ${dir}/error.log`,
    `DocumentRoot ${dir}`,
    ...[...LOADED, ...extraModules].map((m) => `LoadModule ${m}_module modules/mod_${m}.so`),
    ...(process.getuid?.() === 0 ? ['User nobody', `Group ${groupOfNobody()}`] : []),
    `Include ${dir}/site.conf`,
  ];
  await writeFile(join(dir, 'httpd.conf'), `${main.join('\n')}\n`);
  const child = spawn(APACHE as string, ['-f', join(dir, 'httpd.conf'), '-DFOREGROUND'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const exited = () => (child.exitCode === null ? undefined : 'httpd exited');
    await Promise.all(ports.map((port) => waitForPort(port, exited, () => log)));
  } catch (error) {
    await stop();
    throw error;
  }
  return stop;
}

export async function runSwitchyard(text: string): Promise<() => Promise<void>> {
  const r = importApacheText(text, 'site.conf');
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.line}: ${p.message}`).join('\n'));
  const engine = new Engine({ dataDir: await mkdtemp(join(tmpdir(), 'switchyard-import-')) });
  const close = () => engine.close({ graceMs: 500 });
  try {
    await engine.apply(r.value.config);
  } catch (error) {
    await close();
    throw error;
  }
  return close;
}
