import type { Cdr, CellSite } from '../domain/types.js';
import { RADIO_INDEX } from '../domain/lookups.js';
import { digitsText, imeiKeyText, imeiText, msisdnDigitsText, msisdnText } from '../domain/identity.js';

/** Slot states. */
export const FREE = 0;
/** Accepted, waiting in the reorder buffer. */
export const PENDING = 1;
/** Matched and linked into its IMEI's window. */
export const LINKED = 2;
/** Unlinked from its window (expired); freed when the release queue reaches it. */
export const UNLINKED = 3;


/**
 * The CDRs the engine holds, as columns in typed arrays (struct of arrays) instead of one object per CDR:
 * no per-CDR allocation besides the record_id string, nothing for the garbage collector to trace, and
 * about 65 bytes a slot. IMSI and MSISDN are kept as numbers with their digit count (leading zeros
 * survive), the reported IMEI as its 14-digit key plus the IMEISV/check-digit suffix.
 */
export class RecordStore {
  capacity = 0;
  start = new Float64Array(0);
  end = new Float64Array(0);
  key = new Float64Array(0);
  imsi = new Float64Array(0);
  msisdn = new Float64Array(0);
  /** Next slot in the IMEI's window list, -1 at the end. */
  next = new Int32Array(0);
  imsiLen = new Uint8Array(0);
  /** Digit count, | 0x80 when written with a leading +; 0 = empty. */
  msisdnLen = new Uint8Array(0);
  imeiLen = new Uint8Array(0);
  imeiSuffix = new Uint8Array(0);
  state = new Uint8Array(0);
  /** Index of the CDR's radio in RADIOS (the TAC criteria need it even when the cell is unknown). */
  radio = new Uint8Array(0);
  recordId: string[] = [];
  cell: Array<CellSite | null> = [];
  private free = new Int32Array(0);
  private freeTop = 0;
  used = 0;

  constructor(initial = 1024) {
    this.grow(initial);
  }

  alloc(): number {
    if (this.freeTop === 0) this.grow(this.capacity * 2);
    const s = this.free[--this.freeTop];
    this.used++;
    return s;
  }

  /** Store an accepted CDR with its cell site (null: not in the catalogue) in a free slot, PENDING; returns the slot. */
  put(cdr: Cdr, cell: CellSite | null): number {
    const s = this.alloc();
    this.start[s] = cdr.startMs;
    this.end[s] = cdr.endMs;
    this.key[s] = cdr.key;
    this.imeiLen[s] = cdr.imeiLen;
    this.imeiSuffix[s] = cdr.imeiSuffix;
    this.imsi[s] = cdr.imsi;
    this.imsiLen[s] = cdr.imsiLen;
    this.msisdn[s] = cdr.msisdn;
    this.msisdnLen[s] = cdr.msisdnLen;
    this.recordId[s] = cdr.recordId;
    this.cell[s] = cell;
    this.radio[s] = RADIO_INDEX[cdr.radio];
    this.state[s] = PENDING;
    return s;
  }

  release(s: number): void {
    this.state[s] = FREE;
    this.recordId[s] = '';
    this.cell[s] = null;
    this.free[this.freeTop++] = s;
    this.used--;
  }

  sameImsi(a: number, b: number): boolean {
    return this.imsi[a] === this.imsi[b] && this.imsiLen[a] === this.imsiLen[b];
  }

  imsiText(s: number): string {
    return digitsText(this.imsi[s], this.imsiLen[s]);
  }

  msisdnText(s: number): string {
    return msisdnText(this.msisdn[s], this.msisdnLen[s]);
  }

  msisdnDigits(s: number): string {
    return msisdnDigitsText(this.msisdn[s], this.msisdnLen[s]);
  }

  imeiKeyText(s: number): string {
    return imeiKeyText(this.key[s]);
  }

  imeiText(s: number): string {
    return imeiText(this.key[s], this.imeiLen[s], this.imeiSuffix[s]);
  }

  private grow(n: number): void {
    const old = this.capacity;
    const f64 = (a: Float64Array) => {
      const x = new Float64Array(n);
      x.set(a);
      return x;
    };
    const i32 = (a: Int32Array) => {
      const x = new Int32Array(n);
      x.set(a);
      return x;
    };
    const u8 = (a: Uint8Array) => {
      const x = new Uint8Array(n);
      x.set(a);
      return x;
    };
    this.start = f64(this.start);
    this.end = f64(this.end);
    this.key = f64(this.key);
    this.imsi = f64(this.imsi);
    this.msisdn = f64(this.msisdn);
    this.next = i32(this.next);
    this.imsiLen = u8(this.imsiLen);
    this.msisdnLen = u8(this.msisdnLen);
    this.imeiLen = u8(this.imeiLen);
    this.imeiSuffix = u8(this.imeiSuffix);
    this.state = u8(this.state);
    this.radio = u8(this.radio);
    const free = new Int32Array(n);
    free.set(this.free.subarray(0, this.freeTop));
    // New slots are handed out lowest first.
    for (let s = n - 1; s >= old; s--) free[this.freeTop++] = s;
    this.free = free;
    for (let s = old; s < n; s++) {
      this.recordId.push('');
      this.cell.push(null);
    }
    this.capacity = n;
  }

  /** Bytes held by the columns (capacity, not use). */
  bytes(): number {
    return this.capacity * (5 * 8 + 4 + 6 + 4 + 2 * 8);
  }
}
