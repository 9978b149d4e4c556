import { movesIntoHole } from './key-index.js';

/**
 * The record_ids inside the dedup horizon: open addressing over a typed array of hashes, keyed by a hash of
 * the id's UTF-8 bytes that the CSV validator computes while it reads them (Cdr.idHash); the string itself
 * is compared only when the hashes are equal.
 */
export class IdSet {
  private hashes = new Int32Array(0);
  private ids: string[] = [];
  private mask = 0;
  size = 0;

  constructor(initial = 1024) {
    this.resize(initial);
  }

  has(id: string, h: number): boolean {
    const hashes = this.hashes;
    let i = h & this.mask;
    for (;;) {
      const x = hashes[i];
      if (x === 0) return false;
      if (x === h && this.ids[i] === id) return true;
      i = (i + 1) & this.mask;
    }
  }

  /** Add an id that is not in the set. */
  add(id: string, h: number): void {
    if ((this.size + 1) * 2 > this.hashes.length) this.resize(this.hashes.length * 2);
    this.place(h, id);
    this.size++;
  }

  delete(id: string, h: number): boolean {
    const hashes = this.hashes;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const x = hashes[i];
      if (x === 0) return false;
      if (x === h && this.ids[i] === id) break;
      i = (i + 1) & mask;
    }
    // Backward-shift deletion: pull later entries of the probe run into the hole.
    let hole = i;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const x = hashes[j];
      if (x === 0) break;
      const home = x & mask;
      if (movesIntoHole(home, hole, j)) {
        hashes[hole] = x;
        this.ids[hole] = this.ids[j];
        hole = j;
      }
    }
    hashes[hole] = 0;
    this.ids[hole] = '';
    this.size--;
    return true;
  }

  private place(h: number, id: string): void {
    let i = h & this.mask;
    while (this.hashes[i] !== 0) i = (i + 1) & this.mask;
    this.hashes[i] = h;
    this.ids[i] = id;
  }

  private resize(n: number): void {
    const oldH = this.hashes;
    const oldIds = this.ids;
    this.hashes = new Int32Array(n);
    this.ids = new Array<string>(n).fill('');
    this.mask = n - 1;
    for (let i = 0; i < oldH.length; i++) if (oldH[i] !== 0) this.place(oldH[i], oldIds[i]);
  }
}
