/**
 * `switchyard ca ...`: in-process with this platform's stores rooted in temporary folders
 * (a real NSS database for Chrome, a Debian-shaped file-system root that needs sudo), and
 * through the built command for the read-only subcommands.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustStoresFor } from '../../src/engine/tls/trust-stores.js';
import { caMain } from '../../src/server/ca-commands.js';
import type { CliIo } from '../../src/server/cli.js';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '../../bin/switchyard.js');
let tmp: string;
let dataDir: string;
let home: string;
let root: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'switchyard-ca-cli-'));
  dataDir = join(tmp, 'data');
  home = join(tmp, 'home');
  root = join(tmp, 'root');
  await mkdir(join(root, 'usr/local/share/ca-certificates'), { recursive: true });
  await mkdir(home, { recursive: true });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function ca(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await caMain([...args, '--data-dir', dataDir], io, {
    trustStores: () => trustStoresFor('linux', { home, root, isRoot: false }),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('switchyard ca', () => {
  it('status before first use says there is no CA yet, and creates none', async () => {
    const r = await ca('status');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^no local CA yet in .*data\/ca\nit is created on first use/);
    const again = await ca('path');
    expect(again.out).toBe(join(dataDir, 'ca', 'ca.pem'));
  });

  it('trust: creates the CA, trusts it in the user store, prints sudo commands for the rest', async () => {
    const r = await ca('trust');
    const anchor = join(root, 'usr/local/share/ca-certificates/switchyard.crt');
    const caPath = join(dataDir, 'ca', 'ca.pem');
    expect(r.out).toContain('trusted: NSS database ~/.pki/nssdb (Chrome/Chromium): trusted (C,,)');
    expect(r.out).toContain('needs sudo: Linux system trust store');
    expect(r.out).toContain(
      `to finish, run with administrator rights:\n  sudo install -m 0644 ${caPath} ${anchor}\n  sudo update-ca-certificates`,
    );
    expect(r.out).toContain(`Node.js: export NODE_EXTRA_CA_CERTS=${caPath}`);
    expect(r.code).toBe(1); // not everywhere yet
  });

  it('status: fingerprint, validity, constraints, and where it is trusted', async () => {
    const r = await ca('status');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^CN=Switchyard Local CA \(.+\), O=Switchyard$/m);
    expect(r.out).toMatch(/^ {2}fingerprint {2}SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/m);
    expect(r.out).toMatch(/^ {2}valid {8}\d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d$/m);
    expect(r.out).toContain(
      '  permits      localhost, *.localhost, test, *.test, 127.0.0.0/8, ::1',
    );
    expect(r.out).toContain('  yes  NSS database ~/.pki/nssdb (Chrome/Chromium): trusted (C,,)');
    expect(r.out).toMatch(/^ {2}no {3}Linux system trust store .*: not trusted/m);
  });

  it('export writes the PEM to a file or stdout', async () => {
    const pem = await readFile(join(dataDir, 'ca', 'ca.pem'), 'utf8');
    const file = join(tmp, 'exported.pem');
    const r = await ca('export', '--out', file);
    expect(r.out).toMatch(/^wrote .*exported\.pem \(SHA-256 [0-9A-F:]+\)$/);
    expect(await readFile(file, 'utf8')).toBe(pem);
    expect(`${(await ca('export')).out}\n`).toBe(pem);
  });

  it('reissue refuses while the CA is trusted, then replaces it once untrusted', async () => {
    const before = await ca('status');
    const refused = await ca('reissue', '--name', 'app.example.com');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/trusted in: NSS database ~\/\.pki\/nssdb.*switchyard ca untrust/s);

    const untrust = await ca('untrust');
    expect(untrust.out).toContain('removed: NSS database ~/.pki/nssdb (Chrome/Chromium)');
    expect(untrust.code).toBe(0);

    const config = join(tmp, 'switchyard.yaml');
    await writeFile(
      config,
      `version: 1
listeners: [{ name: secure, port: 8443, tls: true }]
routes: [{ name: shop, match: { host: "*.shop.example" }, to: "http://127.0.0.1:3000" }]
`,
    );
    const r = await ca('reissue', '--name', 'app.example.com', '--config', config);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      'permits      localhost, *.localhost, test, *.test, 127.0.0.0/8, ::1, *.shop.example, app.example.com, shop.example',
    );
    expect(r.out).toContain('This is a NEW CA: trust it again with `switchyard ca trust`');
    const fingerprint = (s: string): string | undefined => /SHA-256 (\S+)/.exec(s)?.[1];
    expect(fingerprint(r.out)).not.toBe(fingerprint(before.out));
    expect((await ca('status')).out).toContain(fingerprint(r.out));
  });

  it('explains bad usage', async () => {
    expect((await ca('frobnicate')).err).toMatch(/unknown command 'frobnicate'/);
    expect((await ca('reissue', '--name', 'com')).err).toMatch(/single label/);
    expect((await ca('status', 'extra')).code).toBe(2);
  });
});

describe('switchyard ca through the built command', () => {
  it('dispatches `ca` from the main command: help, path, export, status', async () => {
    const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(tmp, 'xdg') };
    const opts = { env };
    const help = await run(process.execPath, [bin, 'ca', '--help'], opts);
    expect(help.stdout).toContain('switchyard ca status');
    expect((await run(process.execPath, [bin, '--help'], opts)).stdout).toContain(
      'switchyard ca COMMAND',
    );

    const path = await run(process.execPath, [bin, 'ca', 'path'], opts);
    expect(path.stdout).toBe(`${join(tmp, 'xdg', 'Switchyard', 'ca', 'ca.pem')}\n`);
    const exported = await run(
      process.execPath,
      [bin, 'ca', 'export', '--data-dir', dataDir],
      opts,
    );
    expect(exported.stdout).toBe(await readFile(join(dataDir, 'ca', 'ca.pem'), 'utf8'));
    const status = await run(process.execPath, [bin, 'ca', 'status', '--data-dir', dataDir], opts);
    expect(status.stdout).toMatch(
      /^trust:\n(.*\n)*.*NSS database ~\/\.pki\/nssdb \(Chrome\/Chromium\)/m,
    );
  });
});
