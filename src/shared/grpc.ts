/**
 * gRPC facts shared by the engine and the renderer (no I/O): status names, how a call is
 * named by its path, and a counter of length-prefixed messages in a body stream.
 */

/** grpc/doc/statuscodes.md */
export const GRPC_STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

export function grpcStatusName(code: number): string {
  return GRPC_STATUS_NAMES[code] ?? `status ${code}`;
}

/** `/pkg.Service/Method` → service and method; undefined for any other path. */
export function grpcCallOf(path: string): { service: string; method: string } | undefined {
  const m = /^\/([^/?]+)\/([^/?]+)$/.exec(path.split('?')[0] ?? '');
  return m ? { service: m[1] ?? '', method: m[2] ?? '' } : undefined;
}

export function isGrpcContentType(type: string | undefined): boolean {
  return type?.startsWith('application/grpc') === true;
}

/**
 * Counts gRPC messages as bytes go by: each is a 1-byte flag, a 4-byte big-endian length,
 * then that many bytes. Works across chunk boundaries; keeps no payload.
 */
export class GrpcMessageCounter {
  count = 0;
  #header = new Uint8Array(5);
  #headerFill = 0;
  #remaining = 0;

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, chunk.length - at);
        this.#remaining -= take;
        at += take;
        continue;
      }
      this.#header[this.#headerFill++] = chunk[at++] ?? 0;
      if (this.#headerFill < 5) continue;
      this.#headerFill = 0;
      this.count++;
      const h = this.#header;
      this.#remaining =
        (((h[1] ?? 0) << 24) >>> 0) + ((h[2] ?? 0) << 16) + ((h[3] ?? 0) << 8) + (h[4] ?? 0);
    }
  }
}
