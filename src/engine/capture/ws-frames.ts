/**
 * Incremental WebSocket frame parser (RFC 6455 §5.2) for one direction of a tunnel, so
 * the traffic log can count frames and show their first bytes (SPEC §4).
 *
 * The tunnel pipes sockets untouched; this only watches a copy of the bytes. Memory is
 * bounded by one frame header (≤ 14 bytes) plus one preview: payload bytes past the
 * preview are counted and skipped as they stream, never buffered.
 *
 * Input that is not a valid frame sequence (a reserved opcode, a mask bit on the wrong
 * side, a fragmented control frame, a continuation with nothing to continue, …) makes
 * the parser `broken`: it stops and ignores the rest instead of throwing, because a
 * watcher must never take the tunnel down. RSV1 is accepted (permessage-deflate, which
 * the parser cannot see negotiated) and reported as `compressed`; RSV2/RSV3 are not used
 * by any registered extension and count as garbage.
 */
import type { FRAME_DIRECTIONS } from '../../shared/exchange.js';

export type FrameDirection = (typeof FRAME_DIRECTIONS)[number];

export interface ParsedFrame {
  direction: FrameDirection;
  /** 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong. */
  opcode: number;
  fin: boolean;
  /** RSV1: the message is permessage-deflate compressed, so the preview is too. */
  compressed: boolean;
  /** Payload length in bytes. */
  size: number;
  /** The first payload bytes (at most the preview size), unmasked. */
  preview: Buffer;
}

export interface FrameParserOptions {
  /** Payload bytes kept per frame; default 64. */
  previewBytes?: number;
}

export const DEFAULT_PREVIEW_BYTES = 64;

/** 2 fixed bytes + 8 for a 64-bit length + 4 for the masking key. */
const MAX_HEADER = 14;

export class FrameParser {
  readonly direction: FrameDirection;
  /** Why parsing stopped, once `broken`. */
  brokenReason: string | undefined;
  readonly #onFrame: (frame: ParsedFrame) => void;
  readonly #previewBytes: number;
  readonly #header = Buffer.alloc(MAX_HEADER);
  #headerHave = 0;
  /** Set while a frame's payload streams: the header is parsed, `#remaining` is left. */
  #frame: Omit<ParsedFrame, 'preview'> | undefined;
  #mask: Buffer | undefined;
  #preview = Buffer.alloc(0);
  #previewHave = 0;
  #remaining = 0;
  /** Inside a fragmented data message (a non-final text/binary frame was seen). */
  #fragmented = false;

  constructor(
    direction: FrameDirection,
    onFrame: (frame: ParsedFrame) => void,
    options: FrameParserOptions = {},
  ) {
    this.direction = direction;
    this.#onFrame = onFrame;
    this.#previewBytes = Math.max(0, options.previewBytes ?? DEFAULT_PREVIEW_BYTES);
  }

  get broken(): boolean {
    return this.brokenReason !== undefined;
  }

  /**
   * Feed the next bytes of this direction. Each frame is reported once its last payload
   * byte went by (a frame cut off by the tunnel closing is never reported), synchronously
   * from this call: `onFrame` should not throw, or the rest of the chunk is not parsed.
   */
  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.broken) {
      at = this.#frame ? this.#payload(chunk, at) : this.#headerBytes(chunk, at);
    }
  }

  /** Collect header bytes; once the header is whole, start the payload. */
  #headerBytes(chunk: Buffer, at: number): number {
    // The header's length is known from its first two bytes, so copy only what it needs
    // and never a byte of payload.
    const need = this.#headerHave < 2 ? 2 : this.#headerLength();
    const take = Math.min(need - this.#headerHave, chunk.length - at);
    chunk.copy(this.#header, this.#headerHave, at, at + take);
    this.#headerHave += take;
    at += take;
    if (this.#headerHave === 2) {
      const first = this.#header[0] ?? 0;
      const second = this.#header[1] ?? 0;
      const fault = this.#check(first, second);
      if (fault) {
        this.brokenReason = fault;
        return at;
      }
    }
    if (this.#headerHave >= 2 && this.#headerHave === this.#headerLength()) this.#start();
    return at;
  }

  #headerLength(): number {
    const second = this.#header[1] ?? 0;
    const len7 = second & 0x7f;
    const extended = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
    return 2 + extended + (second & 0x80 ? 4 : 0);
  }

  /** The first two bytes' rules; a message when they cannot start a valid frame. */
  #check(first: number, second: number): string | undefined {
    const fin = (first & 0x80) !== 0;
    const opcode = first & 0x0f;
    const masked = (second & 0x80) !== 0;
    if (first & 0x30) return 'RSV2/RSV3 set';
    if ((opcode > 2 && opcode < 8) || opcode > 10) return `reserved opcode ${opcode}`;
    // §5.1: clients mask every frame, servers never do.
    if (masked !== (this.direction === 'up')) {
      return this.direction === 'up' ? 'unmasked client frame' : 'masked server frame';
    }
    if (opcode >= 8) {
      if (!fin) return 'fragmented control frame';
      if ((second & 0x7f) > 125) return 'control frame payload over 125 bytes';
    } else if (opcode === 0 && !this.#fragmented) {
      return 'continuation frame outside a fragmented message';
    } else if (opcode !== 0 && this.#fragmented) {
      return 'new data frame inside a fragmented message';
    }
    return undefined;
  }

  /** The header is whole: decode the length and key, then stream the payload. */
  #start(): void {
    const header = this.#header;
    const first = header[0] ?? 0;
    const second = header[1] ?? 0;
    const len7 = second & 0x7f;
    let size = len7;
    let keyAt = 2;
    if (len7 === 126) {
      size = header.readUInt16BE(2);
      keyAt = 4;
    } else if (len7 === 127) {
      const big = header.readBigUInt64BE(2);
      // §5.2: the most significant bit must be 0; past 2^53 a number cannot count it.
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) {
        this.brokenReason = `payload length ${big} out of range`;
        return;
      }
      size = Number(big);
      keyAt = 10;
    }
    const opcode = first & 0x0f;
    const fin = (first & 0x80) !== 0;
    if (opcode < 8) this.#fragmented = !fin;
    this.#frame = {
      direction: this.direction,
      opcode,
      fin,
      compressed: (first & 0x40) !== 0,
      size,
    };
    this.#mask = second & 0x80 ? Buffer.from(header.subarray(keyAt, keyAt + 4)) : undefined;
    this.#preview = Buffer.alloc(Math.min(size, this.#previewBytes));
    this.#previewHave = 0;
    this.#remaining = size;
    this.#headerHave = 0;
    if (size === 0) this.#finish();
  }

  /** Take payload bytes: copy (and unmask) the preview part, skip the rest. */
  #payload(chunk: Buffer, at: number): number {
    const take = Math.min(this.#remaining, chunk.length - at);
    const copy = Math.min(take, this.#preview.length - this.#previewHave);
    if (copy > 0) {
      chunk.copy(this.#preview, this.#previewHave, at, at + copy);
      const mask = this.#mask;
      if (mask) {
        // The key cycles from the payload's first byte; the preview starts there too.
        for (let i = this.#previewHave; i < this.#previewHave + copy; i++) {
          this.#preview[i] = (this.#preview[i] ?? 0) ^ (mask[i & 3] ?? 0);
        }
      }
      this.#previewHave += copy;
    }
    this.#remaining -= take;
    if (this.#remaining === 0) this.#finish();
    return at + take;
  }

  #finish(): void {
    const frame = this.#frame;
    this.#frame = undefined;
    if (frame) this.#onFrame({ ...frame, preview: this.#preview });
  }
}
