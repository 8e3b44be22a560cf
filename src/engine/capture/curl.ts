/**
 * "Copy as cURL" for one exchange (SPEC §4): a single POSIX shell command that sends the
 * same method, target, headers and body bytes again.
 *
 * Quoting is single quotes only (`'` as `'\''`), so the line works in sh, bash and zsh
 * alike. Bodies go through stdin (`--data-binary @-`) whenever an argument cannot carry
 * them: bytes a shell argument cannot hold or a terminal paste could alter (NUL, CR,
 * control characters, invalid UTF-8 → base64 piped through `base64 -d`), a leading `@`
 * (curl would read a file), or text too long for one argument (Linux caps each at
 * 128 KiB; `printf` is a shell builtin, so it has no such limit). A body the log did not
 * keep in full is sent as far as it was kept, behind a warning echoed to stderr.
 */
import type { ExchangeDetail, HeaderPairs } from '../../shared/exchange.js';
import { splitUrl } from './har-fields.js';
import { utf8Text } from './text.js';

export interface CurlOptions {
  /** Send to this origin (and path prefix) instead of the one the client used. */
  baseUrl?: string;
}

/** Headers curl writes itself or that describe the client's connection, not the request. */
const NOT_REPLAYED = new Set([
  'content-length',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'http2-settings',
]);

/** Longest text body passed as an argument (below Linux's 128 KiB per-argument cap). */
const MAX_ARGUMENT_BODY = 64 * 1024;

/**
 * Control characters other than TAB and LF: NUL cannot be in an argument, a CR may not
 * survive a paste, and terminals act on the others (C1 included).
 */
function hasUnsafeControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a) || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/** Single-quote for a POSIX shell unless the word is plainly safe as it is. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export function toCurl(
  detail: ExchangeDetail,
  requestBody?: Buffer,
  options: CurlOptions = {},
): string {
  const { url, requestTarget } = targetUrl(detail, options.baseUrl);
  const body = requestBody && requestBody.length > 0 ? requestBody : undefined;
  const args = ['curl', shellQuote(url)];

  const method = detail.method;
  if (method === 'HEAD' && !body) args.push('--head');
  else if (!(method === 'GET' && !body) && !(method === 'POST' && body)) {
    args.push('-X', shellQuote(method));
  }
  if (requestTarget !== undefined) args.push('--request-target', shellQuote(requestTarget));
  args.push(
    detail.httpVersion === '1.0'
      ? '--http1.0'
      : detail.httpVersion.startsWith('2')
        ? // HTTP/2 as the client spoke it: by ALPN over TLS, with prior knowledge in clear text.
          detail.secure
          ? '--http2'
          : '--http2-prior-knowledge'
        : '--http1.1',
  );
  const path = url.split('?')[0] ?? '';
  // curl would resolve dot segments and expand [] {} globs; the client sent them as is.
  if (/(^|\/)\.\.?(\/|$)/.test(splitUrl(path).target)) args.push('--path-as-is');
  if (/[[\]{}]/.test(url)) args.push('--globoff');

  for (const [name, value] of replayedHeaders(detail.requestHeaders, splitUrl(url).authority)) {
    // `Name:` would tell curl to remove a header; `Name;` sends it empty.
    args.push('-H', shellQuote(value === '' ? `${name};` : `${name}: ${value}`));
  }
  const has = (name: string) => detail.requestHeaders.some(([n]) => n.toLowerCase() === name);
  if (body && !has('content-type')) args.push('-H', shellQuote('Content-Type:'));
  // Some curl versions add `Expect: 100-continue` past 1 KiB, others past 1 MiB.
  if (body && body.length > 1024 && !has('expect')) args.push('-H', shellQuote('Expect:'));

  let stdin = '';
  if (body) {
    const text = utf8Text(body);
    const plain = text !== undefined && !hasUnsafeControl(text);
    if (plain && !text.startsWith('@') && body.length <= MAX_ARGUMENT_BODY) {
      args.push('--data-binary', shellQuote(text));
    } else {
      stdin = plain
        ? `printf '%s' ${shellQuote(text)} | `
        : `printf '%s' ${body.toString('base64')} | base64 -d | `;
      args.push('--data-binary', '@-');
    }
  }
  return warning(detail, body) + stdin + args.join(' ');
}

function targetUrl(
  detail: ExchangeDetail,
  baseUrl: string | undefined,
): { url: string; requestTarget?: string } {
  const origin = baseUrl
    ? baseUrl.replace(/\/+$/, '')
    : `${detail.secure ? 'https' : 'http'}://${detail.host}`;
  const target = detail.url;
  if (target.startsWith('/')) return { url: origin + target };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    return { url: baseUrl ? origin + splitUrl(target).target : target };
  }
  // `*` (OPTIONS *) and other non-path targets: curl sends them with --request-target.
  return { url: `${origin}/`, requestTarget: target };
}

function replayedHeaders(headers: HeaderPairs, authority: string): HeaderPairs {
  // Headers the client named in Connection are hop-by-hop too (RFC 9110 §7.6.1).
  const named = headers
    .filter(([n]) => n.toLowerCase() === 'connection')
    .flatMap(([, v]) => v.split(','))
    .map((token) => token.trim().toLowerCase());
  return headers.filter(([name, value]) => {
    const lower = name.toLowerCase();
    if (lower.startsWith(':') || NOT_REPLAYED.has(lower) || named.includes(lower)) return false;
    // curl sends Host from the URL; keep the original only when the URL says otherwise.
    return !(lower === 'host' && value.toLowerCase() === authority.toLowerCase());
  });
}

/** A stderr line when the body cannot be sent as the client sent it. */
function warning(detail: ExchangeDetail, body: Buffer | undefined): string {
  const kept = body?.length ?? 0;
  const size = detail.requestBody.size;
  if (kept >= size) return '';
  const what =
    kept === 0
      ? `the request body (${size} bytes) was not captured; sending none`
      : `the request body was truncated: sending the ${kept} of ${size} bytes captured`;
  return `echo ${shellQuote(`switchyard: ${what}`)} >&2; `;
}
