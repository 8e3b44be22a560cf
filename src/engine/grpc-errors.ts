/**
 * Switchyard's own answers to a gRPC call (content-type `application/grpc…`): a gRPC client
 * reads no HTML or JSON, only a status. So the answer is HTTP 200 with `grpc-status` and a
 * `grpc-message` that names the route or member, sent as trailers (the form every gRPC
 * client reads, over HTTP/2 and through the compatibility layer alike).
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { isGrpcContentType } from '../shared/grpc.js';
import type { ProxyError } from './error-page.js';

/** gRPC status codes (grpc/doc/statuscodes.md) for the HTTP statuses Switchyard answers. */
const GRPC_STATUS: Record<number, number> = {
  400: 3, // INVALID_ARGUMENT
  403: 7, // PERMISSION_DENIED
  404: 12, // UNIMPLEMENTED: no route serves this method
  408: 4, // DEADLINE_EXCEEDED: the client was too slow
  431: 8, // RESOURCE_EXHAUSTED
  501: 12, // UNIMPLEMENTED
  502: 14, // UNAVAILABLE: the backend is unreachable or broken
  503: 14, // UNAVAILABLE: no usable member
  504: 4, // DEADLINE_EXCEEDED: the route timeout passed
  508: 13, // INTERNAL: a routing loop
};

export function isGrpc(headers: IncomingHttpHeaders): boolean {
  return isGrpcContentType(headers['content-type']);
}

export function grpcStatusOf(httpStatus: number): number {
  return GRPC_STATUS[httpStatus] ?? 2; // UNKNOWN
}

/** grpc-message is percent-encoded UTF-8: printable ASCII but `%` passes as is. */
export function encodeGrpcMessage(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The grpc-status and grpc-message fields for one of Switchyard's answers. */
export function grpcStatusFields(
  error: ProxyError,
): Record<'grpc-status' | 'grpc-message', string> {
  const where = [
    error.route === undefined ? '' : `route '${error.route}'`,
    error.backend === undefined ? '' : `backend ${error.backend}`,
  ]
    .filter((s) => s !== '')
    .join(', ');
  const message = `Switchyard: ${error.title}${where === '' ? '' : ` (${where})`}: ${error.detail}`;
  return {
    'grpc-status': String(grpcStatusOf(error.status)),
    'grpc-message': encodeGrpcMessage(message.slice(0, 1_000)),
  };
}

export function sendGrpcError(res: ServerResponse, error: ProxyError): void {
  const status = grpcStatusFields(error);
  res.writeHead(200, {
    'content-type': 'application/grpc',
    'x-switchyard-error': String(error.status),
    // HTTP/1.1 has no trailers without chunking: there the status goes with the head.
    ...(res.req.httpVersionMajor === 2 ? {} : status),
  });
  if (res.req.httpVersionMajor === 2) res.addTrailers(status);
  res.end();
}
