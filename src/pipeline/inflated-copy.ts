// A parallel file run reads a gzip input whole in pass 1 (a byte range of a gzip stream means nothing). To let
// pass 2 read it by ranges on every worker, as a plain file, pass 1 keeps the inflated bytes in shared memory,
// within a budget for the whole run; an input that does not fit is read whole again in pass 2, as before.

/** Inflated bytes are kept in blocks of this size. */
export const INFLATED_BLOCK_BYTES = 8 << 20;
/** Inflated bytes of gzip inputs a run keeps in memory at most (the first ones pass 1 reads). */
export const INFLATED_BUDGET_BYTES = 128 << 20;

/** The inflated bytes of one input, in shared memory: `length` bytes over blocks of INFLATED_BLOCK_BYTES. */
export interface InflatedBytes {
  blocks: SharedArrayBuffer[];
  length: number;
}

/** The run's budget, shared by the workers: a counter of the blocks still free (SharedArrayBuffer, Int32). */
export function inflatedBudget(bytes = INFLATED_BUDGET_BYTES): Int32Array {
  const b = new Int32Array(new SharedArrayBuffer(4));
  b[0] = Math.floor(bytes / INFLATED_BLOCK_BYTES);
  return b;
}

/** Pass 1's copy of one input's inflated bytes, chunk by chunk; gives up (and its blocks back) over budget. */
export class InflatedCopy {
  private blocks: SharedArrayBuffer[] = [];
  private current: Uint8Array | null = null;
  private used = INFLATED_BLOCK_BYTES;
  private length = 0;
  private failed = false;

  constructor(private readonly budget: Int32Array) {}

  add(chunk: Uint8Array): void {
    let at = 0;
    while (!this.failed && at < chunk.length) {
      if (this.used === INFLATED_BLOCK_BYTES && !this.nextBlock()) return;
      const n = Math.min(chunk.length - at, INFLATED_BLOCK_BYTES - this.used);
      this.current!.set(chunk.subarray(at, at + n), this.used);
      this.used += n;
      this.length += n;
      at += n;
    }
  }

  /** The copy, or null when it went over budget. */
  result(): InflatedBytes | null {
    return this.failed ? null : { blocks: this.blocks, length: this.length };
  }

  private nextBlock(): boolean {
    if (Atomics.sub(this.budget, 0, 1) <= 0) {
      // Over budget: this input is read whole again in pass 2, and its blocks serve another input.
      Atomics.add(this.budget, 0, 1 + this.blocks.length);
      this.failed = true;
      this.blocks = [];
      this.current = null;
      return false;
    }
    const b = new SharedArrayBuffer(INFLATED_BLOCK_BYTES);
    this.blocks.push(b);
    this.current = new Uint8Array(b);
    this.used = 0;
    return true;
  }
}

/** Bytes [start, end) of kept inflated bytes, as views of at most 1 MiB (end undefined: to the end). */
export function* inflatedRangeChunks(mem: InflatedBytes, start: number, end: number | undefined): Generator<Buffer> {
  const stop = Math.min(end ?? mem.length, mem.length);
  for (let at = start; at < stop; ) {
    const block = Math.floor(at / INFLATED_BLOCK_BYTES);
    const off = at - block * INFLATED_BLOCK_BYTES;
    const n = Math.min(stop - at, INFLATED_BLOCK_BYTES - off, 1 << 20);
    yield Buffer.from(mem.blocks[block], off, n);
    at += n;
  }
}
