import type { Cdr, EventType, Radio } from '../domain/types.js';
import { EVENT_TYPES, RADIOS } from '../domain/types.js';
import { RADIO_INDEX } from '../domain/lookups.js';

/**
 * A validated CDR as numbers in typed-array columns, the form in which CDRs cross between threads
 * (transferable, so moved rather than copied by postMessage). Both the shard batches and the parse
 * workers' batches write and read CDRs through these two functions, so the layout is defined once.
 */

/** Float64 slots per CDR: key, start, end, imsi, msisdn, mcc, mnc, lac, ci (any validated integer fits). */
export const CDR_F64 = 9;
/** Uint8 slots per CDR: imsiLen, msisdnLen, imeiLen, imeiSuffix, radio, eventType. */
export const CDR_U8 = 6;

/** Write CDR `c` as row `i` of the columns (record_id and idHash are kept by the caller). */
export function writeCdrColumns(f64: Float64Array, u8: Uint8Array, i: number, c: Cdr): void {
  const f = i * CDR_F64;
  f64[f] = c.key;
  f64[f + 1] = c.startMs;
  f64[f + 2] = c.endMs;
  f64[f + 3] = c.imsi;
  f64[f + 4] = c.msisdn;
  f64[f + 5] = c.mcc;
  f64[f + 6] = c.mnc;
  f64[f + 7] = c.lac;
  f64[f + 8] = c.ci;
  const o = i * CDR_U8;
  u8[o] = c.imsiLen;
  u8[o + 1] = c.msisdnLen;
  u8[o + 2] = c.imeiLen;
  u8[o + 3] = c.imeiSuffix;
  u8[o + CDR_U8_RADIO] = RADIO_INDEX[c.radio];
  u8[o + 5] = EVENT_TYPES.indexOf(c.eventType);
}

/** Index of the radio (RADIOS index) among a CDR's Uint8 slots. */
export const CDR_U8_RADIO = 4;

/** Write only CDR `c`'s start and cell (radio, mcc, mnc, lac, ci) as row `i`: what a CDR not matched needs. */
export function writeCellColumns(f64: Float64Array, u8: Uint8Array, i: number, c: Cdr): void {
  const f = i * CDR_F64;
  f64[f + 1] = c.startMs;
  f64[f + 5] = c.mcc;
  f64[f + 6] = c.mnc;
  f64[f + 7] = c.lac;
  f64[f + 8] = c.ci;
  u8[i * CDR_U8 + CDR_U8_RADIO] = RADIO_INDEX[c.radio];
}

/** Row `i` of the columns as a CDR. */
export function readCdrColumns(f64: Float64Array, u8: Uint8Array, i: number, recordId: string, idHash: number): Cdr {
  const f = i * CDR_F64;
  const o = i * CDR_U8;
  return {
    recordId,
    idHash,
    eventType: EVENT_TYPES[u8[o + 5]] as EventType,
    key: f64[f],
    imeiLen: u8[o + 2],
    imeiSuffix: u8[o + 3],
    imsi: f64[f + 3],
    imsiLen: u8[o],
    msisdn: f64[f + 4],
    msisdnLen: u8[o + 1],
    startMs: f64[f + 1],
    endMs: f64[f + 2],
    radio: RADIOS[u8[o + CDR_U8_RADIO]] as Radio,
    mcc: f64[f + 5],
    mnc: f64[f + 6],
    lac: f64[f + 7],
    ci: f64[f + 8],
  };
}
