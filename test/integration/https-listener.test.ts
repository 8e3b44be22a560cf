/**
 * TLS listeners with certificates from the local CA, WebSockets over TLS, and https
 * backends verified against the local CA (or not, per route), all on 127.0.0.1.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { CertificateAuthority } from '../../src/engine/tls/authority.js';
import { startBackend, type Backend } from '../support/backend.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { nextMessage, startWsBackend, type WsBackend } from '../support/ws.js';

const run = promisify(execFile);

interface Answer {
  status: number;
  body: string;
  cert: PeerCertificate;
}

function get(port: number, servername: string, ca: string, path = '/'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      {
        host: '127.0.0.1',
        port,
        path,
        servername,
        ca,
        agent: false,
        headers: { host: `${servername}:${port}` },
      },
      (res) => {
        const cert = (res.socket as TLSSocket).getPeerCertificate();
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, cert }));
      },
    );
    req.on('error', reject);
  });
}

async function httpsBackend(
  cert: string,
  key: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = https.createServer({ cert, key }, (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ backend: 'https', host: req.headers.host }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://localhost:${port}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('TLS listeners', () => {
  let backend: Backend;
  let wsBackend: WsBackend;
  let proxy: RunningProxy;
  let ca: CertificateAuthority;
  const warnings: string[] = [];

  beforeAll(async () => {
    backend = await startBackend('app');
    wsBackend = await startWsBackend();
    proxy = await startProxy({
      listeners: [{ name: 'secure', port: 0, tls: true }],
      routes: [
        { name: 'socket', match: { host: 'app.localhost', path: '/socket' }, to: wsBackend.url },
        { name: 'app', match: { host: 'app.localhost' }, to: backend.url },
        { name: 'shop', match: { host: '*.shop.test' }, to: backend.url },
      ],
    });
    proxy.engine.events.on('warning', (w) => warnings.push(w));
    ca = await proxy.engine.certificateAuthority();
  });
  afterAll(async () => {
    await proxy.close();
    await backend.close();
    await wsBackend.close();
  });

  it('serves https with a leaf for the SNI hostname, and tells the backend it was https', async () => {
    const answer = await get(proxy.port(), 'app.localhost', ca.certPem, '/hello');
    expect(answer.status).toBe(200);
    expect(answer.cert.subjectaltname).toContain('DNS:app.localhost');
    const seen = backend.seen.at(-1)!;
    expect(seen.url).toBe('/hello');
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(proxy.url()).toMatch(/^https:\/\/127\.0\.0\.1:/);
  });

  it('issues a separate exact-name leaf for each subdomain of a wildcard route', async () => {
    const a = await get(proxy.port(), 'a.shop.test', ca.certPem);
    const b = await get(proxy.port(), 'b.shop.test', ca.certPem);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.cert.subjectaltname).toContain('DNS:a.shop.test');
    expect(b.cert.subjectaltname).toContain('DNS:b.shop.test');
    expect(a.cert.subjectaltname).not.toContain('*');
  });

  it('answers curl --cacert (ALPN h2 by default, http/1.1 when asked; TLS 1.2+)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-curl-'));
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, ca.certPem);
    const port = proxy.port();
    /** `status version` of one request with curl, trusting only the local CA. */
    const statusAndVersion = async (path: string, ...flags: string[]) => {
      const { stdout } = await run('curl', [
        '-sS',
        ...flags,
        '--cacert',
        caFile,
        '--resolve',
        `app.localhost:${port}:127.0.0.1`,
        '-w',
        '\n%{http_code} %{http_version}',
        `https://app.localhost:${port}${path}`,
      ]);
      return stdout.trim().split('\n').at(-1);
    };
    expect(await statusAndVersion('/curl')).toBe('200 2');
    expect(backend.seen.at(-1)?.url).toBe('/curl');
    expect(await statusAndVersion('/curl1', '--http1.1')).toBe('200 1.1');
  });

  it('refuses TLS 1.1 and clients that do not trust the CA', async () => {
    await expect(get(proxy.port(), 'app.localhost', '')).rejects.toThrow();
    await expect(
      new Promise((resolve, reject) => {
        const req = https.get(
          {
            host: '127.0.0.1',
            port: proxy.port(),
            servername: 'app.localhost',
            ca: ca.certPem,
            maxVersion: 'TLSv1.1',
            minVersion: 'TLSv1',
          },
          resolve,
        );
        req.on('error', reject);
      }),
    ).rejects.toThrow();
  });

  it('tunnels WebSockets over TLS (wss)', async () => {
    // ws passes TLS options through to tls.connect; its types only list some of them.
    const tlsOptions = {
      ca: ca.certPem,
      servername: 'app.localhost',
      headers: { host: 'app.localhost' },
    };
    const ws = new WebSocket(`wss://127.0.0.1:${proxy.port()}/socket`, tlsOptions as object);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send('over tls');
    expect(String((await nextMessage(ws)).data)).toBe('over tls');
    expect(wsBackend.peers.at(-1)?.headers['x-forwarded-proto']).toBe('https');
    ws.terminate();
  });

  it('refuses the handshake for a name outside the CA, with a warning', async () => {
    await expect(get(proxy.port(), 'example.com', ca.certPem)).rejects.toThrow();
    expect(warnings.some((w) => w.includes("'example.com'"))).toBe(true);
  });
});

describe('https backends', () => {
  it('verifies them against the local CA, and accepts self-signed ones only when told', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'switchyard-upstream-'));
    const ours = await CertificateAuthority.open(dataDir);
    const trusted = await ours.leaf('localhost');
    const stranger = await CertificateAuthority.open(
      await mkdtemp(join(tmpdir(), 'switchyard-other-')),
    );
    const untrusted = await stranger.leaf('localhost');
    const good = await httpsBackend(trusted.certPem, trusted.keyPem);
    const selfSigned = await httpsBackend(untrusted.certPem, untrusted.keyPem);
    const proxy = await startProxy(
      {
        listeners: [{ name: 'web', port: 0, tls: true }],
        routes: [
          { name: 'good', match: { path: '/good' }, to: `${good.url}/` },
          { name: 'strict', match: { path: '/strict' }, to: `${selfSigned.url}/` },
          {
            name: 'lenient',
            match: { path: '/lenient' },
            to: `${selfSigned.url}/`,
            tlsVerify: false,
          },
        ],
      },
      dataDir,
    );
    try {
      const caPem = (await proxy.engine.certificateAuthority()).certPem;
      expect(caPem).toBe(ours.certPem);
      expect((await get(proxy.port(), 'localhost', caPem, '/good')).status).toBe(200);
      const strict = await get(proxy.port(), 'localhost', caPem, '/strict');
      expect(strict.status).toBe(502);
      expect(strict.body).toContain('strict');
      expect((await get(proxy.port(), 'localhost', caPem, '/lenient')).status).toBe(200);
    } finally {
      await proxy.close();
      await good.close();
      await selfSigned.close();
    }
  });
});
