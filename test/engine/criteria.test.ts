import { describe, expect, it } from 'vitest';
import { ImeiHistory, imsiTextOf, type EvidenceCdr } from '../../src/engine/imei-history.js';
import { likelyGenuine, notifyMsisdns } from '../../src/engine/likely-genuine.js';
import { AREQUIPA, LIMA, cdr, exceptions, run, tacDb } from './support.js';

const ev = (): EvidenceCdr => ({ recordId: 'x', startMs: 0, endMs: 0, key: 1, imeiLen: 14, imeiSuffix: 0, imsi: 1, imsiLen: 6, msisdn: 0, msisdnLen: 0, cell: null });
const H = 3_600_000;

describe('IMEI history', () => {
  it('remembers first/last seen, CDR count and MSISDNs per IMSI, and whether an IMSI (re)joins the period', () => {
    const h = new ImeiHistory({ horizonMs: 48 * H, periodMs: 24 * H });
    expect(h.note(35000000000001, 716100000000001, 15, 51999000001, 11, 10 * H, ev)).toBe(true);
    expect(h.note(35000000000001, 716100000000001, 15, 51999000001, 11, 11 * H, ev)).toBe(false);
    expect(h.note(35000000000001, 716100000000002, 15, 51999000002, 11, 12 * H, ev)).toBe(true);
    expect(h.note(35000000000001, 716100000000001, 15, 51999000009, 11, 40 * H, ev)).toBe(true); // unseen for 29 h
    const seen = h.imsisOf(35000000000001);
    expect(seen.map((e) => [imsiTextOf(e), e.firstSeenMs / H, e.lastSeenMs / H, e.count])).toEqual([
      ['716100000000001', 10, 40, 3],
      ['716100000000002', 12, 12, 1],
    ]);
    expect(notifyMsisdns(['716100000000001'], seen)).toEqual(['51999000001', '51999000009']);
  });

  it('forgets an IMSI a horizon after its last CDR on the key, whenever the sweep runs', () => {
    const h = new ImeiHistory({ horizonMs: 24 * H, periodMs: 24 * H });
    h.note(7, 1, 6, 0, 0, 0, ev);
    h.note(7, 2, 6, 0, 0, 1 * H, ev);
    h.note(7, 2, 6, 0, 0, 26 * H, ev); // IMSI 1 last seen 26 h ago: gone
    expect(h.imsisOf(7).map(imsiTextOf)).toEqual(['000002']);
    h.note(8, 1, 6, 0, 0, 0, ev);
    h.note(8, 1, 6, 0, 0, 30 * H, ev); // the key's only IMSI, back after the horizon: starts over
    expect(h.imsisOf(8)[0].firstSeenMs).toBe(30 * H);
  });

  it('is bounded: IMSIs per key and MSISDNs per IMSI are capped, the sweep frees forgotten keys', () => {
    const h = new ImeiHistory({ horizonMs: H, periodMs: H, maxImsisPerImei: 3, maxMsisdnsPerImsi: 2 });
    for (let i = 1; i <= 5; i++) h.note(9, i, 6, 100 + i, 6, i, ev);
    expect(h.imsiCount(9)).toBe(3);
    expect(h.untrackedImsis).toBe(2);
    for (let m = 0; m < 5; m++) h.note(9, 1, 6, 500 + m, 6, 10, ev);
    expect(h.imsisOf(9)[0].msisdns.length).toBe(2);
    for (let k = 100; k < 5000; k++) h.note(k, 1, 6, 0, 0, 0, ev);
    const big = h.size;
    h.sweep(10 * H);
    expect(big).toBeGreaterThan(4000);
    expect(h.size).toBe(0);
  });
});

describe('likely genuine IMSI', () => {
  const seen = (list: Array<[imsi: string, first: number, count: number]>) =>
    list.map(([imsi, first, count]) => ({ imsi: Number(imsi), imsiLen: imsi.length, firstSeenMs: first, lastSeenMs: first, count, msisdns: [], msisdnLens: [], since: null }));
  it('an IMSI on the exception list first', () => {
    expect(likelyGenuine(['716100000000002'], ['716100000000009'], seen([['716100000000002', 1, 5], ['716100000000009', 9, 1]]), () => false)).toEqual({ imsi: '716100000000009', reason: 'exception_list' });
    // Also one the list names on the key that is in no finding (the history knows it).
    expect(likelyGenuine(['716100000000002'], [], seen([['716100000000002', 1, 5], ['716100000000007', 9, 1]]), (x) => x === '716100000000007')).toEqual({ imsi: '716100000000007', reason: 'exception_list' });
  });
  it('else the one seen first on the IMEI key, even outside the findings', () => {
    expect(likelyGenuine(['716100000000002', '716100000000003'], [], seen([['716100000000002', 5, 1], ['716100000000003', 2, 1]]), () => false)).toEqual({ imsi: '716100000000003', reason: 'first_seen' });
    expect(likelyGenuine(['716100000000002'], [], seen([['716100000000002', 5, 1], ['716100000000001', 2, 1]]), () => false)).toEqual({ imsi: '716100000000001', reason: 'first_seen' });
  });
  it('a tie on the first CDR goes to the one with more CDRs', () => {
    expect(likelyGenuine(['716100000000002', '716100000000003'], [], seen([['716100000000002', 5, 1], ['716100000000003', 5, 4]]), () => false)).toEqual({ imsi: '716100000000003', reason: 'most_traffic' });
  });
});

describe('engine: Art. 22(c) criteria', () => {
  it('shared_imei counts distinct non-exempt IMSIs in the period, once per period', () => {
    const rows = ['1', '2', '3', '4'].map((n, i) => cdr({ id: `s${n}`, imsi: `71610000000000${n}`, at: i * 3600, dur: 60 }));
    const r = run(rows, { config: { rules: ['shared_imei'], sharedImeiMinImsis: 3 } });
    expect(r.findings.map((f) => [f.rule, f.record_a, f.record_b, f.imsi_count])).toEqual([['shared_imei', 's1', 's3', 3]]);
    expect(r.candidates.map((c) => c.imsis)).toEqual([['716100000000001', '716100000000002', '716100000000003']]);
    const listed = run(rows, { config: { rules: ['shared_imei'], sharedImeiMinImsis: 3 }, exceptions: exceptions([{ imei: '356938035643809', imsi: '716100000000002' }]) });
    expect(listed.findings.map((f) => [f.record_a, f.record_b, f.imsi_count])).toEqual([['s1', 's4', 3]]);
  });

  it('inconsistent_rat: one finding per IMEI key and radio; the candidate names the owner as likely genuine', () => {
    const tacs = tacDb({ '35693803': ['GSM', 'UMTS'] });
    const rows = [
      cdr({ id: 'own', imsi: '716100000000001', at: 0, dur: 60, cell: LIMA, radio: 'UMTS' }),
      cdr({ id: 'c1', imsi: '716100000000002', at: 9000, dur: 60, cell: LIMA, radio: 'LTE' }),
      cdr({ id: 'c2', imsi: '716100000000002', at: 9500, dur: 60, cell: LIMA, radio: 'LTE' }),
      cdr({ id: 'c3', imsi: '716100000000002', at: 99000, dur: 60, cell: AREQUIPA, radio: 'NR' }),
    ];
    const r = run(rows, { tacs, config: { rules: ['inconsistent_rat'], tacDb: 'x' } });
    expect(r.findings.map((f) => [f.record_b, f.radio, f.tac_radios])).toEqual([
      ['c1', 'LTE', 'GSM|UMTS'],
      ['c3', 'NR', 'GSM|UMTS'],
    ]);
    expect(r.engine.counters.suppressedByRule.inconsistent_rat).toBe(1);
    expect(r.candidates.map((c) => [c.imsis, c.likely_genuine_imsi, c.likely_genuine_reason])).toEqual([[['716100000000002'], '716100000000001', 'first_seen']]);
  });

  it('unknown_tac: a TAC the database lacks; an exempt IMSI gives a finding and no candidate', () => {
    const tacs = tacDb({ '35000000': ['LTE'] });
    const rows = [cdr({ id: 'u1', imsi: '716100000000001', at: 0 }), cdr({ id: 'k1', imei: '35000000000001', imsi: '716100000000002', at: 10 })];
    const r = run(rows, { tacs, config: { rules: ['unknown_tac'], tacDb: 'x' } });
    expect(r.findings.map((f) => [f.rule, f.record_a, f.record_b, f.imsi_a === f.imsi_b])).toEqual([['unknown_tac', 'u1', 'u1', true]]);
    const ex = run(rows, { tacs, config: { rules: ['unknown_tac'], tacDb: 'x' }, exceptions: exceptions([{ imei: '356938035643809', imsi: '716100000000001' }]) });
    expect(ex.findings.map((f) => f.exempt_imsis)).toEqual([['716100000000001']]);
    expect(ex.candidates).toEqual([]);
  });
});
