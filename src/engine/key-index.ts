/**
 * Linear-probing deletion: may the entry at j, whose home slot is `home`, move into the hole? Yes when its
 * home is not cyclically within (hole, j].
 */
export function movesIntoHole(home: number, hole: number, j: number): boolean {
  return (j > hole && (home <= hole || home > j)) || (j < hole && home <= hole && home > j);
}

/**
 * IMEI key (a 14-digit integer, never 0) -> the head and tail slot of its window list. Open addressing
 * with linear probing over typed arrays: no allocation per IMEI, no string hashing.
 */
export class KeyIndex {
  private keys = new Float64Array(0);
  heads = new Int32Array(0);
  tails = new Int32Array(0);
  private mask = 0;
  size = 0;

  constructor(initial = 1024) {
    this.resize(initial);
  }

  private slotOf(key: number): number {
    const lo = key >>> 0;
    const hi = (key / 4294967296) | 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1);
    h ^= h >>> 15;
    return h & this.mask;
  }

  /** Position of key, or -1. */
  find(key: number): number {
    const keys = this.keys;
    let i = this.slotOf(key);
    for (;;) {
      const k = keys[i];
      if (k === key) return i;
      if (k === 0) return -1;
      i = (i + 1) & this.mask;
    }
  }

  /** Insert a key that is not present; returns its position. */
  insert(key: number, head: number, tail: number): number {
    if ((this.size + 1) * 2 > this.keys.length) this.resize(this.keys.length * 2);
    const keys = this.keys;
    let i = this.slotOf(key);
    while (keys[i] !== 0) i = (i + 1) & this.mask;
    keys[i] = key;
    this.heads[i] = head;
    this.tails[i] = tail;
    this.size++;
    return i;
  }

  /** Remove the entry at position i (backward-shift deletion keeps probe chains whole). */
  removeAt(i: number): void {
    const keys = this.keys;
    const mask = this.mask;
    let hole = i;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const k = keys[j];
      if (k === 0) break;
      const home = this.slotOf(k);
      if (movesIntoHole(home, hole, j)) {
        keys[hole] = k;
        this.heads[hole] = this.heads[j];
        this.tails[hole] = this.tails[j];
        hole = j;
      }
    }
    keys[hole] = 0;
    this.size--;
  }

  private resize(n: number): void {
    const oldKeys = this.keys;
    const oldHeads = this.heads;
    const oldTails = this.tails;
    this.keys = new Float64Array(n);
    this.heads = new Int32Array(n);
    this.tails = new Int32Array(n);
    this.mask = n - 1;
    this.size = 0;
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i];
      if (k !== 0) this.insert(k, oldHeads[i], oldTails[i]);
    }
  }

  bytes(): number {
    return this.keys.length * 16;
  }
}
