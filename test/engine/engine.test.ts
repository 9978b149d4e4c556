import { describe, expect, it } from 'vitest';
import { findingId } from '../../src/engine/engine.js';
import { AREQUIPA, CALLAO, LIMA, UNKNOWN, cdr, exceptions, run, triples } from './support.js';

const IMEI = '35693803564380';

describe('engine: findings', () => {
  it('finds simultaneity between two IMSIs on one IMEI', () => {
    const { findings, candidates } = run([cdr({ id: 'a', imsi: '716100000000001', at: 0, dur: 120 }), cdr({ id: 'b', imsi: '716100000000002', at: 60, dur: 60 })]);
    expect(findings).toHaveLength(1);
    const f = findings[0];
    expect(f).toMatchObject({ imei: IMEI, rule: 'simultaneity', record_a: 'a', record_b: 'b', overlap_s: 60, gap_s: 0, exempt_imsis: [] });
    expect(f.time_a).toBe('2026-03-01T10:00:00.000Z');
    expect(f.finding_id).toBe(findingId(IMEI, 'simultaneity', 'a', 'b'));
    expect(candidates).toEqual([expect.objectContaining({ imei: IMEI, imsis: ['716100000000001', '716100000000002'], rules: ['simultaneity'], findings: 1 })]);
  });

  it('the same IMSI twice is never a clone', () => {
    const { findings } = run([cdr({ id: 'a', imsi: '716100000000001', at: 0, dur: 120 }), cdr({ id: 'b', imsi: '716100000000001', at: 60, dur: 60, cell: AREQUIPA })]);
    expect(findings).toEqual([]);
  });

  it('both rules on one pair give two findings', () => {
    const { findings, candidates } = run([cdr({ id: 'a', imsi: '716100000000001', at: 0, dur: 120 }), cdr({ id: 'b', imsi: '716100000000002', at: 60, dur: 60, cell: CALLAO })]);
    expect(findings.map((f) => f.rule).sort()).toEqual(['simultaneity', 'time_distance']);
    expect(candidates).toHaveLength(1);
    expect(candidates[0].rules).toEqual(['simultaneity', 'time_distance']);
  });

  it('a third IMSI re-emits the candidate with all IMSIs', () => {
    const { findings, candidates } = run([
      cdr({ id: 'a', imsi: '716100000000001', at: 0, dur: 600 }),
      cdr({ id: 'b', imsi: '716100000000002', at: 60, dur: 60 }),
      cdr({ id: 'c', imsi: '716100000000003', at: 300, dur: 60 }),
    ]);
    expect(triples(findings)).toEqual([`${IMEI}|716100000000001+716100000000002|simultaneity`, `${IMEI}|716100000000001+716100000000003|simultaneity`].sort());
    expect(candidates.map((c) => c.imsis)).toEqual([
      ['716100000000001', '716100000000002'],
      ['716100000000001', '716100000000002', '716100000000003'],
    ]);
  });

  it('IMEI, IMEISV and check-digit variants share one key', () => {
    const { findings } = run([
      cdr({ id: 'a', imei: '356938035643809', imsi: '716100000000001', at: 0, dur: 120 }),
      cdr({ id: 'b', imei: '3569380356438012', imsi: '716100000000002', at: 60, dur: 60 }),
    ]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ imei: IMEI, imei_reported_a: '356938035643809', imei_reported_b: '3569380356438012' });
  });

  it('a SIM swap (new IMSI after the old one stops, same place) is not a clone', () => {
    const { findings } = run([cdr({ id: 'a', imsi: '716100000000001', at: 0, dur: 60 }), cdr({ id: 'b', imsi: '716100000000002', at: 600, dur: 60 })]);
    expect(findings).toEqual([]);
  });

  it('far apart with one cell unknown is not a time_distance conflict', () => {
    const { findings, engine } = run([cdr({ id: 'a', imsi: '716100000000001', at: 0 }), cdr({ id: 'b', imsi: '716100000000002', at: 300, cell: UNKNOWN })]);
    expect(findings).toEqual([]);
    expect(engine.counters.unknownCell).toBe(1);
  });

  it('an unknown cell still takes part in simultaneity, with null geography', () => {
    const { findings } = run([cdr({ id: 'a', imsi: '716100000000001', at: 0, dur: 120 }), cdr({ id: 'b', imsi: '716100000000002', at: 60, dur: 60, cell: UNKNOWN })]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'simultaneity', cell_b: null, lat_b: null, lon_b: null, distance_km: null, speed_kmh: null });
  });
});

describe('engine: dedup and suppression', () => {
  it('repeat evidence within suppressionS gives no new finding; after it, a new one', () => {
    const day = 86400;
    const { findings, engine } = run([
      cdr({ id: 'a1', imsi: '716100000000001', at: 0, dur: 120 }),
      cdr({ id: 'b1', imsi: '716100000000002', at: 60, dur: 60 }),
      cdr({ id: 'a2', imsi: '716100000000001', at: 3600, dur: 120 }),
      cdr({ id: 'b2', imsi: '716100000000002', at: 3660, dur: 60 }),
      cdr({ id: 'a3', imsi: '716100000000001', at: day + 100, dur: 120 }),
      cdr({ id: 'b3', imsi: '716100000000002', at: day + 160, dur: 60 }),
    ]);
    expect(findings.map((f) => f.record_b)).toEqual(['b1', 'b3']);
    expect(engine.counters.suppressedByRule.simultaneity).toBe(1);
  });

  it('a repeated record_id is a duplicate delivery; a CDR far behind is late', () => {
    const { offers, findings } = run([
      cdr({ id: 'a', imsi: '716100000000001', at: 1000, dur: 120 }),
      cdr({ id: 'a', imsi: '716100000000001', at: 1000, dur: 120 }),
      cdr({ id: 'x', imsi: '716100000000002', at: 1000 - 601, dur: 700 }),
      cdr({ id: 'y', imsi: '716100000000002', at: 1000 - 600, dur: 700 }),
    ]);
    expect(offers).toEqual([null, 'duplicate_record', 'late_record', null]);
    expect(findings.map((f) => [f.record_a, f.record_b])).toEqual([['y', 'a']]);
  });

  it('a rejected late CDR does not move event time', () => {
    const { offers } = run([cdr({ id: 'a', imsi: '1234567', at: 1000 }), cdr({ id: 'late', imsi: '1234567', at: 0 }), cdr({ id: 'b', imsi: '1234567', at: 400 })]);
    expect(offers).toEqual([null, 'late_record', null]);
  });
});

describe('engine: exception list (Art. 24-25)', () => {
  const pair = () => [cdr({ id: 'a', imsi: '716100000000001', msisdn: '51999000001', at: 0, dur: 120 }), cdr({ id: 'b', imsi: '716100000000002', msisdn: '+51999000002', at: 60, dur: 60 })];

  it('an IMSI listed with the IMEI is exempt: finding kept, candidate without it', () => {
    const { findings, candidates } = run(pair(), { exceptions: exceptions([{ imei: '356938035643809', imsi: '716100000000001' }]) });
    expect(findings[0].exempt_imsis).toEqual(['716100000000001']);
    expect(candidates).toHaveLength(1);
    expect(candidates[0]).toMatchObject({ imsis: ['716100000000002'], exempt_imsis: ['716100000000001'] });
  });

  it('an MSISDN listed with the IMEI makes its IMSI exempt (+ ignored)', () => {
    const { findings } = run(pair(), { exceptions: exceptions([{ imei: '35693803564380', msisdn: '+51999000002' }]) });
    expect(findings[0].exempt_imsis).toEqual(['716100000000002']);
  });

  it('when every IMSI is exempt there is a finding but no candidate', () => {
    const { findings, candidates } = run(pair(), {
      exceptions: exceptions([
        { imei: '356938035643809', imsi: '716100000000001' },
        { imei: '356938035643809', msisdn: '51999000002' },
      ]),
    });
    expect(findings).toHaveLength(1);
    expect(findings[0].exempt_imsis.sort()).toEqual(['716100000000001', '716100000000002']);
    expect(candidates).toEqual([]);
  });

  it('an exception on another IMEI does not exempt', () => {
    const { findings, candidates } = run(pair(), { exceptions: exceptions([{ imei: '35693803564399', imsi: '716100000000001' }]) });
    expect(findings[0].exempt_imsis).toEqual([]);
    expect(candidates[0].imsis).toHaveLength(2);
  });
});

describe('engine: state is bounded', () => {
  it('releases IMEIs once nothing can match them', () => {
    const cdrs = [];
    for (let i = 0; i < 2000; i++) cdrs.push(cdr({ id: `r${i}`, imei: String(35000000000000 + i), imsi: '7161' + String(i).padStart(8, '0'), at: i * 10, dur: 30 }));
    const { engine } = run(cdrs);
    // 20,000 s of events; the window plus lateness is 7,800 s: about 780 IMEIs at most remain.
    const st = engine.stats();
    expect(st.activeImeis).toBeLessThan(800);
    expect(st.activeImeis).toBeGreaterThan(700);
    expect(st.trackedRecordIds).toBeLessThan(800);
  });

  it('a long data session stays matchable for its whole length', () => {
    const { findings } = run([
      cdr({ id: 'data', imsi: '716100000000001', at: 0, dur: 20000 }),
      ...Array.from({ length: 50 }, (_, i) => cdr({ id: `f${i}`, imei: '35000000000001', imsi: '716100000000009', at: 300 * i })),
      cdr({ id: 'sms', imsi: '716100000000002', at: 15000 }),
    ]);
    expect(findings.map((f) => [f.record_a, f.record_b, f.rule])).toEqual([['data', 'sms', 'simultaneity']]);
  });
});

describe('engine: ordering delay 0 (streams)', () => {
  it('finds the same triples on arrival as in sorted order', () => {
    const cdrs = [
      cdr({ id: 'b', imsi: '716100000000002', at: 60, dur: 60, cell: AREQUIPA }),
      cdr({ id: 'a', imsi: '716100000000001', at: 0, dur: 120, cell: LIMA }),
    ];
    const sorted = run(cdrs);
    const live = run(cdrs, { engine: { orderingDelayMs: 0 } });
    expect(triples(live.findings)).toEqual(triples(sorted.findings));
    expect(live.findings[0]).toMatchObject({ record_a: 'a', record_b: 'b' });
  });
});
