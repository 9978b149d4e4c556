// Law: the two Art. 22 rules give the same findings, byte for byte, whether or not the Art. 22(c) criteria
// run beside them; with the extra criteria off, no finding carries their fields.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Radio } from '../../src/domain/types.js';
import { AREQUIPA, CALLAO, LIMA, LIMA2, UNKNOWN, cdr, exceptions, run, tacDb } from './support.js';

const CELLS = [LIMA, LIMA2, AREQUIPA, CALLAO, UNKNOWN];
// TACs 35693803 (all radios), 35000000 (GSM|UMTS only), 99000017 (not in the database).
const IMEIS = ['356938035643809', '3569380356438012', '35000000000001', '990000170000011'];
const IMSIS = ['716100000000001', '716100000000002', '716100000000003', '716100000000004', '716100000000005', '716100000000006'];
const RADIOS: Radio[] = ['GSM', 'UMTS', 'LTE', 'NR'];
const TACS = tacDb({ '35693803': ['GSM', 'UMTS', 'LTE', 'NR'], '35000000': ['GSM', 'UMTS'] });
const ALL = ['simultaneity', 'time_distance', 'shared_imei', 'inconsistent_rat', 'unknown_tac'];

const rowArb = fc.record({
  imei: fc.constantFrom(...IMEIS),
  imsi: fc.constantFrom(...IMSIS),
  at: fc.integer({ min: 0, max: 200000 }),
  dur: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3600 })),
  cell: fc.constantFrom(...CELLS),
  radio: fc.constantFrom(...RADIOS),
  msisdn: fc.constantFrom('', '51999000001', '+51999000002'),
});

const lines = (xs: object[]) => xs.map((x) => JSON.stringify(x));

describe('Art. 22(c) criteria never change the findings of the two Art. 22 rules', () => {
  it('default rules alone and all five give byte-identical simultaneity and time_distance findings', () => {
    const list = exceptions([{ imei: '356938035643809', imsi: '716100000000003' }]);
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 2, maxLength: 60 }), fc.integer({ min: 2, max: 5 }), (rows, minImsis) => {
        const cdrs = rows
          .map((r, i) => cdr({ id: `r${i}`, imei: r.imei, imsi: r.imsi, msisdn: r.msisdn, at: r.at, dur: r.dur, cell: r.cell, radio: r.radio }))
          .sort((x, y) => x.startMs - y.startMs);
        const base = run(cdrs, { exceptions: list });
        const all = run(cdrs, { exceptions: list, tacs: TACS, config: { rules: ALL, tacDb: 'x', sharedImeiMinImsis: minImsis } });
        expect(lines(all.findings.filter((f) => f.rule === 'simultaneity' || f.rule === 'time_distance'))).toEqual(lines(base.findings));
        expect(base.findings.every((f) => !('imsi_count' in f) && !('radio' in f) && !('tac_radios' in f))).toBe(true);
        // Every candidate of the default run names the same IMEI in the run with every criterion.
        const withAll = new Set(all.candidates.map((c) => c.imei));
        expect(base.candidates.every((c) => withAll.has(c.imei))).toBe(true);
        // Counters of the default rules agree too.
        expect(all.engine.counters.findingsByRule.simultaneity).toBe(base.engine.counters.findingsByRule.simultaneity);
        expect(all.engine.counters.findingsByRule.time_distance).toBe(base.engine.counters.findingsByRule.time_distance);
      }),
      { numRuns: 300 },
    );
  });

  it('naming the rules in another order gives the same outputs', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 2, maxLength: 40 }), (rows) => {
        const cdrs = rows.map((r, i) => cdr({ id: `r${i}`, imei: r.imei, imsi: r.imsi, at: r.at, dur: r.dur, cell: r.cell, radio: r.radio })).sort((x, y) => x.startMs - y.startMs);
        const a = run(cdrs, { tacs: TACS, config: { rules: ALL, tacDb: 'x' } });
        const b = run(cdrs, { tacs: TACS, config: { rules: [...ALL].reverse(), tacDb: 'x' } });
        expect(lines(b.findings)).toEqual(lines(a.findings));
        expect(lines(b.candidates)).toEqual(lines(a.candidates));
      }),
      { numRuns: 150 },
    );
  });
});
