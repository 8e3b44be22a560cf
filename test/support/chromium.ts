/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser), started the
 * way STACK.md describes: a fresh profile (playwright makes one), no background networking (this machine has no
 * network to reach), and optionally its own HOME whose NSS database trusts one CA.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';

const run = promisify(execFile);
export const CHROMIUM = '/usr/bin/chromium';

export function chromiumMissing(): string | undefined {
  if (!existsSync(CHROMIUM))
    return `${CHROMIUM} is missing (apt-get install chromium; .ci/run does)`;
  return undefined;
}

export interface LaunchOptions {
  /** A CA certificate (PEM) the browser trusts, through a fresh NSS database. */
  trustCa?: string;
}

export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const home = await mkdtemp(join(tmpdir(), 'switchyard-chromium-'));
  if (options.trustCa !== undefined) {
    const nssdb = join(home, '.pki', 'nssdb');
    await mkdir(nssdb, { recursive: true });
    const caFile = join(home, 'ca.pem');
    await writeFile(caFile, options.trustCa);
    await run('certutil', ['-N', '-d', `sql:${nssdb}`, '--empty-password']);
    await run('certutil', [
      '-A',
      '-d',
      `sql:${nssdb}`,
      '-t',
      'C,,',
      '-n',
      'switchyard',
      '-i',
      caFile,
    ]);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    env: { ...process.env, HOME: home },
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
}
