/**
 * Which record_id hashes occur more than once in a file run's input (pass 1). A CDR can only be a duplicate
 * delivery if its record_id occurs twice, so pass 2 checks (and remembers) only the record_ids whose hash is
 * marked here; every other record_id is unique in the input and can never be seen again. Two bit sets over
 * the hash (seen, seen again), on shared memory so that the parse workers of a parallel run mark them at
 * once (atomic OR: two workers noting one hash at the same time still mark it as seen twice). A bit shared by
 * two different ids only sends both through the exact check, so the answer is never wrong, only slower.
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
  private readonly shared: boolean;

  constructor(private readonly memory: RepeatedIdsMemory) {
    this.seen = new Int32Array(memory.seen);
    this.again = new Int32Array(memory.again);
    this.mask = this.seen.length * 32 - 1;
    this.shared = typeof SharedArrayBuffer !== 'undefined' && memory.seen instanceof SharedArrayBuffer;
  }

  /** Bit sets sized for about `inputBytes` of CSV (decompressed size unknown for gzip: it counts 4x). */
  static forBytes(inputBytes: number, shared: boolean): RepeatedIds {
    let bits = MIN_BITS;
    const want = (inputBytes / MIN_ROW_BYTES) * BITS_PER_ROW;
    while (bits < want && bits < MAX_BITS) bits *= 2;
    const make = (): SharedArrayBuffer | ArrayBuffer => (shared ? new SharedArrayBuffer(bits / 8) : new ArrayBuffer(bits / 8));
    return new RepeatedIds({ seen: make(), again: make() });
  }

  /** The memory to hand to another thread (new RepeatedIds(memory) there sees the same bits). */
  get sharedMemory(): RepeatedIdsMemory {
    return this.memory;
  }

  /** Pass 1: one occurrence of a record_id with this hash (Cdr.idHash / idHashBytes). */
  note(idHash: number): void {
    const bit = idHash & this.mask;
    const w = bit >>> 5;
    const m = 1 << (bit & 31);
    if (this.shared) {
      if ((Atomics.or(this.seen, w, m) & m) !== 0) Atomics.or(this.again, w, m);
    } else if ((this.seen[w] & m) !== 0) this.again[w] |= m;
    else this.seen[w] |= m;
  }

  /** Pass 2: may a record_id with this hash occur more than once in the input? */
  mayRepeat(idHash: number): boolean {
    const bit = idHash & this.mask;
    return (this.again[bit >>> 5] & (1 << (bit & 31))) !== 0;
  }
}
