import type { Cdr, EventType, Radio } from '../domain/types.js';
import { EVENT_TYPES, RADIOS } from '../domain/types.js';

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

const F = 9;
const B = 6;

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
    const i = b.n++;
    const f = i * F;
    b.f64[f] = c.key;
    b.f64[f + 1] = c.startMs;
    b.f64[f + 2] = c.endMs;
    b.f64[f + 3] = c.imsi;
    b.f64[f + 4] = c.msisdn;
    b.f64[f + 5] = c.mcc;
    b.f64[f + 6] = c.mnc;
    b.f64[f + 7] = c.lac;
    b.f64[f + 8] = c.ci;
    const o = i * B;
    b.u8[o] = c.imsiLen;
    b.u8[o + 1] = c.msisdnLen;
    b.u8[o + 2] = c.imeiLen;
    b.u8[o + 3] = c.imeiSuffix;
    b.u8[o + 4] = RADIOS.indexOf(c.radio);
    b.u8[o + 5] = EVENT_TYPES.indexOf(c.eventType);
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
  for (let i = 0; i < b.n; i++) {
    const f = i * F;
    const o = i * B;
    yield {
      recordId: b.recordIds[i],
      idHash: 0, // admitted on the main thread already: shard engines make no duplicate check
      eventType: EVENT_TYPES[b.u8[o + 5]] as EventType,
      key: b.f64[f],
      imeiLen: b.u8[o + 2],
      imeiSuffix: b.u8[o + 3],
      imsi: b.f64[f + 3],
      imsiLen: b.u8[o],
      msisdn: b.f64[f + 4],
      msisdnLen: b.u8[o + 1],
      startMs: b.f64[f + 1],
      endMs: b.f64[f + 2],
      radio: RADIOS[b.u8[o + 4]] as Radio,
      mcc: b.f64[f + 5],
      mnc: b.f64[f + 6],
      lac: b.f64[f + 7],
      ci: b.f64[f + 8],
    };
  }
}

export function batchTransfer(b: CdrBatch): ArrayBuffer[] {
  return [b.f64.buffer as ArrayBuffer, b.u8.buffer as ArrayBuffer];
}
