/**
 * The built renderer (out/renderer/) as static files for the headless UI: GET and HEAD
 * only, a fixed list of content types, strict headers on every answer, no directory
 * listings, and no way out of the root folder.
 *
 * Paths are decoded once and then refused if any segment is `.`, `..`, hidden, or holds
 * a slash, backslash or NUL, so `/../x`, `/%2e%2e/x` and `/a%2f..%2f..%2fx` never reach the
 * file system; the resolved real path (symbolic links followed) must still lie inside the
 * root, which also guards against a link in the build output pointing elsewhere.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The page may load only its own scripts and styles and talk only to its own server.
 * The meta tag in src/renderer/index.html (and src/main/csp.ts) says the same with any
 * port; this header narrows connect-src to this server's own port and adds
 * frame-ancestors, which a meta tag cannot set. `style-src 'unsafe-inline'` because Vue
 * and the component kit set inline styles; no inline or foreign script can run. The ws:
 * origins are named because not every browser counts ws: of the same host under 'self'.
 */
export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers on every answer of the UI server, files and refusals alike. */
export function securityHeaders(port: number): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(port),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
}

export type ResolvedPath =
  { ok: true; segments: string[] } | { ok: false; status: 400 | 404; message: string };

/**
 * The request path as segments under the root. `/` is index.html; a path whose last
 * segment has no extension is an app route and gets index.html too.
 */
export function resolveRequestPath(rawUrl: string): ResolvedPath {
  const pathPart = rawUrl.split(/[?#]/, 1)[0] ?? '';
  if (!pathPart.startsWith('/')) return { ok: false, status: 400, message: 'bad request path' };
  const segments: string[] = [];
  for (const raw of pathPart.slice(1).split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return { ok: false, status: 400, message: 'bad percent-encoding in the path' };
    }
    if (
      segment === '.' ||
      segment === '..' ||
      segment.startsWith('.') ||
      /[/\\\0]/.test(segment) ||
      // A Windows drive or stream name ("C:", "file::$DATA") is never part of the build.
      segment.includes(':')
    ) {
      return { ok: false, status: 400, message: 'path not allowed' };
    }
    segments.push(segment);
  }
  const last = segments.at(-1);
  if (last === undefined || !last.includes('.')) return { ok: true, segments: ['index.html'] };
  return { ok: true, segments };
}

function refuse(res: ServerResponse, port: number, status: number, message: string): void {
  res.writeHead(status, {
    ...securityHeaders(port),
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(message),
    'cache-control': 'no-store',
  });
  res.end(message);
}

export interface StaticOptions {
  /** The built renderer (real path). */
  root: string;
  /** The UI server's port (for the CSP). */
  port: number;
}

/** Answer one request for a static file. */
export async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  options: StaticOptions,
): Promise<void> {
  const { root, port } = options;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    refuse(res, port, 405, 'only GET and HEAD are served here');
    return;
  }
  const resolved = resolveRequestPath(req.url ?? '/');
  if (!resolved.ok) {
    refuse(res, port, resolved.status, resolved.message);
    return;
  }
  const isIndex = resolved.segments.length === 1 && resolved.segments[0] === 'index.html';
  let file: string;
  let size: number;
  try {
    file = await realpath(join(root, ...resolved.segments));
    if (!file.startsWith(root + sep)) throw new Error('outside the root');
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a file');
    size = info.size;
  } catch {
    if (isIndex) {
      refuse(
        res,
        port,
        503,
        `the UI is not built (no ${join(root, 'index.html')}): run \`npm run build:app\`. ` +
          'The API at /api works without it.',
      );
    } else {
      refuse(res, port, 404, 'not found');
    }
    return;
  }
  res.writeHead(200, {
    ...securityHeaders(port),
    'content-type': contentTypeOf(file),
    'content-length': size,
    // Vite names assets after their content hash; index.html must be fetched every time.
    'cache-control':
      resolved.segments[0] === 'assets' ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}
