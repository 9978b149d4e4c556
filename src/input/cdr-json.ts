import type { Cdr } from '../domain/types.js';
import { CDR_FIELDS, N_FIELDS, newInvalid, validateCdrBytes, validateCdrObject, type ValidationResult } from './cdr-validate.js';

const FIELD_INDEX = new Map<string, number>(CDR_FIELDS.map((f, i) => [f, i]));
const starts = new Int32Array(N_FIELDS);
const ends = new Int32Array(N_FIELDS);
/** This reader's failure slot (written only when a message is invalid). */
const why = newInvalid();
const JSON_NUMBER = /^-?(0|[1-9]\d{0,14})(\.\d+)?$/;

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
    const key = b.toString('latin1', ks, i);
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
      if (!JSON_NUMBER.test(b.toString('latin1', vs, ve))) return false;
    } else {
      return false;
    }
    const f = FIELD_INDEX.get(key);
    if (f !== undefined) {
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
