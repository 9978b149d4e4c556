// Event times. CDR times are parsed straight from bytes on the hot path; no Date objects per row.

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function isValidDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const dim = m === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[m - 1];
  return d <= dim;
}

function digits(b: Uint8Array, s: number, n: number): number {
  let v = 0;
  for (let i = s; i < s + n; i++) {
    const c = b[i] - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * Parse an event time from bytes [s, e): `YYYY-MM-DD[T ]hh:mm:ss[.f+][Z|±hh:mm]` or integer epoch
 * milliseconds. A time without a zone is read at `defaultOffsetMin` minutes east of UTC.
 * Returns epoch ms, or NaN when invalid (impossible dates and times are invalid, never rolled over).
 */
export function parseTimeBytes(b: Uint8Array, s: number, e: number, defaultOffsetMin: number): number {
  const n = e - s;
  if (n <= 0) return NaN;
  // Epoch milliseconds: digits only.
  if (n <= 16) {
    let allDigits = true;
    let v = 0;
    for (let i = s; i < e; i++) {
      const c = b[i] - 48;
      if (c < 0 || c > 9) {
        allDigits = false;
        break;
      }
      v = v * 10 + c;
    }
    if (allDigits) return v;
  }
  if (n < 19 || b[s + 4] !== 45 || b[s + 7] !== 45 || b[s + 13] !== 58 || b[s + 16] !== 58) return NaN;
  const sep = b[s + 10];
  if (sep !== 84 && sep !== 32 && sep !== 116) return NaN; // 'T', ' ', 't'
  const y = digits(b, s, 4);
  const mo = digits(b, s + 5, 2);
  const d = digits(b, s + 8, 2);
  const h = digits(b, s + 11, 2);
  const mi = digits(b, s + 14, 2);
  const sec = digits(b, s + 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0) return NaN;
  if (!isValidDate(y, mo, d) || h > 23 || mi > 59 || sec > 59) return NaN;
  let i = s + 19;
  let ms = 0;
  if (i < e && b[i] === 46) {
    // Fraction: at least one digit; milliseconds from the first three.
    i++;
    const fs = i;
    let scale = 100;
    while (i < e && b[i] >= 48 && b[i] <= 57) {
      ms += (b[i] - 48) * scale;
      scale /= 10;
      i++;
    }
    if (i === fs) return NaN;
    ms = Math.floor(ms + 1e-9);
  }
  let offsetMin = defaultOffsetMin;
  if (i < e) {
    const z = b[i];
    if ((z === 90 || z === 122) && i + 1 === e) {
      offsetMin = 0;
    } else if ((z === 43 || z === 45) && e - i === 6 && b[i + 3] === 58) {
      const oh = digits(b, i + 1, 2);
      const om = digits(b, i + 4, 2);
      if (oh < 0 || om < 0 || oh > 23 || om > 59) return NaN;
      offsetMin = (z === 45 ? -1 : 1) * (oh * 60 + om);
    } else {
      return NaN;
    }
  }
  return (daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offsetMin * 60) * 1000 + ms;
}

/** ISO-8601 UTC with milliseconds. */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}

/** A zone offset like -05:00 -> minutes east of UTC (-300). */
export function tzOffsetMinutes(tz: string): number {
  const sign = tz[0] === '-' ? -1 : 1;
  return sign * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6)));
}

/** The last instant ClickHouse's DateTime (UInt32 seconds) can hold: 2106-02-07T06:28:15Z. */
export const DATETIME_MAX_MS = 4294967295 * 1000;

/** SPEC "Plausible times only": the bounds a start_time must fall within. */
export interface TimeBounds {
  /** Earliest accepted start (minEventTime), epoch ms. */
  minMs: number;
  /** How far after the wall clock at reading a start may be (maxFutureS), ms. */
  maxFutureMs: number;
}

/**
 * Why `startMs` is not a plausible CDR time (the detail of an invalid_time reject, naming the bound), or
 * null. `nowMs` is the wall clock when the row is read. Every accepted time also fits ClickHouse's DateTime.
 */
export function implausibleTime(startMs: number, nowMs: number, b: TimeBounds): string | null {
  if (startMs < b.minMs) return `start_time ${anyIso(startMs)} is before minEventTime ${isoUtc(b.minMs)}`;
  const latest = Math.min(nowMs + b.maxFutureMs, DATETIME_MAX_MS);
  if (startMs > latest) {
    return latest === DATETIME_MAX_MS
      ? `start_time ${anyIso(startMs)} is after ${isoUtc(DATETIME_MAX_MS)}, the last time ClickHouse can store`
      : `start_time ${anyIso(startMs)} is more than maxFutureS (${b.maxFutureMs / 1000} s) after the wall clock (${isoUtc(nowMs)})`;
  }
  return null;
}

/** isoUtc for any number (a Date holds +-8.64e15 ms; an epoch-ms field may hold more). */
function anyIso(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? isoUtc(ms) : `${ms} ms since 1970`;
}
