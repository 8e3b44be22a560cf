/**
 * A request body that can be sent again. Failover may move a request to another member
 * after the first attempt already consumed part of the body, so the bytes read so far are
 * kept — up to a cap, because bodies stream and memory must not grow with their size.
 * Past the cap the body is not replayable and the request is not retried.
 */
import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';

export const REPLAY_CAP_BYTES = 1024 * 1024;

export class BodyReplay {
  readonly #chunks: Buffer[] = [];
  #size = 0;
  #overflowed = false;
  #ended = false;
  #current: PassThrough | undefined;
  readonly #req: IncomingMessage;

  constructor(req: IncomingMessage, capBytes = REPLAY_CAP_BYTES) {
    this.#req = req;
    req.on('data', (chunk: Buffer) => {
      if (!this.#overflowed) {
        this.#size += chunk.length;
        if (this.#size > capBytes) {
          this.#overflowed = true;
          this.#chunks.length = 0;
        } else {
          this.#chunks.push(chunk);
        }
      }
      // Backpressure: pause the client while the current attempt's socket is full.
      if (this.#current && !this.#current.write(chunk)) {
        req.pause();
        this.#current.once('drain', () => req.resume());
      }
    });
    req.on('end', () => {
      this.#ended = true;
      this.#current?.end();
    });
  }

  /** True while every byte read so far is still held. */
  get replayable(): boolean {
    return !this.#overflowed;
  }

  /** A fresh stream of the whole body for one attempt; the previous one is abandoned. */
  stream(): Readable {
    if (this.#overflowed) throw new Error('the request body exceeded the replay cap');
    const previous = this.#current;
    const next = new PassThrough();
    this.#current = next;
    previous?.removeAllListeners('drain');
    if (this.#req.isPaused() && !this.#ended) this.#req.resume();
    for (const chunk of this.#chunks) next.write(chunk);
    if (this.#ended) next.end();
    return next;
  }
}
