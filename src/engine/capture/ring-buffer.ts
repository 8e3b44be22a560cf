/**
 * The traffic log's storage (SPEC §4): a FIFO bounded both by entry count and by bytes.
 * Items are keyed by their `id` for O(1) lookup; order is insertion order.
 *
 * Bytes are whatever `sizeOf` says an item weighs. Bodies arrive after an exchange was
 * pushed, so `resize` re-weighs an item in place and evicts older entries to make room.
 *
 * One item heavier than `maxBytes` on its own is kept as the only entry rather than
 * dropped or trimmed: the buffer does not know how to shrink an item, and the newest
 * exchange is the one the user is most likely looking at. The byte bound therefore holds
 * whenever more than one entry is held; the caller caps bodies, so the overshoot is one
 * exchange's worth.
 *
 * Order is kept in an array with a moving head (no `shift` per eviction) that is
 * compacted once the dead prefix outweighs the live part, so push and evict are O(1)
 * amortised. A Map in insertion order would be simpler, but V8 leaves deleted slots at
 * the front of its table until the next rehash and every fresh iterator walks over them,
 * which makes "delete the oldest" O(n) on large FIFO-used maps.
 *
 * An entry is the item and its weight in two parallel arrays plus its position in the id
 * Map, with no object of its own: the traffic log keeps thousands of entries alive, and
 * every object each one holds is work for the GC on every request.
 */

export interface RingBufferOptions<T> {
  /** At least 1. */
  maxEntries: number;
  /** At least 0. */
  maxBytes: number;
  /** The weight of an item; called on push and on resize, and its answer is remembered. */
  sizeOf: (item: T) => number;
  /**
   * Called once for each item pushed out by `push` or `resize` (not by `clear`), after it
   * left the buffer. It must not push or resize re-entrantly.
   */
  onEvict?: (item: T) => void;
}

/** Compact only past this many dead slots, so small buffers never copy. */
const COMPACT_MIN = 1024;

export class RingBuffer<T extends { id: number }> {
  readonly maxEntries: number;
  readonly maxBytes: number;
  onEvict: ((item: T) => void) | undefined;
  readonly #sizeOf: (item: T) => number;
  /**
   * Id → position since the buffer began (`#base` + index into `#items`): a small integer,
   * so an entry costs no object of its own, only the Map's slot and two array elements.
   */
  readonly #byId = new Map<number, number>();
  /** Items oldest → newest from `#head`; evicted ones before it are `undefined`. */
  #items: (T | undefined)[] = [];
  /** Each item's last known weight, at the same index as the item. */
  #weights: number[] = [];
  #base = 0;
  #head = 0;
  #bytes = 0;

  constructor(options: RingBufferOptions<T>) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError(`maxEntries must be an integer ≥ 1, not ${options.maxEntries}`);
    }
    if (!(options.maxBytes >= 0)) {
      throw new RangeError(`maxBytes must be ≥ 0, not ${options.maxBytes}`);
    }
    this.maxEntries = options.maxEntries;
    this.maxBytes = options.maxBytes;
    this.#sizeOf = options.sizeOf;
    this.onEvict = options.onEvict;
  }

  get size(): number {
    return this.#byId.size;
  }

  /** The sum of the held items' last known weights. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Append `item` as the newest entry, then evict the oldest until both bounds hold. */
  push(item: T): void {
    // Ids come from one counter; a repeat is a bug that would corrupt the order.
    if (this.#byId.has(item.id)) throw new Error(`id ${item.id} is already in the buffer`);
    const bytes = this.#weigh(item);
    this.#byId.set(item.id, this.#base + this.#items.length);
    this.#items.push(item);
    this.#weights.push(bytes);
    this.#bytes += bytes;
    this.#evict();
  }

  get(id: number): T | undefined {
    const at = this.#byId.get(id);
    return at === undefined ? undefined : this.#items[at - this.#base];
  }

  has(id: number): boolean {
    return this.#byId.has(id);
  }

  /**
   * Re-weigh an item that changed (its bodies arrived) and evict the oldest entries until
   * both bounds hold. The stored reference becomes `item`, so immutable updates work too.
   * The item itself may be evicted if it is among the oldest, never if it is the newest.
   * Returns whether it is still held; an id no longer held is ignored.
   */
  resize(item: T): boolean {
    const at = this.#byId.get(item.id);
    if (at === undefined) return false;
    const i = at - this.#base;
    const bytes = this.#weigh(item);
    this.#bytes += bytes - this.#weights[i]!;
    this.#weights[i] = bytes;
    this.#items[i] = item;
    this.#evict();
    return this.#byId.has(item.id);
  }

  /** A snapshot, oldest → newest (safe to keep while the buffer changes). */
  values(): T[] {
    return this.#slice(this.#head);
  }

  /** The `n` newest items, oldest → newest. */
  newest(n: number): T[] {
    const count = Math.max(0, Math.min(Math.floor(n), this.size));
    return this.#slice(this.#items.length - count);
  }

  /** Drop everything without calling `onEvict`: the caller knows what it cleared. */
  clear(): void {
    this.#byId.clear();
    this.#items = [];
    this.#weights = [];
    this.#base = 0;
    this.#head = 0;
    this.#bytes = 0;
  }

  #weigh(item: T): number {
    const bytes = this.#sizeOf(item);
    // A NaN or negative weight would poison the running total for good.
    return Number.isFinite(bytes) && bytes > 0 ? bytes : 0;
  }

  #slice(from: number): T[] {
    const out: T[] = [];
    for (let i = from; i < this.#items.length; i++) {
      const item = this.#items[i];
      if (item !== undefined) out.push(item);
    }
    return out;
  }

  #evict(): void {
    while (
      this.#byId.size > this.maxEntries ||
      (this.#bytes > this.maxBytes && this.#byId.size > 1)
    ) {
      const item = this.#items[this.#head];
      this.#items[this.#head] = undefined;
      const bytes = this.#weights[this.#head]!;
      this.#head++;
      if (item === undefined) continue;
      this.#byId.delete(item.id);
      this.#bytes -= bytes;
      this.onEvict?.(item);
    }
    if (this.#head >= COMPACT_MIN && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#weights = this.#weights.slice(this.#head);
      this.#base += this.#head;
      this.#head = 0;
    }
  }
}
