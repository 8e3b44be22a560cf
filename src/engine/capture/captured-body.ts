/**
 * A body as the traffic log keeps it: its size, the bytes kept up to a cap, and (for bodies
 * read as a timeline) when chunks arrived. Every captured body stays in the log until the
 * ring drops its exchange, so what it holds is what the GC walks for every exchange: as few
 * and as plain objects as possible.
 */
import type { BodyInfo } from '../../shared/exchange.js';
import type { BodySlab } from './body-slab.js';

/** Chunk arrival times kept per body (see CapturedBody.arrivals). */
export const MAX_ARRIVALS = 2_000;

/** Chunks up to this size are copied into the slab (body-slab.ts); larger ones stand alone. */
const SMALL_CHUNK = 16 * 1024;

/** A copy that holds only its own bytes (Buffer.from may slice the shared 8 KiB pool). */
function ownCopy(chunk: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(chunk.length);
  copy.set(chunk);
  return copy;
}

export class CapturedBody {
  /**
   * The kept bytes: first a run in a slab page (`#page`, from `#start` to `#end`), grown in
   * place while the chunks of this body are the slab's latest writes (the usual case: a
   * body in one read, or a stream with nothing in between); then, once another body wrote
   * in between or a chunk was too large, the further chunks in order in `#rest` (copies
   * exactly their size: a slice would keep a whole socket read alive, a slab view a page).
   */
  #page: Buffer | undefined;
  #start = 0;
  #end = 0;
  #rest: Buffer[] | undefined;
  size = 0;
  captured = 0;
  /**
   * When kept chunks arrived, flat: byte offset, ms since the exchange was accepted, …
   * Only for bodies that are read as a timeline (SSE events, gRPC messages), and at most
   * MAX_ARRIVALS chunks: two numbers a chunk in one array, nothing for the GC to walk.
   */
  arrivals: number[] | undefined;

  add(chunk: Buffer, cap: number, slab: BodySlab, at?: number): number {
    this.size += chunk.length;
    const room = cap - this.captured;
    if (room <= 0) return 0;
    if (this.arrivals && at !== undefined && this.arrivals.length < MAX_ARRIVALS * 2) {
      this.arrivals.push(this.captured, at);
    }
    const kept = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.captured += kept.length;
    if (kept.length > SMALL_CHUNK) {
      (this.#rest ??= []).push(
        kept.byteLength === kept.buffer.byteLength ? kept : Buffer.from(kept),
      );
      return kept.length;
    }
    const first = this.#page === undefined && this.#rest === undefined;
    const grows =
      this.#rest === undefined &&
      this.#page !== undefined &&
      this.#page === slab.page &&
      this.#end === slab.used;
    if (!first && !grows) {
      // Once another body wrote in between, later chunks are copies of their own: a view
      // of the slab would pin a whole page per chunk, and a long event stream interleaved
      // with other traffic would then hold thousands of pages for kilobytes of events.
      (this.#rest ??= []).push(ownCopy(kept));
      return kept.length;
    }
    const start = slab.copy(kept);
    const page = slab.page!;
    if (grows && page === this.#page) {
      this.#end = start + kept.length;
    } else if (first) {
      this.#page = page;
      this.#start = start;
      this.#end = start + kept.length;
    } else {
      // The run no longer fits its page: the rest goes on in chunks of its own.
      (this.#rest ??= []).push(page.subarray(start, start + kept.length));
    }
    return kept.length;
  }

  /** Slab pages this body keeps alive (0, 1 or 2): what it costs beyond its own bytes. */
  slabPages(slabPageBytes: number): number {
    const pages = new Set<ArrayBufferLike>();
    for (const b of [this.#page, ...(this.#rest ?? [])]) {
      if (b && b.buffer.byteLength === slabPageBytes) pages.add(b.buffer);
    }
    return pages.size;
  }

  bytes(): Buffer {
    const first = this.#page ? this.#page.subarray(this.#start, this.#end) : undefined;
    if (this.#rest === undefined) return Buffer.from(first ?? []);
    return Buffer.concat(first ? [first, ...this.#rest] : this.#rest);
  }

  static info(body: CapturedBody | undefined, contentType: string | undefined): BodyInfo {
    const size = body?.size ?? 0;
    const captured = body?.captured ?? 0;
    return {
      size,
      captured,
      truncated: size > captured,
      ...(contentType === undefined ? {} : { contentType }),
      ...(body?.arrivals ? { arrivals: body.arrivals.slice() } : {}),
    };
  }
}
