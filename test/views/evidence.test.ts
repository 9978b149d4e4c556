import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/domain/types.js';
import { evidenceModel } from '../../src/views/evidence.js';

// The explain page's model: what findings prove about each evidence CDR's interval (durations are not stored).

function finding(over: Partial<Finding>): Finding {
  return {
    imei: '35693803564380',
    imei_reported_a: '356938035643809',
    imei_reported_b: '356938035643809',
    rule: 'simultaneity',
    imsi_a: '716100000000001',
    imsi_b: '716100000000002',
    msisdn_a: '+51999000001',
    msisdn_b: '',
    record_a: 'a1',
    record_b: 'b1',
    time_a: '2026-03-01T15:00:00.000Z',
    time_b: '2026-03-01T15:01:00.000Z',
    cell_a: 'LTE:716:10:100:1',
    cell_b: 'LTE:716:10:200:2',
    lat_a: -12.05,
    lon_a: -77.03,
    lat_b: -16.4,
    lon_b: -71.54,
    distance_km: 763.138,
    gap_s: 0,
    overlap_s: 30,
    speed_kmh: null,
    exempt_imsis: [],
    detected_at: '2026-03-02T00:00:00.000Z',
    finding_id: 'f1',
    ...over,
  };
}

const T = (iso: string) => Date.parse(iso);

describe('evidenceModel', () => {
  it('simultaneity: the overlap is [start_b, start_b + overlap_s] and both CDRs last at least to its end', () => {
    const m = evidenceModel([finding({})]);
    expect(m.overlaps).toEqual([
      { findingId: 'f1', rule: 'simultaneity', startMs: T('2026-03-01T15:01:00Z'), endMs: T('2026-03-01T15:01:30Z'), imsiA: '716100000000001', imsiB: '716100000000002' },
    ]);
    const [a, b] = m.cdrs;
    expect([a.record, a.knownEndMs, a.endExact]).toEqual(['a1', T('2026-03-01T15:01:30Z'), false]);
    expect([b.record, b.knownEndMs, b.endExact]).toEqual(['b1', T('2026-03-01T15:01:30Z'), false]);
    expect(m.gaps).toEqual([]);
  });

  it('time_distance with a gap: a ended exactly gap_s before b started', () => {
    const m = evidenceModel([finding({ rule: 'time_distance', time_b: '2026-03-01T15:05:00.000Z', gap_s: 120.5, overlap_s: 0, speed_kmh: 22798.1 })]);
    const a = m.cdrs.find((c) => c.record === 'a1')!;
    expect(a.knownEndMs).toBe(T('2026-03-01T15:02:59.500Z'));
    expect(a.endExact).toBe(true);
    expect(m.gaps).toEqual([
      { findingId: 'f1', rule: 'time_distance', fromMs: T('2026-03-01T15:02:59.500Z'), toMs: T('2026-03-01T15:05:00Z'), imsiA: '716100000000001', imsiB: '716100000000002' },
    ]);
    expect(m.overlaps).toEqual([]);
  });

  it('an exact end is kept when another finding only gives a lower bound for the same CDR', () => {
    const m = evidenceModel([
      finding({ finding_id: 'f1', rule: 'time_distance', time_b: '2026-03-01T15:05:00.000Z', gap_s: 60, overlap_s: 0 }),
      finding({ finding_id: 'f2', record_b: 'b2', imsi_b: '716100000000003', time_b: '2026-03-01T15:00:10.000Z', overlap_s: 20 }),
    ]);
    const a = m.cdrs.find((c) => c.record === 'a1')!;
    expect(a.knownEndMs).toBe(T('2026-03-01T15:04:00Z'));
    expect(a.endExact).toBe(true);
    expect(a.findingIds.sort()).toEqual(['f1', 'f2']);
  });

  it('one lane per IMSI in order of first evidence, with MSISDNs and exemption', () => {
    const m = evidenceModel([
      finding({ finding_id: 'f2', record_a: 'b1', imsi_a: '716100000000002', record_b: 'c1', imsi_b: '716100000000003', time_a: '2026-03-01T15:01:00.000Z', time_b: '2026-03-01T15:02:00.000Z', exempt_imsis: ['716100000000003'] }),
      finding({ finding_id: 'f1' }),
    ]);
    expect(m.lanes.map((l) => [l.imsi, l.exempt])).toEqual([
      ['716100000000001', false],
      ['716100000000002', false],
      ['716100000000003', true],
    ]);
    expect(m.lanes[0].msisdns).toEqual(['+51999000001']);
    expect(m.lanes[1].msisdns).toEqual([]);
    expect(m.cdrs).toHaveLength(3);
  });

  it('cells: one per distinct known cell; CDRs on unknown cells are listed apart', () => {
    const m = evidenceModel([finding({ cell_b: null, lat_b: null, lon_b: null, distance_km: null })]);
    expect(m.cells.map((c) => c.id)).toEqual(['LTE:716:10:100:1']);
    expect(m.unknownCellRecords).toEqual(['b1']);
  });

  it('a criterion with one CDR of evidence (b repeats a) gives one CDR and no overlap', () => {
    const m = evidenceModel([finding({ rule: 'unknown_tac' as Finding['rule'], record_b: 'a1', imsi_b: '716100000000001', time_b: '2026-03-01T15:00:00.000Z', overlap_s: 0 })]);
    expect(m.cdrs).toHaveLength(1);
    expect(m.lanes).toHaveLength(1);
    expect(m.overlaps).toEqual([]);
  });
});
