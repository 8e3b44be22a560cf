/**
 * A small gRPC server-reflection client (grpc.reflection.v1, falling back to v1alpha):
 * asks a backend for the file descriptors that define a service and builds a protobufjs
 * Root from them. It runs on its own HTTP/2 session, apart from the forwarder's: it is the
 * inspector asking, never proxied traffic, and it must not queue behind (or slow) calls.
 * Bounded in time and size; the caller only ever passes a route's own configured backend.
 */
import { connect, type ClientHttp2Session } from 'node:http2';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';

const REFLECTION_PROTO = `
syntax = "proto3";
package reflection;
message Request {
  string host = 1;
  oneof message_request {
    string file_by_filename = 3;
    string file_containing_symbol = 4;
    string list_services = 7;
  }
}
message FileDescriptorResponse { repeated bytes file_descriptor_proto = 1; }
message ErrorResponse { int32 error_code = 1; string error_message = 2; }
message Response {
  string valid_host = 1;
  oneof message_response {
    FileDescriptorResponse file_descriptor_response = 4;
    ErrorResponse error_response = 7;
  }
}`;

const messages = protobuf.parse(REFLECTION_PROTO, { keepCase: true }).root.resolveAll();
const Request = messages.lookupType('reflection.Request');
const Response = messages.lookupType('reflection.Response');

export const REFLECTION_SERVICES = [
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
] as const;

export interface ReflectionOptions {
  /** Whole lookup, all requests together. */
  timeoutMs?: number;
  /** Response bytes accepted at most. */
  maxBytes?: number;
  /** CA certificates to trust for h2:// backends (the local CA). */
  ca?: string[];
}

class ReflectionError extends Error {
  constructor(
    message: string,
    readonly unimplemented = false,
  ) {
    super(message);
  }
}

function frame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** One reflection request on its own stream; the decoded response. */
function ask(
  session: ClientHttp2Session,
  service: string,
  request: Record<string, string>,
  maxBytes: number,
): Promise<Record<string, unknown>> {
  return new Promise((resolvePromise, reject) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': `/${service}/ServerReflectionInfo`,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let status: string | undefined;
    let detail = '';
    const note = (headers: Record<string, unknown>) => {
      if (headers['grpc-status'] !== undefined) status = String(headers['grpc-status']);
      if (typeof headers['grpc-message'] === 'string')
        detail = decodeURIComponent(headers['grpc-message']);
    };
    stream.on('response', note);
    stream.on('trailers', note);
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        stream.close();
        reject(new ReflectionError(`reflection answer larger than ${maxBytes} bytes`));
      } else chunks.push(chunk);
    });
    stream.on('error', (e) => reject(new ReflectionError(e.message)));
    stream.on('close', () => {
      if (status !== undefined && status !== '0') {
        reject(
          new ReflectionError(
            `${service}: gRPC status ${status} ${detail}`.trim(),
            status === '12',
          ),
        );
        return;
      }
      const body = Buffer.concat(chunks);
      if (body.length < 5) {
        reject(new ReflectionError(`${service}: no answer`));
        return;
      }
      const length = body.readUInt32BE(1);
      try {
        resolvePromise(
          Response.toObject(Response.decode(body.subarray(5, 5 + length)), {
            bytes: Array,
          }) as Record<string, unknown>,
        );
      } catch (e) {
        reject(new ReflectionError(`${service}: unreadable answer: ${(e as Error).message}`));
      }
    });
    stream.end(frame(Request.encode(Request.fromObject(request)).finish()));
  });
}

/** Files a response carries, as decoded FileDescriptorProtos. */
function filesOf(response: Record<string, unknown>): protobuf.Message[] {
  const error = response['error_response'] as { error_message?: string } | undefined;
  if (error) throw new ReflectionError(error.error_message ?? 'reflection error');
  const fdr = response['file_descriptor_response'] as
    { file_descriptor_proto?: number[][] } | undefined;
  return (fdr?.file_descriptor_proto ?? []).map((b) =>
    descriptor.FileDescriptorProto.decode(Uint8Array.from(b)),
  );
}

/** The files defining `symbol` (and what they import), from `origin` (`http://` for h2c). */
export async function reflectService(
  origin: string,
  symbol: string,
  options: ReflectionOptions = {},
): Promise<protobuf.Root> {
  const timeoutMs = options.timeoutMs ?? 3_000;
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  const session = connect(origin, options.ca ? { ca: options.ca } : {});
  let cause: string | undefined;
  session.on('error', (e) => (cause ??= e.message));
  const timer = setTimeout(() => session.destroy(), timeoutMs);
  const failed = new Promise<never>((_, reject) => {
    session.once('close', () =>
      reject(
        new ReflectionError(
          cause === undefined
            ? `no answer from ${origin} within ${timeoutMs} ms`
            : `cannot reach ${origin}: ${cause}`,
        ),
      ),
    );
  });
  try {
    const run = async () => {
      let service: string | undefined;
      let files: protobuf.Message[] = [];
      for (const candidate of REFLECTION_SERVICES) {
        try {
          files = filesOf(
            await ask(session, candidate, { file_containing_symbol: symbol }, maxBytes),
          );
          service = candidate;
          break;
        } catch (e) {
          if (!(e instanceof ReflectionError && e.unimplemented)) throw e;
        }
      }
      if (service === undefined) throw new ReflectionError(`${origin} offers no server reflection`);
      // Servers may answer with the file alone: ask for the imports it names, a few rounds.
      const byName = new Map(files.map((f) => [(f as unknown as { name: string }).name, f]));
      for (let round = 0; round < 8; round++) {
        const missing = [...byName.values()]
          .flatMap((f) => (f as unknown as { dependency?: string[] }).dependency ?? [])
          .filter((d) => !byName.has(d));
        if (missing.length === 0) break;
        for (const name of new Set(missing)) {
          const more = filesOf(await ask(session, service, { file_by_filename: name }, maxBytes));
          for (const f of more) byName.set((f as unknown as { name: string }).name, f);
          if (!byName.has(name)) byName.set(name, descriptor.FileDescriptorProto.create({ name }));
        }
      }
      const set = descriptor.FileDescriptorSet.create({ file: [...byName.values()] });
      const root = (
        protobuf.Root as unknown as { fromDescriptor(s: unknown): protobuf.Root }
      ).fromDescriptor(set);
      root.resolveAll();
      return root;
    };
    return await Promise.race([run(), failed]);
  } finally {
    clearTimeout(timer);
    session.close();
  }
}
