import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRITERIA_CLONE_KINDS, CRITERIA_LOOKALIKE_KINDS, SHARED_MIN_IMSIS } from '../../bench/src/criteria-scenarios.js';
import { generate, type Truth } from '../../bench/src/generator.js';
import { expectedCandidates } from '../../bench/src/scorer.js';
import { INVENTED_TACS, OLD_TACS } from '../../bench/src/tac-models.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-bench-crit-'));
let truth: Truth;
let plain: Truth;

beforeAll(async () => {
  truth = await generate({ rows: 30000, seed: 11, out: path.join(tmp, 'x'), rowsPerFile: 8000, extraCriteria: true });
  plain = await generate({ rows: 30000, seed: 11, out: path.join(tmp, 'p'), rowsPerFile: 8000 });
}, 60000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const kindsOf = (t: Truth, kinds: readonly string[]) => t.specials.filter((s) => kinds.includes(s.kind));

describe('bench generator: Art. 22(c) scenarios', () => {
  it('plants every new clone and look-alike kind, only when asked', () => {
    for (const k of [...CRITERIA_CLONE_KINDS, ...CRITERIA_LOOKALIKE_KINDS]) expect(truth.specials.filter((s) => s.kind === k).length, k).toBeGreaterThanOrEqual(8);
    expect(kindsOf(plain, [...CRITERIA_CLONE_KINDS, ...CRITERIA_LOOKALIKE_KINDS])).toEqual([]);
    expect(plain.keyFindings).toEqual([]);
  });

  it('gives the two Art. 22 rules nothing on the new clones and on the family / refurbished look-alikes', () => {
    for (const s of kindsOf(truth, [...CRITERIA_CLONE_KINDS, 'family_two_sims', 'refurbished'])) expect(s.findings, s.kind).toEqual([]);
  });

  it('each new clone carries the finding of its criterion; look-alikes carry none', () => {
    for (const s of kindsOf(truth, CRITERIA_CLONE_KINDS)) {
      const rule = { clone_shared: 'shared_imei', clone_rat: 'inconsistent_rat', clone_tac: 'unknown_tac' }[s.kind as string];
      expect(s.keyFindings!.length, s.kind).toBeGreaterThan(0);
      expect(s.keyFindings!.every((f) => f.rule === rule)).toBe(true);
    }
    for (const s of kindsOf(truth, CRITERIA_LOOKALIKE_KINDS)) expect(s.keyFindings, s.kind).toEqual([]);
  });

  it('shared IMEIs have at least the threshold of IMSIs; TACs of cross-generation clones are old models, invented ones are not in the TAC database', () => {
    for (const s of kindsOf(truth, ['clone_shared'])) expect(s.imsis.length).toBeGreaterThanOrEqual(SHARED_MIN_IMSIS);
    const db = fs.readFileSync(path.join(tmp, 'x', truth.tacDb), 'utf8');
    for (const f of truth.keyFindings) {
      const tac = f.imei.slice(0, 8);
      if (f.rule === 'unknown_tac') {
        expect(INVENTED_TACS).toContain(tac);
        expect(db).not.toContain(`\n${tac},`);
      }
      if (f.rule === 'inconsistent_rat') expect(OLD_TACS.find((m) => m.tac === tac)!.radios.split('|')).not.toContain(f.radio);
    }
  });

  it('dual-SIM phones on the exception list give findings but no candidate', () => {
    const duals = kindsOf(truth, ['dual_sim_listed']);
    const cands = expectedCandidates(truth, ['simultaneity', 'time_distance', 'shared_imei', 'inconsistent_rat', 'unknown_tac']);
    for (const s of duals) {
      expect(s.findings.length).toBeGreaterThan(0);
      expect(s.exempt_imsis.sort()).toEqual(s.imsis.slice().sort());
      expect(cands.has(s.imeis[0].slice(0, 14))).toBe(false);
    }
  });
});
