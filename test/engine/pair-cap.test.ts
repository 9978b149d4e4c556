// SPEC "However many IMSIs share one IMEI key": pair findings capped per IMEI per suppressionS, the candidate's
// imsis list capped at 1,000 with imsi_count beside it (issue 10 item 3).
import { describe, expect, it } from 'vitest';
import { CandidateLedger, MAX_CANDIDATE_IMSIS } from '../../src/engine/candidate-ledger.js';
import { cdr, run } from './support.js';

/** n CDRs of n IMSIs on one IMEI, `stepS` apart, each `dur` long (they all overlap with stepS < dur). */
const crowd = (n: number, stepS: number, dur: number, from = 0) =>
  Array.from({ length: n }, (_, i) => cdr({ id: `c${from + i}`, imsi: String(716100000000000 + from + i), at: (from + i) * stepS, dur }));

describe('maxPairFindingsPerImei', () => {
  it('stops at the cap in one suppression period and counts the CDRs not compared', () => {
    const { findings, engine } = run(crowd(60, 1, 600), { config: { maxPairFindingsPerImei: 10 } });
    expect(findings).toHaveLength(10);
    expect(engine.counters.cdrsOverPairCap).toBeGreaterThan(0);
  });

  it('the default is 100', () => {
    expect(run(crowd(40, 1, 600)).findings).toHaveLength(100);
  });

  it('a new suppression period gets findings again', () => {
    const first = crowd(10, 1, 600);
    const later = crowd(10, 1, 600, 4000).map((c) => ({ ...c, startMs: c.startMs, endMs: c.endMs }));
    const { findings } = run([...first, ...later], { config: { maxPairFindingsPerImei: 5, suppressionS: 3600, windowS: 7200 } });
    expect(findings).toHaveLength(10);
  });

  it('1,500 IMSIs on one IMEI within minutes: bounded findings, fast', () => {
    const t0 = performance.now();
    const { findings, candidates } = run(crowd(1500, 0.2, 600));
    expect(findings).toHaveLength(100);
    expect(candidates.length).toBeGreaterThan(0);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});

describe('CandidateLedger.mayBeAtCap (the engine skips the per-CDR cap lookup while it is false)', () => {
  it('turns true when a period reaches the cap and false when the sweep has dropped that period', () => {
    const hourMs = 3_600_000;
    const l = new CandidateLedger(hourMs, hourMs, 0, 3);
    const K = '35693803564380';
    expect(l.mayBeAtCap).toBe(false);
    expect(l.countPairFinding(K, 0)).toBe(false);
    expect(l.countPairFinding(K, 1)).toBe(false);
    expect(l.mayBeAtCap).toBe(false);
    expect(l.pairFindingAllowed(K, 2)).toBe(true);
    expect(l.countPairFinding(K, 2)).toBe(true);
    expect(l.mayBeAtCap).toBe(true);
    expect(l.pairFindingAllowed(K, 3)).toBe(false);
    expect(l.pairFindingAllowed('35693803564381', 3)).toBe(true);
    l.sweep(10 * hourMs); // the period started at 0 is past its suppressionS
    expect(l.mayBeAtCap).toBe(false);
    expect(l.pairFindingAllowed(K, 10 * hourMs)).toBe(true);
  });

  it('another IMEI key is still compared while one is at the cap', () => {
    const capped = crowd(30, 1, 600);
    const other = [cdr({ id: 'o1', imei: '860000000000017', imsi: '716200000000001', at: 40, dur: 600 }), cdr({ id: 'o2', imei: '860000000000017', imsi: '716200000000002', at: 50, dur: 600 })];
    const { findings } = run([...capped, ...other], { config: { maxPairFindingsPerImei: 5 } });
    expect(findings.filter((f) => f.imei === '86000000000001')).toHaveLength(1);
    expect(findings).toHaveLength(6);
  });
});

describe('candidate imsis cap', () => {
  it(`lists the first ${MAX_CANDIDATE_IMSIS} IMSIs to join, sorted, and counts them all`, () => {
    const l = new CandidateLedger(1000, 1000, 0);
    const K = '35693803564380';
    for (let i = 0; i < 1200; i++) {
      l.update({ imeiKey: K, rule: 'simultaneity', startAMs: 0, eventMs: i, imsiA: String(9000 - i), imsiB: String(9000 - i - 1), exemptA: false, exemptB: false });
    }
    const c = l.candidate(K, 'now')!;
    expect(c.imsi_count).toBe(1201);
    expect(c.imsis).toHaveLength(MAX_CANDIDATE_IMSIS);
    expect(c.imsis[0]).toBe('8001');
    expect(c.imsis[c.imsis.length - 1]).toBe('9000');
  });
});
