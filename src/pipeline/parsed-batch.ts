import type { Cdr, Reject } from '../domain/types.js';
import { objectArray } from '../domain/arrays.js';
import { CDR_F64 as F, CDR_U8 as B, CDR_U8_RADIO, readCdrColumns, writeCellColumns, writeCdrColumns } from './cdr-columns.js';
import type { CellStatus } from '../domain/lookups.js';

/** What markCellStatus asks of the catalogue (radio: RADIOS index). */
export interface CellStatusLookup {
  status(r: number, mcc: number, mnc: number, lac: number, ci: number): CellStatus;
}

/** A CDR of a multi-IMSI key: the engine matches it (and keeps it, with its record_id). */
export const ROW_MATCH = 1;
/** A CDR whose record_id hash occurs more than once in the input: admission checks it for a duplicate. */
export const ROW_ID_CHECK = 2;
/** Bits 2-3: what the catalogue says of the CDR's cell (domain/lookups.ts CellStatus), for counting it. */
export const ROW_CELL_SHIFT = 2;
/** The flags that make a CDR's record_id travel with it. */
export const ROW_NEEDS_ID = ROW_MATCH | ROW_ID_CHECK;

/**
 * Rows of one byte range as a parse worker read them, in file order: each is a validated CDR (columns in
 * transferable typed arrays, its physical line and raw bytes kept for a duplicate/late reject) or a reject.
 */
export interface ParsedBatch {
  /** Rows in this batch (CDRs and rejects). */
  n: number;
  /** Per row: 1 when it is a reject (the next of `rejects`), 0 for a CDR (the next CDR column entry). */
  isReject: Uint8Array;
  nCdrs: number;
  f64: Float64Array; // per CDR: key, start, end, imsi, msisdn, mcc, mnc, lac, ci
  u8: Uint8Array; // per CDR: imsiLen, msisdnLen, imeiLen, imeiSuffix, radio, eventType
  i32: Int32Array; // per CDR: idHash, line, raw start, raw end (in raw)
  /** Per CDR: ROW_MATCH | ROW_ID_CHECK | cell status << ROW_CELL_SHIFT. */
  flags: Uint8Array;
  raw: Uint8Array;
  /** The record_ids of the CDRs flagged ROW_NEEDS_ID, in order (the others' are never needed). */
  recordIds: string[];
  rejects: Reject[];
}

const I = 4;

/**
 * A batch as an object of one shape. A batch crosses threads by structured clone, which makes every received
 * object anew, and their hidden classes vary from one to the next: code that read them directly was thrown
 * away and compiled again by V8 (wrong map) a dozen times per run. Both threads read batches made by this
 * constructor only (receivedBatch).
 */
class Batch implements ParsedBatch {
  n: number;
  isReject: Uint8Array;
  nCdrs: number;
  f64: Float64Array;
  u8: Uint8Array;
  i32: Int32Array;
  flags: Uint8Array;
  raw: Uint8Array;
  recordIds: string[];
  rejects: Reject[];

  constructor(b: ParsedBatch) {
    this.n = b.n;
    this.isReject = b.isReject;
    this.nCdrs = b.nCdrs;
    this.f64 = b.f64;
    this.u8 = b.u8;
    this.i32 = b.i32;
    this.flags = b.flags;
    this.raw = b.raw;
    this.recordIds = b.recordIds;
    this.rejects = b.rejects;
  }
}

/** A batch that came from another thread (postMessage), as an object of the one shape the readers see. */
export function receivedBatch(b: ParsedBatch): ParsedBatch {
  return new Batch(b);
}

export class ParsedBatchBuilder {
  private b: ParsedBatch;
  private rawLen = 0;
  /** Raw bytes not yet copied: [regStart, regEnd) of regSrc, to go at regBase. */
  private regSrc: Uint8Array | null = null;
  private regStart = 0;
  private regEnd = 0;
  private regBase = 0;

  /**
   * @param pool batches the main thread has read and sent back (recycle): their arrays are reused, so a
   *   parse allocates (and both threads collect) a few MB per batch less.
   */
  constructor(
    private readonly capacity: number,
    private readonly pool: ParsedBatch[] = [],
  ) {
    this.b = this.fresh();
  }

  private fresh(): ParsedBatch {
    const b = this.pool.pop();
    if (b === undefined) return ParsedBatchBuilder.empty(this.capacity);
    b.n = 0;
    b.nCdrs = 0;
    b.recordIds = objectArray();
    b.rejects = objectArray();
    return b;
  }

  private static empty(capacity: number): ParsedBatch {
    return new Batch({
      n: 0,
      isReject: new Uint8Array(capacity),
      nCdrs: 0,
      f64: new Float64Array(capacity * F),
      u8: new Uint8Array(capacity * B),
      i32: new Int32Array(capacity * I),
      flags: new Uint8Array(capacity),
      raw: new Uint8Array(capacity * 128),
      recordIds: objectArray(),
      rejects: objectArray(),
    });
  }

  get size(): number {
    return this.b.n;
  }

  get full(): boolean {
    return this.b.n >= this.capacity;
  }

  /** Make room for `bytes` more raw bytes. */
  private rawRoom(bytes: number): void {
    const b = this.b;
    if (this.rawLen + bytes > b.raw.length) {
      const bigger = new Uint8Array(Math.max(b.raw.length * 2, this.rawLen + bytes));
      bigger.set(b.raw.subarray(0, this.rawLen));
      b.raw = bigger;
    }
  }

  /** Copy the pending region of raw bytes into the batch. */
  private flushRaw(): void {
    const src = this.regSrc;
    if (src === null) return;
    const n = this.regEnd - this.regStart;
    this.rawRoom(n);
    this.b.raw.set(src.subarray(this.regStart, this.regEnd), this.rawLen);
    this.rawLen += n;
    this.regSrc = null;
  }

  /**
   * A validated CDR whose raw text is bytes [rawStart, rawEnd) of `src` (a buffer nobody writes again);
   * `flags` as in ParsedBatch.flags; `recordId` is kept only with ROW_NEEDS_ID. The raw bytes of
   * consecutive rows of one buffer are copied together, in one piece, when the buffer changes or the batch
   * is taken (a copy per row cost more than the rest of the row's handling here).
   */
  addCdr(c: Cdr, line: number, src: Uint8Array, rawStart: number, rawEnd: number, flags = ROW_MATCH, recordId = c.recordId): void {
    const b = this.b;
    if (b.n >= b.isReject.length) this.grow();
    b.isReject[b.n++] = 0;
    const i = b.nCdrs++;
    // A CDR that is not matched needs only its start (and the id hash, line and raw below) on the main thread,
    // and its cell until markCellStatus.
    if ((flags & ROW_MATCH) !== 0) writeCdrColumns(b.f64, b.u8, i, c);
    else writeCellColumns(b.f64, b.u8, i, c);
    b.flags[i] = flags;
    if ((flags & ROW_NEEDS_ID) !== 0) b.recordIds.push(recordId);
    if (src !== this.regSrc || rawStart < this.regEnd) {
      this.flushRaw();
      this.regSrc = src;
      this.regStart = rawStart;
      this.regBase = this.rawLen;
    }
    this.regEnd = rawEnd;
    const k = i * I;
    b.i32[k] = c.idHash;
    b.i32[k + 1] = line;
    b.i32[k + 2] = this.regBase + (rawStart - this.regStart);
    b.i32[k + 3] = this.regBase + (rawEnd - this.regStart);
  }

  addReject(r: Reject): void {
    const b = this.b;
    if (b.n >= b.isReject.length) this.grow();
    b.isReject[b.n++] = 1;
    b.rejects.push(r);
  }

  /** A batch is handed over when the reader has a moment (after a chunk), so it may outgrow its capacity. */
  private grow(): void {
    const b = this.b;
    const n = b.isReject.length * 2;
    const more = <T extends Uint8Array | Int32Array | Float64Array>(a: T, per: number): T => {
      const x = new (a.constructor as new (n: number) => T)(n * per);
      x.set(a);
      return x;
    };
    b.isReject = more(b.isReject, 1);
    b.f64 = more(b.f64, F);
    b.u8 = more(b.u8, B);
    b.i32 = more(b.i32, I);
    b.flags = more(b.flags, 1);
  }

  /**
   * Add to the flags of each CDR not matched what the catalogue says of its cell (CellStatus << ROW_CELL_SHIFT).
   * Done for the whole batch at once, not as each row is read: a lookup is a random read of a table larger
   * than the cache, and a loop of lookups alone lets the processor wait for several at once.
   */
  markCellStatus(cells: CellStatusLookup): void {
    const b = this.b;
    const flags = b.flags;
    const f64 = b.f64;
    const u8 = b.u8;
    for (let i = 0; i < b.nCdrs; i++) {
      if ((flags[i] & ROW_MATCH) !== 0) continue;
      const f = i * F;
      flags[i] |= cells.status(u8[i * B + CDR_U8_RADIO], f64[f + 5], f64[f + 6], f64[f + 7], f64[f + 8]) << ROW_CELL_SHIFT;
    }
  }

  /** Hand over the batch (and start a new one). */
  take(): ParsedBatch {
    this.flushRaw();
    const b = this.b;
    this.b = this.fresh();
    this.rawLen = 0;
    return b;
  }
}

/** CDR i of a batch, with its record_id (the caller counts them: the next of `recordIds` for a flagged CDR). */
export function batchCdr(b: ParsedBatch, i: number, recordId: string): Cdr {
  return readCdrColumns(b.f64, b.u8, i, recordId, b.i32[i * I]);
}

export function batchStartMs(b: ParsedBatch, i: number): number {
  return b.f64[i * F + 1];
}

export function batchIdHash(b: ParsedBatch, i: number): number {
  return b.i32[i * I];
}

export function batchLine(b: ParsedBatch, i: number): number {
  return b.i32[i * I + 1];
}

export function batchRaw(b: ParsedBatch, i: number): string {
  return Buffer.from(b.raw.buffer, b.raw.byteOffset, b.raw.length).toString('utf8', b.i32[i * I + 2], b.i32[i * I + 3]);
}

/**
 * A batch the main thread has read, to send back to its worker for its arrays (parsedBatchTransfer): its
 * record_ids and rejects stay in this thread. The warm-up (batch-admitter.ts) lets its batches go the same way,
 * so that V8 has seen these fields change before it compiles the code that reads them.
 */
export function recycledBatch(b: ParsedBatch): ParsedBatch {
  b.recordIds = [];
  b.rejects = [];
  return b;
}

export function parsedBatchTransfer(b: ParsedBatch): ArrayBuffer[] {
  return [b.isReject.buffer, b.f64.buffer, b.u8.buffer, b.i32.buffer, b.flags.buffer, b.raw.buffer] as ArrayBuffer[];
}
