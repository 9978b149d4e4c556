import type { Cdr } from '../domain/types.js';
import { CDR_F64 as F, CDR_U8 as B, readCdrColumns, writeCdrColumns } from './cdr-columns.js';

/**
 * Admitted CDRs on their way to a shard worker: columns in transferable typed arrays (moved, not copied,
 * by postMessage) plus the record_id strings.
 */
export interface CdrBatch {
  n: number;
  f64: Float64Array; // per row: key, start, end, imsi, msisdn, mcc, mnc, lac, ci (any validated integer fits)
  u8: Uint8Array; // per row: imsiLen, msisdnLen, imeiLen, imeiSuffix, radio, eventType
  recordIds: string[];
}

export class CdrBatchBuilder {
  private batch: CdrBatch;
  constructor(private readonly capacity: number) {
    this.batch = CdrBatchBuilder.empty(capacity);
  }

  private static empty(capacity: number): CdrBatch {
    return { n: 0, f64: new Float64Array(capacity * F), u8: new Uint8Array(capacity * B), recordIds: [] };
  }

  get size(): number {
    return this.batch.n;
  }

  get full(): boolean {
    return this.batch.n >= this.capacity;
  }

  add(c: Cdr): void {
    const b = this.batch;
    writeCdrColumns(b.f64, b.u8, b.n++, c);
    b.recordIds.push(c.recordId);
  }

  /** Hand over the batch (and start a new one). */
  take(): CdrBatch {
    const b = this.batch;
    this.batch = CdrBatchBuilder.empty(this.capacity);
    return b;
  }
}

/** The CDRs of a batch, one at a time. */
export function* readBatch(b: CdrBatch): Generator<Cdr> {
  // idHash 0: admitted on the main thread already, shard engines make no duplicate check.
  for (let i = 0; i < b.n; i++) yield readCdrColumns(b.f64, b.u8, i, b.recordIds[i], 0);
}

export function batchTransfer(b: CdrBatch): ArrayBuffer[] {
  return [b.f64.buffer as ArrayBuffer, b.u8.buffer as ArrayBuffer];
}
