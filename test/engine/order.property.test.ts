import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AREQUIPA, CALLAO, LIMA, LIMA2, UNKNOWN, cdr, exceptions, run } from './support.js';

const CELLS = [LIMA, LIMA2, AREQUIPA, CALLAO, UNKNOWN];
const IMEIS = ['356938035643809', '3569380356438012', '35000000000001'];
const IMSIS = ['716100000000001', '716100000000002', '716100000000003'];

/** Which device, SIM and cell a row has. */
const who = { imei: fc.constantFrom(...IMEIS), imsi: fc.constantFrom(...IMSIS), cell: fc.constantFrom(...CELLS) };

const rowArb = fc.record({
  ...who,
  at: fc.integer({ min: 0, max: 30000 }),
  dur: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1800 })),
  delay: fc.integer({ min: 0, max: 600 }),
});

const strip = (o: Record<string, unknown>) => {
  const { detected_at: _d, emitted_at: _e, ...rest } = o;
  return rest;
};

describe('order within the lateness bound never changes the findings', () => {
  it('sorted input and any arrival within allowedLatenessS give identical outputs', () => {
    const list = exceptions([{ imei: '356938035643809', imsi: '716100000000003' }]);
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 2, maxLength: 40 }), (rows) => {
        const cdrs = rows.map((r, i) => ({ c: cdr({ id: `r${i}`, imei: r.imei, imsi: r.imsi, at: r.at, dur: r.dur, cell: r.cell }), arrival: r.at + r.delay, i }));
        const sorted = [...cdrs].sort((x, y) => x.c.startMs - y.c.startMs || x.i - y.i).map((x) => x.c);
        // Arrival by start + delay (delay <= lateness): every row is at most 600 s behind the newest before it.
        const shuffled = [...cdrs].sort((x, y) => x.arrival - y.arrival || y.i - x.i).map((x) => x.c);
        const a = run(sorted, { exceptions: list });
        const b = run(shuffled, { exceptions: list });
        expect(b.offers.every((o) => o === null)).toBe(true);
        expect(b.findings.map(strip)).toEqual(a.findings.map(strip));
        expect(b.candidates.map(strip)).toEqual(a.candidates.map(strip));
      }),
      { numRuns: 300 },
    );
  });
});

describe('copying the queues down (compactAfter) never changes what the engine decides', () => {
  it('compactAfter 1 and the default give the same offers, findings and candidates, duplicates and late rows included', () => {
    const list = exceptions([{ imei: '356938035643809', imsi: '716100000000003' }]);
    // Spread over hours, so that ids and released CDRs leave the horizon many times; some ids repeat.
    const spreadArb = fc.record({
      ...who,
      at: fc.integer({ min: 0, max: 60_000 }),
      dur: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 7200 })),
      id: fc.integer({ min: 0, max: 30 }),
    });
    fc.assert(
      fc.property(fc.array(spreadArb, { minLength: 2, maxLength: 80 }), (rows) => {
        const cdrs = rows.map((r) => cdr({ id: `r${r.id}`, imei: r.imei, imsi: r.imsi, at: r.at, dur: r.dur, cell: r.cell }));
        const a = run(cdrs, { exceptions: list });
        const b = run(cdrs, { exceptions: list, engine: { compactAfter: 1 } });
        expect(b.offers).toEqual(a.offers);
        expect(b.findings.map(strip)).toEqual(a.findings.map(strip));
        expect(b.candidates.map(strip)).toEqual(a.candidates.map(strip));
        expect(b.engine.stats()).toEqual(a.engine.stats());
      }),
      { numRuns: 200 },
    );
  });
});
