/**
 * `switchyard ca ...`: the local certificate authority from the command line. Shows where
 * it is trusted, installs it into the trust stores a user can change, and prints the
 * commands for the ones that need root (run by hand with sudo; the desktop app's
 * elevation prompt is a later issue).
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatProblems, loadRoutingFile } from '../engine/config-file.js';
import { CaFilesError, CertificateAuthority, caPaths } from '../engine/tls/authority.js';
import { describePermitted } from '../engine/tls/names.js';
import { tlsRouteNames } from '../engine/tls/route-names.js';
import { nodeTrustHint, type TrustStore } from '../engine/tls/trust-store.js';
import { caFile, changeTrust } from '../engine/tls/trust.js';
import { trustStoresFor } from '../engine/tls/trust-stores.js';
import type { CliIo } from './cli-io.js';
import { defaultDataDir } from './data-dir.js';

export const CA_USAGE = `Usage:
  switchyard ca status              the CA, its name constraints, and where it is trusted
  switchyard ca trust               trust the CA in this user's stores; prints sudo commands for the rest
  switchyard ca untrust             remove it from the stores where it is trusted
  switchyard ca export [--out FILE] write the CA certificate (PEM) to FILE or stdout
  switchyard ca path                print the CA certificate's path
  switchyard ca reissue [--config FILE] [--name HOST]... [--force]
                                    replace the CA, permitting the TLS route hosts of FILE
                                    and each HOST too; the new CA must be trusted again

Options:
      --data-dir DIR   where Switchyard keeps its state (default: ${defaultDataDir()})

The CA can only vouch for localhost, *.localhost, *.test, loopback addresses and the names
it was created with (X.509 Name Constraints), so its key cannot impersonate real sites.`;

export interface CaCommandOptions {
  /** The trust stores to work on; default: this platform's, found on this machine. */
  trustStores?: () => Promise<TrustStore[]>;
}

interface Context {
  io: CliIo;
  dataDir: string;
  stores: () => Promise<TrustStore[]>;
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

async function status(ctx: Context): Promise<number> {
  const { io, dataDir } = ctx;
  if (!(await CertificateAuthority.exists(dataDir))) {
    io.out(`no local CA yet in ${caPaths(dataDir).dir}`);
    io.out('it is created on first use of a TLS listener, or by `switchyard ca trust`');
    return 0;
  }
  const ca = await CertificateAuthority.open(dataDir);
  io.out(ca.subject);
  io.out(`  file         ${ca.paths.cert}`);
  io.out(`  fingerprint  SHA-256 ${ca.fingerprint}`);
  io.out(`  valid        ${day(ca.notBefore)} to ${day(ca.notAfter)}`);
  io.out(`  permits      ${describePermitted(ca.permitted)}`);
  io.out(`  leaves       ${ca.issued().length} issued, in ${ca.paths.leaves}`);
  io.out('trust:');
  const file = caFile(ca);
  for (const store of await ctx.stores()) {
    const s = await store.status(file);
    io.out(`  ${s.trusted ? 'yes' : 'no '}  ${store.name}: ${s.detail}`);
  }
  io.out(`Node.js reads neither store: ${nodeTrustHint(ca.paths.cert)}`);
  return 0;
}

/** `sudo switchyard ca trust` would use root's data folder and root's browsers. */
function refuseSudo(io: CliIo, explicitDataDir: boolean): boolean {
  const sudoUser = process.env['SUDO_USER'];
  if (process.getuid?.() !== 0 || !sudoUser || explicitDataDir) return false;
  io.err(
    `switchyard: running through sudo, this would use root's data folder and browser ` +
      `databases, not ${sudoUser}'s. Run it without sudo: it prints the commands that ` +
      'need sudo (or pass --data-dir to mean it).',
  );
  return true;
}

async function trust(ctx: Context, remove: boolean): Promise<number> {
  const { io, dataDir } = ctx;
  if (remove && !(await CertificateAuthority.exists(dataDir))) {
    io.out(`no local CA in ${caPaths(dataDir).dir}; nothing to untrust`);
    return 0;
  }
  const ca = await CertificateAuthority.open(dataDir);
  const { outcomes, elevated } = await changeTrust(ca, await ctx.stores(), remove);
  for (const o of outcomes) {
    if (o.detail.startsWith('failed')) io.err(`  ${o.detail}: ${o.store}`);
    else io.out(`  ${o.detail}: ${o.store}${o.after === undefined ? '' : `: ${o.after}`}`);
  }
  if (elevated.length > 0) {
    io.out(`to finish, run with administrator rights:`);
    for (const command of elevated) io.out(`  ${command}`);
  }
  if (!remove) {
    io.out(`Node.js: ${nodeTrustHint(ca.paths.cert)}`);
    io.out('browsers that were open may need a restart to see the change');
  }
  return outcomes.every((o) => o.done) ? 0 : 1;
}

async function exportPem(ctx: Context, out: string | undefined): Promise<number> {
  const ca = await CertificateAuthority.open(ctx.dataDir);
  if (out === undefined) {
    ctx.io.out(ca.certPem.trimEnd());
    return 0;
  }
  await writeFile(out, ca.certPem, { mode: 0o644 });
  ctx.io.out(`wrote ${out} (SHA-256 ${ca.fingerprint})`);
  return 0;
}

async function reissue(
  ctx: Context,
  config: string | undefined,
  extra: string[],
  force: boolean,
): Promise<number> {
  const { io, dataDir } = ctx;
  const names = [...extra];
  if (config !== undefined) {
    const loaded = await loadRoutingFile(config);
    if (!loaded.ok) {
      io.err(`switchyard: ${config} has problems:`);
      io.err(formatProblems(loaded.problems));
      return 1;
    }
    names.push(...tlsRouteNames(loaded.config));
  }
  // A CA whose files are broken cannot be identified in the stores; replacing it is the fix.
  const old = !(await CertificateAuthority.exists(dataDir))
    ? undefined
    : await CertificateAuthority.open(dataDir).catch((error: unknown) => {
        if (error instanceof CaFilesError) return undefined;
        throw error;
      });
  if (old && !force) {
    const file = caFile(old);
    const trustedIn: string[] = [];
    for (const store of await ctx.stores()) {
      if ((await store.status(file)).trusted) trustedIn.push(store.name);
    }
    if (trustedIn.length > 0) {
      io.err(`switchyard: the current CA is trusted in: ${trustedIn.join('; ')}.`);
      io.err(
        'A new CA would leave it trusted there. Run `switchyard ca untrust` first, ' +
          'or pass --force to reissue anyway.',
      );
      return 1;
    }
  }
  const ca = await CertificateAuthority.reissue(dataDir, { names });
  io.out(`new local CA ${ca.paths.cert}`);
  io.out(`  fingerprint  SHA-256 ${ca.fingerprint}`);
  io.out(`  permits      ${describePermitted(ca.permitted)}`);
  io.out('This is a NEW CA: trust it again with `switchyard ca trust`; until then clients');
  io.out('reject its certificates. A running Switchyard picks it up when restarted.');
  return 0;
}

export async function caMain(
  argv: string[],
  io: CliIo,
  options: CaCommandOptions = {},
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'data-dir': { type: 'string' },
        out: { type: 'string', short: 'o' },
        config: { type: 'string', short: 'c' },
        name: { type: 'string', multiple: true },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.err(`switchyard ca: ${(error as Error).message}`);
    io.err('run `switchyard ca --help` for usage');
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === undefined) {
    io.out(CA_USAGE);
    return values.help ? 0 : 2;
  }
  if (rest.length > 0) {
    io.err(`switchyard ca ${command}: unexpected argument '${rest[0]}'`);
    return 2;
  }
  const ctx: Context = {
    io,
    dataDir: values['data-dir'] ?? defaultDataDir(),
    stores: options.trustStores ?? (() => trustStoresFor()),
  };
  try {
    switch (command) {
      case 'status':
        return await status(ctx);
      case 'trust':
      case 'untrust':
        if (refuseSudo(io, values['data-dir'] !== undefined)) return 2;
        return await trust(ctx, command === 'untrust');
      case 'export':
        return await exportPem(ctx, values.out);
      case 'path':
        io.out(caPaths(ctx.dataDir).cert);
        return 0;
      case 'reissue':
        return await reissue(ctx, values.config, values.name ?? [], values.force === true);
      default:
        io.err(`switchyard ca: unknown command '${command}'; run \`switchyard ca --help\``);
        return 2;
    }
  } catch (error) {
    io.err(`switchyard ca ${command}: ${(error as Error).message}`);
    return 1;
  }
}
