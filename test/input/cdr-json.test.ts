// The byte-level fast path of Kafka CDR messages gives exactly what JSON.parse + validateCdrObject gives.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateCdrObject } from '../../src/input/cdr-validate.js';
import { validateCdrMessage } from '../../src/input/cdr-json.js';

const slow = (text: string) => {
  try {
    return validateCdrObject(JSON.parse(text), -300);
  } catch {
    return { ok: false, reason: 'malformed_row' };
  }
};
const fast = (text: string) => {
  const r = validateCdrMessage(Buffer.from(text, 'utf8'), -300);
  return r.ok ? r : { ok: false, reason: r.reason };
};
const strip = (r: ReturnType<typeof validateCdrObject> | { ok: false; reason: string }) => (r.ok ? r : { ok: false, reason: r.reason });

const good = {
  record_id: 'r1',
  event_type: 'voice_mo',
  imei: '350000111111110',
  imsi: '716060000000001',
  msisdn: '+51987000001',
  start_time: '2026-03-02T10:00:00Z',
  duration_s: 600,
  radio: 'LTE',
  mcc: 716,
  mnc: 6,
  lac: 1001,
  ci: 100,
};

describe('validateCdrMessage (fast path of run)', () => {
  it('accepts a plain message like the slow path, numbers as numbers or strings', () => {
    const r = fast(JSON.stringify(good));
    expect(r).toEqual(slow(JSON.stringify(good)));
    expect(r.ok).toBe(true);
    const asStrings = Object.fromEntries(Object.entries(good).map(([k, v]) => [k, String(v)]));
    expect(fast(JSON.stringify(asStrings))).toEqual(slow(JSON.stringify(asStrings)));
    expect(fast(' {\n "imei" : "350000111111110", ' + JSON.stringify(good).slice(1) + ' ')).toEqual(slow(JSON.stringify(good)));
  });

  it('agrees with JSON.parse + validateCdrObject on edge values', () => {
    const cases = [
      '',
      '{}',
      '[]',
      'null',
      '{"a":1,}',
      JSON.stringify({ ...good, duration_s: 1e-7 }),
      JSON.stringify({ ...good, duration_s: -5 }),
      JSON.stringify({ ...good, duration_s: 1.5 }),
      JSON.stringify({ ...good, msisdn: null }),
      JSON.stringify({ ...good, msisdn: true }),
      JSON.stringify({ ...good, record_id: 'a"b\\c' }),
      JSON.stringify({ ...good, record_id: 'ñandú' }),
      JSON.stringify({ ...good, start_time: 1772445600000 }),
      JSON.stringify({ ...good, start_time: 12345678901234567890 }),
      JSON.stringify({ ...good, ci: [1] }),
      JSON.stringify({ ...good, extra: { x: 1 } }),
      '{"record_id":"r1","record_id":"r2"}',
      JSON.stringify(good).replace('"mcc":716', '"mcc":0716'),
      JSON.stringify(good).replace('"mcc":716', '"mcc":716.'),
      JSON.stringify(good) + 'x',
      // Numbers the byte check must sort exactly as /^-?(0|[1-9]\d{0,14})(\.\d+)?$/ did.
      ...['0', '-0', '00', '01', '-01', '1.', '.5', '-', '1.5.5', '1e3', '1E3', '-1e-3', '1+2', '123456789012345', '1234567890123456', '-123456789012345.25', '0.000', '716.0', '-0.0', '1.50', '0.000001', '0.0000001', '0.1234567890123456', '12345678901234.5', '123456789012345.5', '99999999999999.99'].map((n) =>
        JSON.stringify(good).replace('"mcc":716', `"mcc":${n}`),
      ),
      // Keys that only look like field names.
      JSON.stringify(good).replace('"imei"', '"imeí"'),
      JSON.stringify(good).replace('"imei"', '"IMEI"'),
      JSON.stringify(good).replace('"imei"', '"imei "'),
      JSON.stringify(good).replace('"ci"', '"c"'),
      JSON.stringify(good).replace('"ci"', '"cix"'),
      JSON.stringify(good).replace('"ci"', '""'),
    ];
    for (const c of cases) expect(fast(c), c).toEqual(strip(slow(c)));
  });

  it('agrees on random field values (property)', () => {
    const value = fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom('716', '00', '2026-03-02 10:00:00', '350000111111110', '', null));
    const keys = Object.keys(good);
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys, 'other'), value), fc.boolean(), (partial, strings) => {
        const obj: Record<string, unknown> = { ...good, ...partial };
        if (strings) for (const k of keys) if (typeof obj[k] === 'number') obj[k] = String(obj[k]);
        const text = JSON.stringify(obj);
        expect(fast(text)).toEqual(strip(slow(text)));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees on number-like values of every field (property)', () => {
    const numberish = fc.stringMatching(/^-?[0-9.eE+-]{1,20}$/);
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(good)), numberish, (k, n) => {
        const text = JSON.stringify(good).replace(new RegExp(`"${k}":("[^"]*"|[0-9]+)`), `"${k}":${n}`);
        expect(fast(text)).toEqual(strip(slow(text)));
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        validateCdrMessage(Buffer.from(bytes), -300);
      }),
    );
  });
});

describe('values ClickHouse would refuse never pass validation', () => {
  it('a lone UTF-16 surrogate in record_id (valid JSON, refused by a JSON insert) becomes U+FFFD, as invalid UTF-8 bytes do', () => {
    const msg = '{"record_id":"\\ud800x","event_type":"voice_mo","imei":"356938035643809","imsi":"716100000000001","msisdn":"","start_time":"2026-03-01T10:00:00Z","duration_s":10,"radio":"LTE","mcc":716,"mnc":10,"lac":100,"ci":1}';
    expect(JSON.parse(msg).record_id).toBe('\ud800x');
    const v = validateCdrMessage(Buffer.from(msg), 0);
    expect(v.ok && v.cdr.recordId).toBe('\ufffdx');
  });
});

