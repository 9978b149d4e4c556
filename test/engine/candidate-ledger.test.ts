// The candidate ledger on its own: suppression periods, candidate updates with exemption, sweep, export/import.
import { describe, expect, it } from 'vitest';
import { CandidateLedger, type CandidateUpdate } from '../../src/engine/candidate-ledger.js';

const H = 3_600_000;
const K = '35693803564380';
const upd = (o: Partial<CandidateUpdate>): CandidateUpdate => ({ imeiKey: K, rule: 'simultaneity', startAMs: 0, eventMs: 0, imsiA: '1', imsiB: '2', exemptA: false, exemptB: false, ...o });

describe('CandidateLedger', () => {
  it('suppresses a (IMEI, IMSI pair, rule) within suppressionS of its finding, whatever the pair order', () => {
    const l = new CandidateLedger(1000, 1000, 0);
    expect(l.suppressed(K, '1', '2', 'simultaneity', 0)).toBe(false);
    expect(l.suppressed(K, '2', '1', 'simultaneity', 999)).toBe(true);
    expect(l.suppressed(K, '1', '2', 'time_distance', 999)).toBe(false);
    expect(l.suppressed(K, '1', '2', 'simultaneity', 1000)).toBe(false); // a new period opens
    expect(l.suppressionEntries).toBe(2);
  });

  it('builds the candidate: IMSIs sorted, rules, first evidence, findings; an IMSI that becomes exempt leaves it', () => {
    const l = new CandidateLedger(1000, 1000, 0);
    expect(l.update(upd({ imsiA: '3', imsiB: '1', startAMs: 5000, eventMs: 6000 }))).toBe(true);
    expect(l.update(upd({ imsiA: '1', imsiB: '3', startAMs: 4000, eventMs: 7000, rule: 'time_distance' }))).toBe(false);
    expect(l.candidate(K, 'now')).toEqual({ imei: K, imsis: ['1', '3'], imsi_count: 2, exempt_imsis: [], rules: ['simultaneity', 'time_distance'], first_evidence_at: '1970-01-01T00:00:04.000Z', findings: 2, emitted_at: 'now' });
    expect(l.update(upd({ imsiA: '1', imsiB: '3', exemptB: true }))).toBe(true);
    expect(l.candidate(K, 'now')).toMatchObject({ imsis: ['1'], exempt_imsis: ['3'], findings: 3 });
  });

  it('has no candidate while every IMSI involved is exempt', () => {
    const l = new CandidateLedger(1000, 1000, 0);
    expect(l.update(upd({ exemptA: true, exemptB: true }))).toBe(false);
    expect(l.candidate(K, 'now')).toBeNull();
    expect(l.candidate('00000000000000', 'now')).toBeNull();
  });

  it('sweeps suppression periods and candidates past their retention, at most hourly in event time', () => {
    const l = new CandidateLedger(1000, 2 * H, 0);
    l.suppressed(K, '1', '2', 'simultaneity', 0);
    l.update(upd({}));
    l.sweep(H + 1); // first sweep: suppression gone, candidate kept (retention 2 h)
    expect([l.suppressionEntries, l.candidateStates]).toEqual([0, 1]);
    l.suppressed(K, '5', '6', 'simultaneity', H + 1);
    l.sweep(2 * H + 1); // an hour since the last sweep, not more: nothing happens
    expect([l.suppressionEntries, l.candidateStates]).toEqual([1, 1]);
    l.sweep(2 * H + 3);
    expect([l.suppressionEntries, l.candidateStates]).toEqual([0, 0]);
  });

  it('export/import round-trips and merges: the later anchor and the candidate with more findings win', () => {
    const a = new CandidateLedger(1000, 1000, 0);
    a.suppressed(K, '1', '2', 'simultaneity', 500);
    a.update(upd({}));
    a.update(upd({ imsiB: '4' }));
    const b = new CandidateLedger(1000, 1000, 0);
    b.suppressed(K, '1', '2', 'simultaneity', 100);
    b.update(upd({ imsiB: '9' }));
    b.import(JSON.parse(JSON.stringify(a.export())));
    expect(b.export()).toEqual(a.export());
    expect(b.suppressed(K, '1', '2', 'simultaneity', 1400)).toBe(true); // anchored at 500, not 100
  });
});
