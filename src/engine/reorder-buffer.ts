import { AscendingNumbers, MinHeap } from './min-heap.js';

/** What a ReorderBuffer holds and where it releases it: an object of a class (see MinHeap), not closures. */
export interface ReorderItems<T> {
  /** An item's start (event time, ms). */
  startOf(x: T): number;
  /** Order within one bucket (negative: a first). */
  compare(a: T, b: T): number;
  /** Called for each item released, in order. */
  released(x: T): void;
}

/**
 * Holds items until event time has passed them, then releases them in order. Items go into buckets of
 * `bucketMs` by start time (O(1) per item, no per-item heap); a bucket is sorted once, when it is released.
 * Only the bucket numbers sit in a heap, so a jump in event time costs nothing per empty bucket.
 */
export class ReorderBuffer<T> {
  private readonly buckets = new Map<number, T[]>();
  private readonly pending = new MinHeap<number>(new AscendingNumbers());
  /** Buckets below this number have been released. */
  private cursor = -Infinity;
  /** items.compare as a function, for Array.prototype.sort. */
  private readonly compare: (a: T, b: T) => number;
  size = 0;

  constructor(
    private readonly bucketMs: number,
    private readonly items: ReorderItems<T>,
  ) {
    this.compare = (a, b) => items.compare(a, b);
  }

  /** Buffer an item; false when its bucket was already released (the caller handles it at once). */
  push(x: T): boolean {
    const idx = Math.floor(this.items.startOf(x) / this.bucketMs);
    if (idx < this.cursor) return false;
    let b = this.buckets.get(idx);
    if (b === undefined) {
      b = [];
      this.buckets.set(idx, b);
      this.pending.push(idx);
    }
    b.push(x);
    this.size++;
    return true;
  }

  /** Release, in order, every item of the buckets that end at or before `untilMs` (all with Infinity). */
  release(untilMs: number): void {
    const items = this.items;
    const limit = untilMs === Infinity ? Infinity : Math.floor(untilMs / this.bucketMs);
    let idx = this.pending.peek();
    while (idx !== undefined && idx < limit) {
      this.pending.pop();
      const b = this.buckets.get(idx)!;
      this.buckets.delete(idx);
      this.cursor = idx + 1;
      if (b.length > 1) b.sort(this.compare);
      this.size -= b.length;
      for (let i = 0; i < b.length; i++) items.released(b[i]);
      idx = this.pending.peek();
    }
    if (limit !== Infinity && limit > this.cursor) this.cursor = limit;
  }

  /** The start of the earliest bucket waiting, or undefined. */
  peekBucketStartMs(): number | undefined {
    const idx = this.pending.peek();
    return idx === undefined ? undefined : idx * this.bucketMs;
  }
}
