import type { Cdr } from '../domain/types.js';
import { CDR_FIELDS, N_FIELDS, newInvalid, validateCdrBytes, validateCdrObject, type ValidationResult } from './cdr-validate.js';

/** The field names as bytes: a key is matched in the buffer, with no string per key. */
const FIELD_BYTES = CDR_FIELDS.map((f) => Buffer.from(f, 'latin1'));
const starts = new Int32Array(N_FIELDS);
const ends = new Int32Array(N_FIELDS);
/** This reader's failure slot (written only when a message is invalid). */
const why = newInvalid();

const isWs = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9;

/**
 * Validate a Kafka CDR message value (a flat JSON object) straight from its bytes: the field values are
 * located in the buffer and handed to the same byte-level validator `detect` uses, with no JSON.parse and no
 * per-field strings. Anything outside the plain shape (escapes, null/true/false, nested values, exponents,
 * long numbers, invalid JSON) goes to JSON.parse + validateCdrObject, so the outcome is always the same as
 * the slow path's; this only makes the common case cheap (the hot path of `run`).
 */
export function validateCdrMessage(buf: Buffer, tzOffsetMin: number): ValidationResult {
  const fast = scan(buf);
  if (fast) {
    const cdr: Cdr | null = validateCdrBytes(buf, starts, ends, tzOffsetMin, why);
    return cdr ? { ok: true, cdr } : { ok: false, reason: why.reason, detail: why.detail };
  }
  let obj: unknown;
  try {
    obj = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'malformed_row', detail: `message value is not JSON: ${(err as Error).message}` };
  }
  return validateCdrObject(obj, tzOffsetMin);
}

/** Fill starts/ends from a plain flat JSON object; false when the value needs the full JSON path. */
function scan(b: Buffer): boolean {
  starts.fill(0);
  ends.fill(0);
  const len = b.length;
  let i = 0;
  while (i < len && isWs(b[i])) i++;
  if (b[i] !== 123) return false; // {
  i++;
  for (let first = true; ; first = false) {
    while (i < len && isWs(b[i])) i++;
    if (i >= len) return false;
    if (b[i] === 125) {
      // }
      if (!first) return false; // trailing comma would have been consumed below; a bare '}' after ',' is invalid
      i++;
      break;
    }
    if (b[i] !== 34) return false;
    const ks = ++i;
    while (i < len && b[i] !== 34) {
      if (b[i] === 92 || b[i] < 32) return false;
      i++;
    }
    if (i >= len) return false;
    const ke = i;
    i++;
    while (i < len && isWs(b[i])) i++;
    if (b[i] !== 58) return false; // :
    i++;
    while (i < len && isWs(b[i])) i++;
    let vs: number;
    let ve: number;
    const c = b[i];
    if (c === 34) {
      vs = ++i;
      while (i < len && b[i] !== 34) {
        if (b[i] === 92 || b[i] < 32) return false;
        i++;
      }
      if (i >= len) return false;
      ve = i++;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      vs = i;
      while (i < len && ((b[i] >= 48 && b[i] <= 57) || b[i] === 46 || b[i] === 45 || b[i] === 43 || b[i] === 101 || b[i] === 69)) i++;
      ve = i;
      if (!plainNumber(b, vs, ve)) return false;
    } else {
      return false;
    }
    const f = fieldAt(b, ks, ke);
    if (f >= 0) {
      starts[f] = vs;
      ends[f] = ve;
    }
    while (i < len && isWs(b[i])) i++;
    if (b[i] === 44) {
      i++;
      while (i < len && isWs(b[i])) i++;
      if (b[i] !== 34) return false;
      continue;
    }
    if (b[i] === 125) {
      i++;
      break;
    }
    return false;
  }
  while (i < len && isWs(b[i])) i++;
  return i === len;
}

/** Which CDR field the key bytes [s, e) name, or -1 (the names are ASCII: bytes equal iff the texts are). */
function fieldAt(b: Buffer, s: number, e: number): number {
  const n = e - s;
  for (let f = 0; f < FIELD_BYTES.length; f++) {
    const name = FIELD_BYTES[f];
    if (name.length !== n || name[0] !== b[s]) continue;
    let k = 1;
    while (k < n && name[k] === b[s + k]) k++;
    if (k === n) return f;
  }
  return -1;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * Is [s, e) a number whose bytes are already the text the slow path makes of it (validateCdrObject turns a
 * JSON number back into text): -?(0|[1-9]\d{0,14})(\.\d+)? with no exponent, no -0, no trailing zero in
 * the fraction, at most 15 significant digits (so String() of the double gives these digits back) and not
 * below 1e-6 (which String() writes with an exponent). Anything else takes the slow path.
 */
function plainNumber(b: Buffer, s: number, e: number): boolean {
  let i = s;
  const negative = b[i] === 45; // -
  if (negative) i++;
  if (i >= e) return false;
  let intDigits = 0;
  if (b[i] === 48) i++;
  else if (b[i] >= 49 && b[i] <= 57) {
    const d0 = i;
    while (i < e && isDigit(b[i])) i++;
    intDigits = i - d0;
    if (intDigits > 15) return false;
  } else return false;
  if (i === e) return !(negative && intDigits === 0);
  if (b[i] !== 46) return false; // .
  const f0 = ++i;
  while (i < e && isDigit(b[i])) i++;
  if (i === f0 || i !== e || b[e - 1] === 48) return false;
  if (intDigits > 0) return intDigits + (e - f0) <= 15;
  let z = f0;
  while (b[z] === 48) z++;
  return z - f0 <= 5 && e - z <= 15;
}
