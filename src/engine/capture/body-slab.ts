/**
 * Where the traffic log copies small body chunks: large pages of bytes filled one after the
 * other, so a kept chunk is a position in a page (two small integers on its body) instead
 * of a string or Buffer of its own. Page bytes live outside the JavaScript heap: the GC
 * never copies or walks them, where a 1 KiB string per exchange was copied twice (young
 * generation, then old) and walked on every major collection.
 *
 * A page is freed by the GC once no body refers to it. The ring drops the oldest
 * exchanges first, so pages empty in order; a long-lived exchange (an open event stream)
 * keeps the pages its chunks are in, at most one page beyond its own bytes per chunk run.
 */

/** Bytes per page: about 256 one-KiB bodies; a small waste for a log of 5,000 exchanges. */
export const PAGE_BYTES = 256 * 1024;

export class BodySlab {
  #page: Buffer | undefined;
  #used = PAGE_BYTES;

  /** The page the next `copy` writes into. */
  get page(): Buffer | undefined {
    return this.#page;
  }

  /** Where the next `copy` writes in `page`. */
  get used(): number {
    return this.#used;
  }

  /**
   * Copy `chunk` (at most PAGE_BYTES) into the current page, or a new one when it does not
   * fit; returns where it starts in `page` (read `page` after the call).
   */
  copy(chunk: Uint8Array): number {
    if (this.#page === undefined || this.#used + chunk.length > PAGE_BYTES) {
      this.#page = Buffer.allocUnsafeSlow(PAGE_BYTES);
      this.#used = 0;
    }
    const at = this.#used;
    this.#page.set(chunk, at);
    this.#used = at + chunk.length;
    return at;
  }
}
