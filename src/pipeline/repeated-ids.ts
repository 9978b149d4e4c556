import { isGzipFile, type CdrInput } from '../input/cdr-files.js';

/**
 * Which record_id hashes occur more than once in a file run's input (pass 1). A CDR can only be a duplicate
 * delivery if its record_id occurs twice, so pass 2 checks (and remembers) only the record_ids whose hash is
 * marked here; every other record_id is unique in the input and can never be seen again. Two bit sets over
 * the hash (seen, seen again). The parse workers of a parallel run each fill their own (no atomic operation
 * per row) and the main thread merges them (`merge`): a hash seen by two workers is seen again. A bit shared
 * by two different ids only sends both through the exact check, so the answer is never wrong, only slower.
 */
export interface RepeatedIdsMemory {
  seen: SharedArrayBuffer | ArrayBuffer;
  again: SharedArrayBuffer | ArrayBuffer;
}

/** A gzip CSV is about this many times its size once inflated (sizes the bit sets). */
export const GZIP_RATIO = 6;

/** Bits per expected row: about one unique id in 8 shares a bit with another and is checked for nothing. */
const BITS_PER_ROW = 8;
/** A CDR line is rarely shorter than this many bytes, so input bytes / this bounds the rows from above. */
const MIN_ROW_BYTES = 96;
const MIN_BITS = 1 << 16;
const MAX_BITS = 2 ** 30;

export class RepeatedIds {
  private readonly seen: Int32Array;
  private readonly again: Int32Array;
  private readonly mask: number;

  constructor(private readonly memory: RepeatedIdsMemory) {
    this.seen = new Int32Array(memory.seen);
    this.again = new Int32Array(memory.again);
    this.mask = this.seen.length * 32 - 1;
  }

  /** The bits for about `inputBytes` of CSV (decompressed size unknown for gzip: count it GZIP_RATIO times). */
  static bitsFor(inputBytes: number): number {
    let bits = MIN_BITS;
    const want = (inputBytes / MIN_ROW_BYTES) * BITS_PER_ROW;
    while (bits < want && bits < MAX_BITS) bits *= 2;
    return bits;
  }

  /** The bits for these inputs (a gzip file counts GZIP_RATIO times its size). */
  static bitsForInputs(inputs: readonly CdrInput[]): number {
    return RepeatedIds.bitsFor(inputs.reduce((sum, i) => sum + (isGzipFile(i.path) ? GZIP_RATIO : 1) * i.bytes, 0));
  }

  /** Empty bit sets of `bits` bits (shared: in memory other threads can be given). */
  static create(bits: number, shared = false): RepeatedIds {
    const make = (): SharedArrayBuffer | ArrayBuffer => (shared ? new SharedArrayBuffer(bits / 8) : new ArrayBuffer(bits / 8));
    return new RepeatedIds({ seen: make(), again: make() });
  }

  /**
   * One set from the sets several threads filled over parts of the input (same size): a hash is seen again
   * when one of them saw it again or two of them saw it. In shared memory, for the threads of pass 2: the first
   * part's own when it is shared (the others are folded into it), else a new one.
   */
  static merge(parts: RepeatedIdsMemory[]): RepeatedIds {
    const first = parts[0];
    const inPlace = first.seen instanceof SharedArrayBuffer && first.again instanceof SharedArrayBuffer;
    const out = inPlace ? new RepeatedIds(first) : RepeatedIds.create(first.seen.byteLength * 8, true);
    for (const p of inPlace ? parts.slice(1) : parts) out.fold(p);
    return out;
  }

  /** RepeatedIds.merge on small sets, several times, so that V8 compiles it before pass 1's sets arrive (once, on a day's sets, it ran in the interpreter: 13-20 ms). */
  static warmUpMerge(): void {
    for (let rep = 0; rep < 4; rep++) {
      const parts = [RepeatedIds.create(1 << 17, true), RepeatedIds.create(1 << 17, true)];
      for (let i = 0; i < 2000; i++) parts[i & 1].note(Math.imul(i, 0x9e3779b1));
      RepeatedIds.merge(parts.map((p) => p.buffers));
    }
  }

  /** Fold another thread's sets into these (same size). */
  private fold(p: RepeatedIdsMemory): void {
    const seen = new Int32Array(p.seen);
    const again = new Int32Array(p.again);
    const s = this.seen;
    const a = this.again;
    for (let w = 0; w < s.length; w++) {
      a[w] |= again[w] | (s[w] & seen[w]);
      s[w] |= seen[w];
    }
  }

  /** The bit sets' buffers (to hand to another thread: new RepeatedIds(buffers) there sees the same bits). */
  get buffers(): RepeatedIdsMemory {
    return this.memory;
  }

  /** Pass 1: one occurrence of a record_id with this hash (Cdr.idHash / idHashBytes). One thread at a time. */
  note(idHash: number): void {
    const bit = idHash & this.mask;
    const w = bit >>> 5;
    const m = 1 << (bit & 31);
    if ((this.seen[w] & m) !== 0) this.again[w] |= m;
    else this.seen[w] |= m;
  }

  /** Pass 2: may a record_id with this hash occur more than once in the input? */
  mayRepeat(idHash: number): boolean {
    const bit = idHash & this.mask;
    return (this.again[bit >>> 5] & (1 << (bit & 31))) !== 0;
  }
}
