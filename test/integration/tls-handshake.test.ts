/**
 * A real TLS server on 127.0.0.1 whose SNICallback asks the CA for a context per
 * hostname, as the engine's TLS listeners do, and real clients that trust only the CA.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '../../src/engine/tls/authority.js';

let dir: string;
let ca: CertificateAuthority;
let server: tls.Server;
let port: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-handshake-'));
  ca = await CertificateAuthority.open(join(dir, 'data'));
  const fallback = await ca.leaf(ca.defaultHostname);
  server = tls.createServer(
    {
      cert: fallback.certPem,
      key: fallback.keyPem,
      SNICallback: (servername, callback) => {
        ca.secureContext(servername).then(
          (context) => callback(null, context),
          (error: Error) => callback(error),
        );
      },
    },
    (socket) => socket.end(`hello ${socket.servername || '(no SNI)'}\n`),
  );
  server.on('tlsClientError', () => {}); // refused handshakes are part of the test
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

interface Result {
  authorized: boolean;
  san: string | undefined;
  body: string;
}

function connect(options: tls.ConnectionOptions): Promise<Result> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ...options }, () => {
      const san = socket.getPeerCertificate().subjectaltname;
      let body = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (body += d));
      socket.on('end', () => resolve({ authorized: socket.authorized, san, body }));
    });
    socket.on('error', reject);
  });
}

describe('TLS handshake with certificates from secureContext()', () => {
  it('serves app.localhost its own certificate, trusted through the CA', async () => {
    const r = await connect({ ca: ca.certPem, servername: 'app.localhost' });
    expect(r.authorized).toBe(true);
    expect(r.san).toBe('DNS:app.localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(r.body).toBe('hello app.localhost\n');
  });

  it('serves *.test names and repeats handshakes from the cache', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await connect({ ca: ca.certPem, servername: 'shop.test' });
      expect(r.authorized).toBe(true);
    }
    expect(ca.issued().map((l) => l.hostname)).toContain('shop.test');
  });

  it('gives a client without SNI the default certificate, valid for 127.0.0.1', async () => {
    const r = await connect({ ca: ca.certPem });
    expect(r.authorized).toBe(true);
    expect(r.san).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(r.body).toBe('hello (no SNI)\n');
  });

  it('refuses the handshake for a name outside the constraints', async () => {
    await expect(connect({ ca: ca.certPem, servername: 'example.com' })).rejects.toThrow();
  });

  it('is not trusted by a client that does not trust the CA', async () => {
    await expect(connect({ servername: 'app.localhost' })).rejects.toMatchObject({
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
  });
});
