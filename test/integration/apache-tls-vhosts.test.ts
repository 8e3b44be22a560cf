/**
 * TLS virtual hosts from Apache files (issue "Real Apache configurations run unchanged"):
 * a `<VirtualHost *:P>` with `SSLEngine on` and a ServerName used to get a CA without that
 * name, so every handshake was refused; a ServerName without a dot stopped the import.
 * Now both are served, verified against the local CA, and route as real httpd does.
 */
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importApacheText } from '../../src/engine/apache/to-routing.js';
import { Engine } from '../../src/engine/engine.js';
import { deadPort, startBackend, type Backend } from '../support/backend.js';
import { noApache, runApache } from '../support/httpd.js';
import { OPENSSL } from '../support/peer-servers.js';

const run = promisify(execFile);

/** GET over TLS; `ca` undefined accepts any certificate (httpd's self-signed one). */
function get(port: number, servername: string, path: string, ca?: string) {
  return new Promise<{ status: number; backend: string }>((resolve, reject) => {
    const req = https.get(
      {
        host: '127.0.0.1',
        port,
        path,
        servername,
        agent: false,
        headers: { host: servername },
        ...(ca === undefined ? { rejectUnauthorized: false } : { ca }),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          let backend = '-';
          try {
            backend = (JSON.parse(body) as { backend: string; url: string }).backend;
            backend += ` ${(JSON.parse(body) as { url: string }).url}`;
          } catch {
            // not a backend's echo: Switchyard's or httpd's own page
          }
          resolve({ status: res.statusCode ?? 0, backend });
        });
      },
    );
    req.on('error', reject);
  });
}

const conf = (P: number, A: string, B: string, cert = '', key = '') =>
  [
    `Listen 127.0.0.1:${P} https`,
    `<VirtualHost *:${P}>`,
    '  ServerName app.example.com',
    '  SSLEngine on',
    `  SSLCertificateFile ${cert}`,
    `  SSLCertificateKeyFile ${key}`,
    `  ProxyPass / ${A}/app/`,
    '</VirtualHost>',
    `<VirtualHost *:${P}>`,
    '  ServerName catchall',
    '  ServerAlias intranet',
    '  SSLEngine on',
    `  SSLCertificateFile ${cert}`,
    `  SSLCertificateKeyFile ${key}`,
    `  ProxyPass / ${B}/catch/`,
    '</VirtualHost>',
  ].join('\n');

describe('Apache TLS virtual hosts run under Switchyard', () => {
  let a: Backend;
  let b: Backend;
  beforeAll(async () => {
    a = await startBackend('a');
    b = await startBackend('b');
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('puts every TLS name in the listener, single-label ones as NAME.localhost, with a warning', () => {
    const r = importApacheText(conf(8443, a.url, b.url), 'site.conf');
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.value.config.listeners[0]).toMatchObject({
      tls: true,
      hostnames: ['app.example.com', 'catchall.localhost', 'intranet.localhost'],
    });
    expect(r.value.config.routes.map((x) => x.match.host)).toContain('catchall.localhost');
    expect(r.value.warnings.map((w) => `${w.line}: ${w.message}`)).toContainEqual(
      expect.stringMatching(/^9: 'catchall' has no dot.*https:\/\/catchall\.localhost instead$/),
    );
  });

  it('serves each name with a certificate from the local CA, routed as httpd routes it', async () => {
    const ours = await deadPort();
    const r = importApacheText(conf(ours, a.url, b.url), 'site.conf');
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const engine = new Engine({ dataDir: await mkdtemp(join(tmpdir(), 'switchyard-tls-vhost-')) });
    try {
      await engine.apply(r.value.config);
      const ca = (await engine.certificateAuthority()).certPem;
      expect(await get(ours, 'app.example.com', '/x', ca)).toEqual({
        status: 200,
        backend: 'a /app/x',
      });
      expect(await get(ours, 'catchall.localhost', '/y', ca)).toEqual({
        status: 200,
        backend: 'b /catch/y',
      });
      expect(await get(ours, 'intranet.localhost', '/z', ca)).toEqual({
        status: 200,
        backend: 'b /catch/z',
      });
    } finally {
      await engine.close({ graceMs: 200 });
    }
  });

  it.skipIf(noApache || OPENSSL === undefined)(
    'answers as real httpd does for the names both can serve',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'switchyard-tls-vhost-httpd-'));
      const cert = join(dir, 'cert.pem');
      const key = join(dir, 'key.pem');
      await run(OPENSSL as string, [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=app.example.com',
        '-keyout',
        key,
        '-out',
        cert,
      ]);
      const theirs = await deadPort();
      const ours = await deadPort();
      const r = importApacheText(conf(ours, a.url, b.url, cert, key), 'site.conf');
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      const engine = new Engine({ dataDir: join(dir, 'switchyard') });
      let stop: (() => Promise<void>) | undefined;
      try {
        await engine.apply(r.value.config);
        stop = await runApache(
          conf(theirs, a.url, b.url, cert, key),
          [theirs],
          ['ssl', 'socache_shmcb'],
        );
        for (const [name, path] of [
          ['app.example.com', '/one'],
          ['unknown.test', '/two'],
        ] as const) {
          const apache = await get(theirs, name, path);
          const switchyard = await get(ours, name, path);
          expect(switchyard).toEqual(apache);
        }
      } finally {
        await engine.close({ graceMs: 200 });
        await stop?.();
      }
    },
  );
});
