import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, type Truth } from '../../bench/src/generator.js';
import { compareOutputs, score } from '../../bench/src/scorer.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-bench-score-'));
const data = path.join(tmp, 'data');
let truth: Truth;

beforeAll(async () => {
  truth = await generate({ rows: 10000, seed: 3, out: data });
}, 20000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Writes an output directory as a perfect engine would, then lets the test spoil it. */
function writeOut(name: string, spoil: (o: { clones: object[]; cands: { imei: string; imsis: string[] }[]; rejects: object[] }) => void): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  const exempt = new Set(truth.exemptPairs.map((e) => `${e.imei}|${e.imsi}`));
  const clones = truth.findings.map((f, i) => ({ imei: f.imei, rule: f.rule, imsi_a: f.imsis[1], imsi_b: f.imsis[0], time_a: '2026-01-01T00:00:00Z', time_b: '2026-01-01T00:00:01Z', gap_s: 0, overlap_s: 0, finding_id: String(i), exempt_imsis: f.imsis.filter((x) => exempt.has(`${f.imei}|${x}`)) }));
  const cands = truth.candidates.map((c) => ({ imei: c.imei, imsis: c.imsis }));
  const rejects = fs.readFileSync(path.join(data, 'truth-rejects.ndjson'), 'utf8').trim().split('\n').map((l) => {
    const r = JSON.parse(l) as { source: string; line: number; reason: string };
    return { ...r, source: path.join(data, r.source), detail: '', raw: '' };
  });
  const o = { clones, cands, rejects };
  spoil(o);
  const nd = (xs: object[]) => xs.map((x) => JSON.stringify(x)).join('\n') + '\n';
  fs.writeFileSync(path.join(dir, 'clones.ndjson'), nd(o.clones));
  fs.writeFileSync(path.join(dir, 'block-candidates.ndjson'), nd(o.cands));
  fs.writeFileSync(path.join(dir, 'rejects.ndjson'), nd(o.rejects));
  return dir;
}

describe('bench scorer', () => {
  it('gives 1.0 everywhere to a perfect output', async () => {
    const s = await score(data, writeOut('perfect', () => {}), truth);
    expect(s.rules.all).toMatchObject({ fp: 0, fn: 0, precision: 1, recall: 1 });
    expect(s.candidates).toMatchObject({ fp: 0, fn: 0, imsiSetWrong: 0 });
    expect(s.exemptViolations).toBe(0);
    expect(s.wrongExemptImsis).toBe(0);
    expect(s.rejects.recall).toBe(1);
  });

  it('counts a missed finding, a false finding, a wrong reject reason and an exempt IMSI in a candidate', async () => {
    const ex = truth.exemptPairs[0];
    const dir = writeOut('spoiled', (o) => {
      o.clones.shift();
      o.clones.push({ imei: '35209900999999', rule: 'simultaneity', imsi_a: '1', imsi_b: '2', time_a: '2026-01-01T00:00:00Z', time_b: '2026-01-01T00:00:00Z', gap_s: 0, overlap_s: 1, finding_id: 'x', exempt_imsis: [] });
      (o.rejects[0] as { reason: string }).reason = 'malformed_row';
      const c = o.cands.find((x) => x.imei === ex.imei);
      if (c) c.imsis.push(ex.imsi);
      else o.cands.push({ imei: ex.imei, imsis: [ex.imsi] });
    });
    const s = await score(data, dir, truth);
    expect(s.rules.all.fn).toBe(1);
    expect(s.rules.all.fp).toBe(1);
    expect(s.exemptViolations).toBe(1);
    expect(Object.values(s.rejects.byReason).reduce((n, r) => n + r.wrongReason, 0)).toBe(1);
    const c = await compareOutputs(writeOut('perfect2', () => {}), dir);
    expect(c.onlyA).toHaveLength(1);
    expect(c.onlyB).toHaveLength(1);
  });
});
