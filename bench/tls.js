// Local TLS benchmark: what the local CA costs. Creating the CA, the first handshake for a
// hostname (the leaf is issued during it), the same after a restart (leaf read from the
// disk cache), and a repeated handshake (context cached in memory), against a TLS server
// with one static certificate as the floor.
//
//   npm run build:cli          # the CA is loaded from out/cli/
//   node bench/tls.js          # 200 handshakes per case
//   node bench/tls.js --rounds 500 --engine out/cli
//
// Server and client run in this one process on 127.0.0.1, so a handshake's time includes
// both sides' work; full handshakes only (no session resumption). Figures are medians.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: process.env.BENCH_ROUNDS ?? '200' },
    engine: { type: 'string', default: process.env.BENCH_ENGINE ?? 'out/cli' },
  },
});
const rounds = Number(values.rounds);
const authorityModule = join(resolve(ROOT, values.engine), 'engine/tls/authority.js');
let CertificateAuthority;
try {
  ({ CertificateAuthority } = await import(pathToFileURL(authorityModule).href));
} catch {
  console.error(`cannot load ${authorityModule}; run \`npm run build:cli\` first`);
  process.exit(1);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const ms = (x) => `${x.toFixed(2)} ms`;

async function timed(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function serve(options) {
  const server = tls.createServer(options, (socket) => socket.end());
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

function handshake(port, ca, servername) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername }, () => {
      if (!socket.authorized) reject(new Error(String(socket.authorizationError)));
      socket.destroy();
      resolve();
    });
    socket.on('error', reject);
  });
}

function sniServer(ca) {
  return ca.leaf(ca.defaultHostname).then((fallback) =>
    serve({
      cert: fallback.certPem,
      key: fallback.keyPem,
      SNICallback: (name, cb) => ca.secureContext(name).then((c) => cb(null, c), cb),
    }),
  );
}

const tmp = mkdtempSync(join(os.tmpdir(), 'switchyard-bench-tls-'));
try {
  // CA creation: key pair, self-signed certificate, two files (the key fsynced).
  const creations = [];
  for (let i = 0; i < 10; i++) {
    creations.push(await timed(() => CertificateAuthority.open(join(tmp, `ca-${i}`))));
  }
  const dataDir = join(tmp, 'ca-0');
  let ca = await CertificateAuthority.open(dataDir);

  // Floor: a server with one static certificate, no SNICallback.
  const fixed = await ca.leaf('static.localhost');
  const plain = await serve({ cert: fixed.certPem, key: fixed.keyPem });
  const plainPort = plain.address().port;
  for (let i = 0; i < 20; i++) await handshake(plainPort, ca.certPem, 'static.localhost');
  const floor = [];
  for (let i = 0; i < rounds; i++) {
    floor.push(await timed(() => handshake(plainPort, ca.certPem, 'static.localhost')));
  }
  plain.close();

  let server = await sniServer(ca);
  let port = server.address().port;
  for (let i = 0; i < 20; i++) await handshake(port, ca.certPem, 'warm.localhost');

  const first = [];
  for (let i = 0; i < rounds; i++) {
    first.push(await timed(() => handshake(port, ca.certPem, `h${i}.localhost`)));
  }
  const cached = [];
  for (let i = 0; i < rounds; i++) {
    cached.push(await timed(() => handshake(port, ca.certPem, 'h0.localhost')));
  }
  server.close();

  // A restart: a new CertificateAuthority over the same folder reads leaves from disk.
  ca = await CertificateAuthority.open(dataDir);
  server = await sniServer(ca);
  port = server.address().port;
  for (let i = 0; i < 20; i++) await handshake(port, ca.certPem, 'warm.localhost');
  const fromDisk = [];
  for (let i = 1; i < rounds; i++) {
    fromDisk.push(await timed(() => handshake(port, ca.certPem, `h${i}.localhost`)));
  }
  server.close();

  console.log(`Local TLS, Node ${process.version}, ${os.cpus().length} CPUs, ${rounds} rounds`);
  console.log(
    `  CA creation                                first ${ms(creations[0])}, median of 10 ${ms(median(creations))}`,
  );
  console.log(`  first handshake, leaf issued               median ${ms(median(first))}`);
  console.log(`  first handshake after restart (disk cache) median ${ms(median(fromDisk))}`);
  console.log(`  cached handshake (context in memory)       median ${ms(median(cached))}`);
  console.log(`  static-certificate server (floor)          median ${ms(median(floor))}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
