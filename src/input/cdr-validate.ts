import type { Cdr, EventType, Radio, RejectReason } from '../domain/types.js';
import { parseTimeBytes } from '../domain/time.js';
import { idHashBytes, MSISDN_PLUS } from '../domain/identity.js';

/** The CDR fields of SPEC Input 1, in the order their checks run. */
export const CDR_FIELDS = [
  'record_id',
  'event_type',
  'imei',
  'imsi',
  'msisdn',
  'start_time',
  'duration_s',
  'radio',
  'mcc',
  'mnc',
  'lac',
  'ci',
] as const;
export type CdrField = (typeof CDR_FIELDS)[number];
export const N_FIELDS = CDR_FIELDS.length;

const F_RECORD_ID = 0;
const F_EVENT_TYPE = 1;
const F_IMEI = 2;
const F_IMSI = 3;
const F_MSISDN = 4;
const F_START = 5;
const F_DURATION = 6;
const F_RADIO = 7;
const F_MCC = 8;
const F_MNC = 9;
const F_LAC = 10;
const F_CI = 11;

const MAX_DURATION_S = 86400;

/**
 * Why a validation returned null. The caller owns one and passes it to every call (the validator writes
 * into it only on failure), so a valid row allocates nothing for it and two readers never share one.
 */
export interface Invalid {
  reason: RejectReason;
  detail: string;
}

export function newInvalid(): Invalid {
  return { reason: 'malformed_row', detail: '' };
}

function fail(why: Invalid, reason: RejectReason, detail: string): null {
  why.reason = reason;
  why.detail = detail;
  return null;
}

/** Value of the digits [s, e) (at most 15, so exact), or -1 when one is not a digit. */
function digitsValue(b: Uint8Array, s: number, e: number): number {
  let v = 0;
  for (let i = s; i < e; i++) {
    const c = b[i] - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function allDigits(b: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Non-negative integer of at most 12 digits after leading zeros, or -1 (a CDR's cell code; the catalogue's too). */
export function uint(b: Uint8Array, s: number, e: number): number {
  if (e <= s) return -1;
  // Leading zeros write the same number (0032799129601 is the NR cell 32799129601): up to 12 digits after them.
  let z = s;
  while (z < e - 1 && b[z] === 48) z++;
  return e - z > 12 ? -1 : digitsValue(b, z, e);
}

/** Decimal number `d+[.d*]` or `.d+`, or NaN. */
function decimal(b: Uint8Array, s: number, e: number): number {
  let v = 0;
  let i = s;
  let nd = 0;
  while (i < e && b[i] >= 48 && b[i] <= 57) {
    v = v * 10 + (b[i] - 48);
    i++;
    nd++;
  }
  if (i < e && b[i] === 46) {
    i++;
    let scale = 0.1;
    while (i < e && b[i] >= 48 && b[i] <= 57) {
      v += (b[i] - 48) * scale;
      scale /= 10;
      i++;
      nd++;
    }
  }
  if (i !== e || nd === 0) return NaN;
  return v;
}

function eventType(b: Uint8Array, s: number, e: number): EventType | null {
  const n = e - s;
  if (n === 4 && b[s] === 100 && b[s + 1] === 97 && b[s + 2] === 116 && b[s + 3] === 97) return 'data';
  if (n === 8 && b[s] === 118 && b[s + 1] === 111 && b[s + 2] === 105 && b[s + 3] === 99 && b[s + 4] === 101 && b[s + 5] === 95 && b[s + 6] === 109) {
    if (b[s + 7] === 111) return 'voice_mo';
    if (b[s + 7] === 116) return 'voice_mt';
  }
  if (n === 6 && b[s] === 115 && b[s + 1] === 109 && b[s + 2] === 115 && b[s + 3] === 95 && b[s + 4] === 109) {
    if (b[s + 5] === 111) return 'sms_mo';
    if (b[s + 5] === 116) return 'sms_mt';
  }
  return null;
}

/** The radio named exactly so by the bytes [s, e), or null. */
export function radio(b: Uint8Array, s: number, e: number): Radio | null {
  const n = e - s;
  if (n === 3 && b[s] === 76 && b[s + 1] === 84 && b[s + 2] === 69) return 'LTE';
  if (n === 3 && b[s] === 71 && b[s + 1] === 83 && b[s + 2] === 77) return 'GSM';
  if (n === 2 && b[s] === 78 && b[s + 1] === 82) return 'NR';
  if (n === 4 && b[s] === 85 && b[s + 1] === 77 && b[s + 2] === 84 && b[s + 3] === 83) return 'UMTS';
  return null;
}

function snippet(b: Buffer, s: number, e: number): string {
  return b.toString('utf8', s, Math.min(e, s + 80));
}

/**
 * Validate one CDR whose fields lie in `buf` at byte ranges [starts[f], ends[f]) (field order
 * CDR_FIELDS). Returns the CDR, or null with the reason in `why`. With `into`, the fields are written into
 * that object (no allocation per row) and its recordId is left '' unless it was decoded for the check.
 * This is the hot path of `detect`: no regex, no intermediate strings for numeric fields.
 */
export function validateCdrBytes(buf: Buffer, starts: Int32Array, ends: Int32Array, tzOffsetMin: number, why: Invalid, into: Cdr | null = null): Cdr | null {
  for (let f = 0; f < N_FIELDS; f++) {
    if (f !== F_MSISDN && ends[f] <= starts[f]) return fail(why, 'missing_field', `${CDR_FIELDS[f]} is empty`);
  }
  let s = starts[F_RECORD_ID];
  let e = ends[F_RECORD_ID];
  // A reused target gets its record_id only when the text is needed to judge it (more than 64 bytes may
  // still be 64 characters); the caller reads it from the row otherwise (recordIdText).
  const recordId = into === null || e - s > 64 ? buf.toString('utf8', s, e) : '';
  if (recordId.length > 64) return fail(why, 'invalid_record_id', `record_id has ${recordId.length} characters (at most 64)`);

  const et = eventType(buf, starts[F_EVENT_TYPE], ends[F_EVENT_TYPE]);
  if (et === null) return fail(why, 'invalid_event_type', `event_type "${snippet(buf, starts[F_EVENT_TYPE], ends[F_EVENT_TYPE])}" is not one of voice_mo, voice_mt, sms_mo, sms_mt, data`);

  s = starts[F_IMEI];
  e = ends[F_IMEI];
  const imeiLen = e - s;
  if (imeiLen < 14 || imeiLen > 16 || !allDigits(buf, s, e)) return fail(why, 'invalid_imei', `imei "${snippet(buf, s, e)}" must have 14, 15 or 16 digits`);
  let key = 0;
  for (let i = s; i < s + 14; i++) key = key * 10 + (buf[i] - 48);
  if (key === 0) return fail(why, 'invalid_imei', 'imei key (first 14 digits) is all zeros');

  s = starts[F_IMSI];
  e = ends[F_IMSI];
  const imsiLen = e - s;
  const imsi = imsiLen >= 6 && imsiLen <= 15 ? digitsValue(buf, s, e) : -1;
  if (imsi < 0) return fail(why, 'invalid_imsi', `imsi "${snippet(buf, s, e)}" must have 6 to 15 digits`);

  s = starts[F_MSISDN];
  e = ends[F_MSISDN];
  let msisdn = 0;
  let msisdnLen = 0;
  if (e > s) {
    const plus = buf[s] === 43;
    const ds = plus ? s + 1 : s;
    msisdn = e - ds >= 6 && e - ds <= 15 ? digitsValue(buf, ds, e) : -1;
    if (msisdn < 0) return fail(why, 'invalid_msisdn', `msisdn "${snippet(buf, s, e)}" must be empty or 6 to 15 digits with an optional leading +`);
    msisdnLen = (e - ds) | (plus ? MSISDN_PLUS : 0);
  }

  const startMs = parseTimeBytes(buf, starts[F_START], ends[F_START], tzOffsetMin);
  if (Number.isNaN(startMs)) return fail(why, 'invalid_time', `start_time "${snippet(buf, starts[F_START], ends[F_START])}" is not a valid time`);

  const dur = decimal(buf, starts[F_DURATION], ends[F_DURATION]);
  if (!(dur >= 0 && dur <= MAX_DURATION_S)) return fail(why, 'invalid_duration', `duration_s "${snippet(buf, starts[F_DURATION], ends[F_DURATION])}" must be a number from 0 to 86400`);

  const r = radio(buf, starts[F_RADIO], ends[F_RADIO]);
  if (r === null) return fail(why, 'invalid_cell', `radio "${snippet(buf, starts[F_RADIO], ends[F_RADIO])}" is not one of GSM, UMTS, LTE, NR`);
  const mcc = uint(buf, starts[F_MCC], ends[F_MCC]);
  const mnc = uint(buf, starts[F_MNC], ends[F_MNC]);
  const lac = uint(buf, starts[F_LAC], ends[F_LAC]);
  const ci = uint(buf, starts[F_CI], ends[F_CI]);
  if (mcc < 0 || mnc < 0 || lac < 0 || ci < 0) return fail(why, 'invalid_cell', 'mcc, mnc, lac and ci must be non-negative integers');

  s = starts[F_IMEI];
  if (into !== null) {
    into.recordId = recordId;
    into.idHash = idHashBytes(buf, starts[F_RECORD_ID], ends[F_RECORD_ID]);
    into.eventType = et;
    into.key = key;
    into.imeiLen = imeiLen;
    into.imeiSuffix = imeiLen === 14 ? 0 : digitsValue(buf, s + 14, s + imeiLen);
    into.imsi = imsi;
    into.imsiLen = imsiLen;
    into.msisdn = msisdn;
    into.msisdnLen = msisdnLen;
    into.startMs = startMs;
    into.endMs = startMs + Math.round(dur * 1000);
    into.radio = r;
    into.mcc = mcc;
    into.mnc = mnc;
    into.lac = lac;
    into.ci = ci;
    return into;
  }
  return {
    recordId,
    idHash: idHashBytes(buf, starts[F_RECORD_ID], ends[F_RECORD_ID]),
    eventType: et,
    key,
    imeiLen,
    imeiSuffix: imeiLen === 14 ? 0 : digitsValue(buf, s + 14, s + imeiLen),
    imsi,
    imsiLen,
    msisdn,
    msisdnLen,
    startMs,
    endMs: startMs + Math.round(dur * 1000),
    radio: r,
    mcc,
    mnc,
    lac,
    ci,
  };
}

const scratchStarts = new Int32Array(N_FIELDS);
const scratchEnds = new Int32Array(N_FIELDS);

/**
 * Validate already-split field values (a Kafka JSON message, or a quoted CSV row).
 * Numbers may be JSON numbers or strings; null/undefined count as empty.
 */
export function validateCdrValues(values: ReadonlyArray<unknown>, tzOffsetMin: number, why: Invalid): Cdr | null {
  const parts: string[] = new Array(N_FIELDS);
  for (let f = 0; f < N_FIELDS; f++) {
    const v = values[f];
    if (v === null || v === undefined) parts[f] = '';
    else if (typeof v === 'string') parts[f] = v;
    else if (typeof v === 'number' && Number.isFinite(v)) parts[f] = numberText(v);
    else return fail(why, 'malformed_row', `${CDR_FIELDS[f]} has a ${Array.isArray(v) ? 'array' : typeof v} value`);
  }
  let total = 0;
  const bufs = parts.map((p) => Buffer.from(p, 'utf8'));
  for (let f = 0; f < N_FIELDS; f++) {
    scratchStarts[f] = total;
    total += bufs[f].length;
    scratchEnds[f] = total;
  }
  return validateCdrBytes(Buffer.concat(bufs, total), scratchStarts, scratchEnds, tzOffsetMin, why);
}

/** JSON numbers as plain decimals (no exponent), so 1e-7 s or 1e21 ms are judged by value, not text. */
function numberText(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e21) return v.toFixed(0);
  const t = String(v);
  return /e/i.test(t) ? v.toFixed(6) : t;
}

export type ValidationResult = { ok: true; cdr: Cdr } | { ok: false; reason: RejectReason; detail: string };

/** Validate a Kafka message value (one JSON object with SPEC's field names). */
export function validateCdrObject(obj: unknown, tzOffsetMin: number): ValidationResult {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return { ok: false, reason: 'malformed_row', detail: 'message value is not a JSON object' };
  const o = obj as Record<string, unknown>;
  const why = newInvalid();
  const cdr = validateCdrValues(
    CDR_FIELDS.map((f) => o[f]),
    tzOffsetMin,
    why,
  );
  return cdr ? { ok: true, cdr } : { ok: false, reason: why.reason, detail: why.detail };
}

const COMMA = 44;

/**
 * The plain valid row in one pass: the unquoted line [pos, lineEnd) read column by column (the header's
 * `map`), each field parsed as it is found, instead of splitting the line first and validating the fields
 * after. Returns `into` filled as validateCdrBytes fills it, with starts/ends of the record_id set; or null
 * whenever the line is anything but a valid row of exactly `nCols` columns (a bad field, a field too long,
 * too few or too many columns): the caller then splits and validates it, and gets the reject that explains it.
 */
export function validateLineBytes(buf: Buffer, pos: number, lineEnd: number, map: Int8Array, starts: Int32Array, ends: Int32Array, tzOffsetMin: number, into: Cdr): Cdr | null {
  const nCols = map.length;
  let i = pos;
  let et: EventType | null = null;
  let key = 0;
  let imeiLen = 0;
  let suffix = 0;
  let imsi = 0;
  let imsiLen = 0;
  let msisdn = 0;
  let msisdnLen = 0;
  let startMs = NaN;
  let dur = NaN;
  let r: Radio | null = null;
  let mcc = -1;
  let mnc = -1;
  let lac = -1;
  let ci = -1;
  for (let col = 0; col < nCols; col++) {
    const s = i;
    const f = map[col];
    if (f === F_IMEI || f === F_IMSI || f === F_MCC || f === F_MNC || f === F_LAC || f === F_CI || f === F_MSISDN) {
      // Digit fields: value as the digits go by; the field must end at a comma or the line end.
      let ds = i;
      if (f === F_MSISDN && i < lineEnd && buf[i] === 43) ds = ++i;
      let v = 0;
      let z = ds; // first digit after leading zeros (cell codes)
      for (; i < lineEnd; i++) {
        const c = buf[i] - 48;
        if (c < 0 || c > 9) break;
        if (v === 0 && c === 0 && z === i) z++;
        v = v * 10 + c;
      }
      const n = i - ds;
      if (f === F_IMEI) {
        if (n < 14 || n > 16) return null;
        // The first 14 digits: the key; the rest: the suffix.
        key = 0;
        for (let k = ds; k < ds + 14; k++) key = key * 10 + (buf[k] - 48);
        if (key === 0) return null;
        suffix = 0;
        for (let k = ds + 14; k < i; k++) suffix = suffix * 10 + (buf[k] - 48);
        imeiLen = n;
      } else if (f === F_IMSI) {
        if (n < 6 || n > 15) return null;
        imsi = v;
        imsiLen = n;
      } else if (f === F_MSISDN) {
        if (n === 0 && ds === s) {
          msisdn = 0;
          msisdnLen = 0;
        } else {
          if (n < 6 || n > 15) return null;
          msisdn = v;
          msisdnLen = n | (ds > s ? MSISDN_PLUS : 0);
        }
      } else {
        // A cell code: non-empty, at most 12 digits after leading zeros.
        if (n === 0 || i - Math.min(z, i - 1) > 12) return null;
        if (f === F_MCC) mcc = v;
        else if (f === F_MNC) mnc = v;
        else if (f === F_LAC) lac = v;
        else ci = v;
      }
    } else {
      while (i < lineEnd && buf[i] !== COMMA) i++;
      if (f === F_RECORD_ID) {
        if (i === s || i - s > 64) return null;
        starts[F_RECORD_ID] = s;
        ends[F_RECORD_ID] = i;
      } else if (f === F_EVENT_TYPE) {
        et = eventType(buf, s, i);
        if (et === null) return null;
      } else if (f === F_START) {
        startMs = parseTimeBytes(buf, s, i, tzOffsetMin);
        if (Number.isNaN(startMs)) return null;
      } else if (f === F_DURATION) {
        dur = decimal(buf, s, i);
        if (!(dur >= 0 && dur <= MAX_DURATION_S)) return null;
      } else if (f === F_RADIO) {
        r = radio(buf, s, i);
        if (r === null) return null;
      }
    }
    // The field ends here: at a comma before the next column, at the line end after the last.
    if (col < nCols - 1) {
      if (i >= lineEnd || buf[i] !== COMMA) return null;
      i++;
    } else if (i !== lineEnd) return null;
  }
  const s = starts[F_RECORD_ID];
  const e = ends[F_RECORD_ID];
  into.recordId = '';
  into.idHash = idHashBytes(buf, s, e);
  into.eventType = et!;
  into.key = key;
  into.imeiLen = imeiLen;
  into.imeiSuffix = suffix;
  into.imsi = imsi;
  into.imsiLen = imsiLen;
  into.msisdn = msisdn;
  into.msisdnLen = msisdnLen;
  into.startMs = startMs;
  into.endMs = startMs + Math.round(dur * 1000);
  into.radio = r!;
  into.mcc = mcc;
  into.mnc = mnc;
  into.lac = lac;
  into.ci = ci;
  return into;
}
