import { describe, expect, it } from 'vitest';
import { CDR_FIELDS, N_FIELDS, newInvalid, validateCdrBytes, validateLineBytes } from '../../src/input/cdr-validate.js';
import { CdrCsvParser } from '../../src/input/cdr-csv.js';
import { blankCdr, type Cdr } from '../../src/domain/types.js';
import { rng } from '../helpers/opencellid-export.js';

// validateLineBytes reads a plain row in one pass and must agree with splitting it and calling validateCdrBytes:
// the same CDR for every valid row, and null (so that the reader splits and validates it) for every other line.

const digits = (r: () => number, n: number): string => Array.from({ length: n }, () => String(Math.floor(r() * 10))).join('');
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

/** Values of each field: mostly valid forms, with the edge cases and invalid forms around them. */
const FIELD_VALUES: Record<(typeof CDR_FIELDS)[number], (r: () => number) => string> = {
  record_id: (r) => pick(r, ['', 'x'.repeat(64), 'x'.repeat(65), `id-${digits(r, 6)}`, 'a b', 'ü'.repeat(3), `r${digits(r, 3)}`]),
  event_type: (r) => pick(r, ['voice_mo', 'voice_mt', 'sms_mo', 'sms_mt', 'data', 'dat', 'datas', 'voice_mx', 'SMS_MO', '']),
  imei: (r) => pick(r, [digits(r, 14), digits(r, 15), digits(r, 16), digits(r, 13), digits(r, 17), '00000000000000' + digits(r, 1), '3569380' + 'x' + digits(r, 7), '']),
  imsi: (r) => pick(r, [digits(r, 15), digits(r, 6), digits(r, 5), digits(r, 16), `7161${digits(r, 4)}a`, '000000', '']),
  msisdn: (r) => pick(r, ['', `+${digits(r, 11)}`, digits(r, 9), digits(r, 6), digits(r, 5), `+${digits(r, 15)}`, `+${digits(r, 16)}`, '+', '++51987654321', '51-98765']),
  start_time: (r) =>
    pick(r, ['2026-03-01T10:00:00Z', '2026-03-01 10:00:01.250', '2026-03-01T05:00:02-05:00', '1772359205000', '2026-02-30T10:00:00Z', '2026-03-01T24:00:00Z', '2026-03-01T10:00', '', '17723592050001234567']),
  duration_s: (r) => pick(r, ['0', '32.7', '86400', '86400.5', '.5', '5.', '-1', '1e3', '', `${digits(r, 3)}`, '0012']),
  radio: (r) => pick(r, ['GSM', 'UMTS', 'LTE', 'NR', 'lte', 'WIMAX', '']),
  mcc: (r) => pick(r, ['716', '0716', '', '71x', `${digits(r, 13)}`]),
  mnc: (r) => pick(r, ['6', '10', '007', '', '-1']),
  lac: (r) => pick(r, [digits(r, 4), '0', '000', `00${digits(r, 12)}`, '', '1.5']),
  ci: (r) => pick(r, ['32799129601', '0032799129601', digits(r, 12), `1${digits(r, 12)}`, '', '12 3']),
};

/** The reader's split of an unquoted line (as CdrCsvParser splits it): null when the column count is off. */
function splitLine(buf: Buffer, map: Int8Array, starts: Int32Array, ends: Int32Array): boolean {
  let col = 0;
  let fieldStart = 0;
  for (let i = 0; i <= buf.length; i++) {
    if (i === buf.length || buf[i] === 44) {
      if (col < map.length && map[col] >= 0) {
        starts[map[col]] = fieldStart;
        ends[map[col]] = i;
      }
      fieldStart = i + 1;
      col++;
    }
  }
  return col === map.length;
}

function fields(c: Cdr): object {
  return { ...c, recordId: undefined };
}

describe('validateLineBytes: a plain row read in one pass', () => {
  it('gives the CDR validateCdrBytes gives for every valid row, and null for every other line (20,000 random lines, 3 column orders)', () => {
    const r = rng(7);
    const orders = [
      [...CDR_FIELDS.keys()],
      [5, 2, 3, 4, 0, 1, 6, 7, 8, 9, 10, 11, -1],
      [-1, 3, 0, 2, 1, 7, 8, 9, 10, 11, 5, 6, 4, -1],
    ];
    let valid = 0;
    let invalid = 0;
    for (let n = 0; n < 20000; n++) {
      const order = orders[n % orders.length];
      const map = Int8Array.from(order);
      // Each field a plain valid value, or (one time in six) drawn from its list of forms, valid and invalid.
      const values = order.map((f) => (f < 0 ? pick(r, ['', 'note', 'x y']) : r() < 5 / 6 ? goodValue(f, n) : FIELD_VALUES[CDR_FIELDS[f]](r)));
      let text = values.join(',');
      // Now and then a column too many or too few.
      if (n % 97 === 5) text += ',extra';
      if (n % 89 === 3) text = text.slice(0, text.lastIndexOf(','));
      const buf = Buffer.from(`#${text}\n`, 'utf8');
      const lineEnd = buf.length - 1;
      const starts = new Int32Array(N_FIELDS);
      const ends = new Int32Array(N_FIELDS);
      const fused = validateLineBytes(buf, 1, lineEnd, map, starts, ends, -300, blankCdr());
      const fusedId = fused ? buf.toString('utf8', starts[0], ends[0]) : null;
      const line = buf.subarray(1, lineEnd);
      const s2 = new Int32Array(N_FIELDS);
      const e2 = new Int32Array(N_FIELDS);
      const whole = splitLine(line, map, s2, e2);
      const why = newInvalid();
      const expected = whole ? validateCdrBytes(line, s2, e2, -300, why, blankCdr()) : null;
      // A record_id of more than 64 bytes is left to the validator (it may still be 64 characters).
      if (expected !== null && e2[0] - s2[0] > 64) {
        expect(fused).toBeNull();
        continue;
      }
      if (expected === null) {
        invalid++;
        expect(fused, text).toBeNull();
      } else {
        valid++;
        expect(fused, text).not.toBeNull();
        expect(fields(fused!), text).toEqual(fields(expected));
        expect(fusedId).toBe(line.toString('utf8', s2[0], e2[0]));
      }
    }
    // Both kinds were drawn many times.
    expect(valid).toBeGreaterThan(3000);
    expect(invalid).toBeGreaterThan(3000);
  });

  it('the reader gives the same CDRs and rejects with the one-pass reading (a reused CDR) as without it, quoted fields too', () => {
    const r = rng(11);
    const header = 'start_time,imei,imsi,msisdn,record_id,event_type,duration_s,radio,mcc,mnc,lac,ci,note';
    const order = [5, 2, 3, 4, 0, 1, 6, 7, 8, 9, 10, 11, -1];
    const lines = [header];
    for (let n = 0; n < 6000; n++) {
      const values = order.map((f) => (f < 0 ? pick(r, ['', 'x', '"a, ""b"""', '"a,b"']) : r() < 5 / 6 ? goodValue(f, n) : FIELD_VALUES[CDR_FIELDS[f]](r)));
      // A field quoted now and then (empty ones too), and quotes where they do not belong.
      const quoted = values.map((v) => (r() < 0.2 && !v.includes('"') ? `"${v}"` : v));
      const odd = r();
      if (odd < 0.01) quoted[n % quoted.length] += '"x';
      else if (odd < 0.02) quoted[n % quoted.length] = `"${quoted[n % quoted.length]}`;
      else if (odd < 0.03) quoted[n % quoted.length] = `a"b`;
      lines.push(quoted.join(','));
    }
    const text = Buffer.from(lines.join('\r\n') + '\n');
    const read = (reuse: boolean): string[] => {
      const out: string[] = [];
      let p: CdrCsvParser;
      const handler = {
        record: (c: Cdr, line: number) => out.push(`${line} ${JSON.stringify({ ...c, recordId: reuse ? p.recordIdText() : c.recordId })} ${p.currentRaw()}`),
        reject: (reason: string, detail: string, line: number, raw: string) => out.push(`${line} ${reason} ${detail} ${raw}`),
      };
      p = new CdrCsvParser('t.csv', -300, handler);
      if (reuse) p.reuseCdr(blankCdr());
      // Chunks that cut lines anywhere.
      for (let i = 0; i < text.length; i += 777) p.push(text.subarray(i, i + 777));
      p.end();
      return out;
    };
    const plain = read(false);
    expect(plain.length).toBeGreaterThan(5900);
    expect(plain.filter((l) => l.includes('{')).length).toBeGreaterThan(2000);
    expect(read(true)).toEqual(plain);
  });
});

/** A valid value of field f for row n. */
function goodValue(f: number, n: number): string {
  return [`id${n}`, 'data', `35693803${String(100000 + n).padStart(7, '0')}`, `71610${String(n).padStart(10, '0')}`, n % 2 ? '' : `+519${String(n).padStart(8, '0')}`, `2026-03-01T10:${String(n % 60).padStart(2, '0')}:00Z`, `${n % 700}.5`, ['GSM', 'UMTS', 'LTE', 'NR'][n % 4], '716', '6', String(100 + (n % 50)), String(32799129601 + n)][f];
}
