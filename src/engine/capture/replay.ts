/**
 * Send a recorded request again through the listener it came in on, in the protocol the
 * client used: HTTP/1.1, or HTTP/2 (ALPN h2 over TLS, prior knowledge in clear text), so a
 * replayed gRPC call is a gRPC call again. Resolves with the response's status.
 */
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { ExchangeDetail } from '../../shared/exchange.js';
import { endToEndHeaders } from '../headers.js';

export interface ReplayListener {
  url: string;
  tls: boolean;
}

/** The recorded end-to-end headers, framing left to the client that sends them again. */
function replayHeaders(detail: ExchangeDetail): http.OutgoingHttpHeaders {
  const headers = endToEndHeaders(
    Object.fromEntries(detail.requestHeaders.map(([k, v]) => [k.toLowerCase(), v])),
  );
  delete headers['content-length'];
  return headers;
}

function replayHttp1(
  detail: ExchangeDetail,
  body: Buffer,
  listener: ReplayListener,
  ca: string | undefined,
  servername: string,
): Promise<number> {
  const options = {
    method: detail.method,
    path: detail.url,
    headers: replayHeaders(detail),
    agent: false as const,
  };
  const target = new URL(listener.url);
  return new Promise<number>((resolve, reject) => {
    const req = listener.tls
      ? https.request(target, { ...options, ca, servername })
      : http.request(target, options);
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body.length > 0 ? body : undefined);
  });
}

function replayHttp2(
  detail: ExchangeDetail,
  body: Buffer,
  listener: ReplayListener,
  ca: string | undefined,
  servername: string,
): Promise<number> {
  const headers = replayHeaders(detail);
  // HTTP/2 keeps `te: trailers` (gRPC needs it) and names the host in :authority.
  const te = detail.requestHeaders.find(([k]) => k.toLowerCase() === 'te')?.[1];
  delete headers.host;
  const session = http2.connect(listener.url, listener.tls ? { ca, servername } : {});
  return new Promise<number>((resolve, reject) => {
    session.on('error', reject);
    const stream = session.request(
      {
        ...headers,
        ...(te?.toLowerCase() === 'trailers' ? { te: 'trailers' } : {}),
        ':method': detail.method,
        ':path': detail.url,
        ':authority': detail.host,
      },
      { endStream: body.length === 0 },
    );
    let status = 0;
    stream.on('response', (h) => (status = Number(h[':status'] ?? 0)));
    stream.on('error', reject);
    stream.resume();
    stream.on('end', () => resolve(status));
    if (body.length > 0) stream.end(body);
  }).finally(() => session.close());
}

export function replay(
  detail: ExchangeDetail,
  body: Buffer,
  listener: ReplayListener,
  ca: string | undefined,
): Promise<number> {
  const hostname = detail.host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const servername = hostname === '' ? 'localhost' : hostname;
  return detail.httpVersion.startsWith('2')
    ? replayHttp2(detail, body, listener, ca, servername)
    : replayHttp1(detail, body, listener, ca, servername);
}
