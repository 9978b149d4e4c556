// Golden tests over fixtures/<case>/: run the built CLI on each case, then check
// (a) the hand-written facts of expect.json (derived from SPEC.md, not from the engine), and
// (b) the three output files against fixtures/<case>/expected/ (UPDATE_GOLDEN=1 rewrites them,
//     but only for a case whose facts all hold).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join, relative, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliResult, OUTPUT_FILES, ROOT, readOutputs, runCli, tempDir } from './helpers/cli.js';
import { candidateProblems, findingProblems, rejectProblems } from './helpers/spec-shape.js';

const FIXTURES = join(ROOT, 'fixtures');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

type Obj = Record<string, unknown>;
interface ExpectedFinding extends Obj {
  rule: string;
  imei: string;
  imsis: string[];
  record_a: string;
  record_b: string;
}
interface Expectation {
  about: string;
  findings: ExpectedFinding[];
  candidates: { imei: string; imsis: string[]; exempt_imsis: string[] }[];
  rejects: { file: string; line: number; reason: string }[];
}

const cases = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(FIXTURES, d.name, 'expect.json')))
  .map((d) => d.name)
  .sort();

const sorted = (a: unknown): string[] => [...((a as string[]) ?? [])].sort();
const findingKey = (rule: unknown, imei: unknown, imsis: string[], a: unknown, b: unknown) =>
  `${rule} ${imei} [${sorted(imsis).join(',')}] ${a} -> ${b}`;

/** Reject source as a path relative to the case folder, whatever form (absolute or relative to the cwd) the CLI wrote. */
function sourceInCase(caseDir: string, source: unknown): string {
  if (typeof source !== 'string') return String(source);
  return relative(caseDir, resolve(ROOT, source)).split('\\').join('/');
}

/**
 * Compare one expected field with the actual value: numbers to 0.051 (SPEC fixes no rounding; the engine may round
 * speeds to 0.1 km/h) or 1e-5 relative, times as instants, lists as sets.
 */
function fieldMismatch(field: string, want: unknown, got: unknown): string | null {
  if (typeof want === 'number' && typeof got === 'number') {
    const tol = Math.max(0.051, Math.abs(want) * 1e-5);
    return Math.abs(want - got) <= tol ? null : `${field}: want ${want}, got ${got}`;
  }
  if (field.startsWith('time_') && typeof want === 'string' && typeof got === 'string') {
    return Date.parse(want) === Date.parse(got) ? null : `${field}: want ${want}, got ${got}`;
  }
  if (Array.isArray(want)) {
    return JSON.stringify(sorted(want)) === JSON.stringify(sorted(got)) ? null : `${field}: want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`;
  }
  return Object.is(want, got) ? null : `${field}: want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`;
}

/** The output line with volatile fields normalised, as stored in expected/. */
function normalise(caseDir: string, file: string, o: Obj): Obj {
  const n: Obj = { ...o };
  if (file === 'clones.ndjson' && 'detected_at' in n) n.detected_at = '<detected_at>';
  if (file === 'block-candidates.ndjson' && 'emitted_at' in n) n.emitted_at = '<emitted_at>';
  if (file === 'rejects.ndjson' && 'source' in n) n.source = sourceInCase(caseDir, n.source);
  return n;
}

function physicalLines(path: string): string[] {
  const buf = readFileSync(path);
  const text = (path.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8').replace(/^\uFEFF/, '');
  return text.split('\n').map((l) => l.replace(/\r$/, ''));
}

for (const name of cases) {
  describe(`fixture ${name}`, () => {
    const caseDir = join(FIXTURES, name);
    const expectation = JSON.parse(readFileSync(join(caseDir, 'expect.json'), 'utf8')) as Expectation;
    let outDir = '';
    let run: CliResult;
    let out: ReturnType<typeof readOutputs> | undefined;

    beforeAll(async () => {
      outDir = tempDir(`clonewatch-golden-${name}-`);
      const rel = (p: string) => relative(ROOT, join(caseDir, p));
      const args = ['detect', '--cdrs', rel('cdrs'), '--out', outDir, '--clickhouse', 'none'];
      args.push('--cells', existsSync(join(caseDir, 'cells.csv')) ? rel('cells.csv') : 'cell-sites/peru-cells.csv');
      if (existsSync(join(caseDir, 'exceptions.csv'))) args.push('--exceptions', rel('exceptions.csv'));
      if (existsSync(join(caseDir, 'config.json'))) args.push('--config', rel('config.json'));
      if (existsSync(join(caseDir, 'tac-db.csv'))) args.push('--tac-db', rel('tac-db.csv'));
      run = await runCli(args);
      if (run.code === 0) out = readOutputs(outDir);
    });
    afterAll(() => {
      if (outDir) rmSync(outDir, { recursive: true, force: true });
    });

    const outputs = () => {
      if (!out) throw new Error(`detect failed (exit ${run.code}):\n${run.stderr}`);
      return out;
    };

    // Each check returns what the test compares, so the golden update can run them all before writing anything.
    const checkFindings = () => ({
      got: outputs().findings.map((f) => findingKey(f.rule, f.imei, [f.imsi_a as string, f.imsi_b as string], f.record_a, f.record_b)).sort(),
      want: expectation.findings.map((f) => findingKey(f.rule, f.imei, f.imsis, f.record_a, f.record_b)).sort(),
    });
    const checkFindingFields = () => {
      const problems: string[] = [];
      for (const w of expectation.findings) {
        const g = outputs().findings.find(
          (f) => f.rule === w.rule && f.imei === w.imei && f.record_a === w.record_a && f.record_b === w.record_b,
        );
        if (!g) continue; // reported by checkFindings
        for (const [field, value] of Object.entries(w)) {
          if (['rule', 'imei', 'imsis', 'record_a', 'record_b'].includes(field)) continue;
          const m = fieldMismatch(field, value, g[field]);
          if (m) problems.push(`${w.record_a} -> ${w.record_b} (${w.rule}): ${m}`);
        }
      }
      return problems;
    };
    const checkCandidates = () => {
      const group = (list: { imei: unknown; imsis: unknown; exempt_imsis: unknown }[]) => {
        const m: Record<string, string[]> = {};
        for (const c of list) (m[c.imei as string] ??= []).push(`imsis [${sorted(c.imsis).join(',')}] exempt [${sorted(c.exempt_imsis).join(',')}]`);
        return m;
      };
      return { got: group(outputs().candidates as never), want: group(expectation.candidates) };
    };
    const checkRejects = () => ({
      got: outputs().rejects.map((r) => `${sourceInCase(caseDir, r.source)}:${r.line} ${r.reason}`).sort(),
      want: expectation.rejects.map((r) => `${r.file}:${r.line} ${r.reason}`).sort(),
    });
    const checkRaw = () => {
      const problems: string[] = [];
      for (const r of outputs().rejects) {
        const file = join(caseDir, sourceInCase(caseDir, r.source));
        if (!existsSync(file) || typeof r.line !== 'number') continue;
        const line = physicalLines(file)[r.line - 1];
        const raw = String(r.raw).replace(/\r?\n$/, '').replace(/\r$/, '');
        if (line !== undefined && raw !== line) problems.push(`${r.source}:${r.line}: raw ${JSON.stringify(raw)} is not the line ${JSON.stringify(line)}`);
      }
      return problems;
    };
    const checkShape = () => {
      const { findings, candidates, rejects } = outputs();
      const problems = [
        ...findings.flatMap((f) => findingProblems(f).map((p) => `finding ${f.record_a} -> ${f.record_b}: ${p}`)),
        ...candidates.flatMap((c) => candidateProblems(c).map((p) => `candidate ${c.imei}: ${p}`)),
        ...rejects.flatMap((r) => rejectProblems(r).map((p) => `reject line ${r.line}: ${p}`)),
      ];
      const ids = findings.map((f) => f.finding_id);
      if (new Set(ids).size !== ids.length) problems.push('finding_id is not unique');
      return problems;
    };
    const same = (c: { got: unknown; want: unknown }) => isDeepStrictEqual(c.got, c.want);
    const failingFacts = () =>
      [
        ['findings', same(checkFindings())],
        ['finding fields', checkFindingFields().length === 0],
        ['candidates', same(checkCandidates())],
        ['rejects', same(checkRejects())],
        ['raw', checkRaw().length === 0],
        ['fields', checkShape().length === 0],
      ]
        .filter(([, ok]) => !ok)
        .map(([what]) => what);

    it('exits 0', () => {
      expect(run.code, run.stderr).toBe(0);
    });

    it('gives exactly the findings of expect.json', () => {
      const { got, want } = checkFindings();
      expect(got).toEqual(want);
    });

    it('gives the finding fields expect.json pins (distances, gaps, times, cells, exemptions)', () => {
      expect(checkFindingFields()).toEqual([]);
    });

    it('emits the block candidates of expect.json, in order per IMEI', () => {
      const { got, want } = checkCandidates();
      expect(got).toEqual(want);
    });

    it('rejects exactly the rows of expect.json, with line and reason', () => {
      const { got, want } = checkRejects();
      expect(got).toEqual(want);
    });

    it('keeps the raw text of each rejected line', () => {
      expect(checkRaw()).toEqual([]);
    });

    it('writes every field of SPEC in every output line', () => {
      expect(checkShape()).toEqual([]);
    });

    it('matches the golden output files', () => {
      const { findings, candidates, rejects } = outputs();
      const actual: Record<string, Obj[]> = { 'clones.ndjson': findings, 'block-candidates.ndjson': candidates, 'rejects.ndjson': rejects };
      const goldenDir = join(caseDir, 'expected');
      for (const file of OUTPUT_FILES) {
        const text = actual[file].map((o) => JSON.stringify(normalise(caseDir, file, o)) + '\n').join('');
        const goldenPath = join(goldenDir, file);
        if (UPDATE) {
          // A golden copy records output that was checked against SPEC; never record a run whose facts fail.
          const failing = failingFacts();
          if (failing.length) throw new Error(`not updating ${name}/expected: expect.json fails (${failing.join(', ')})`);
          mkdirSync(goldenDir, { recursive: true });
          writeFileSync(goldenPath, text);
          continue;
        }
        if (!existsSync(goldenPath)) throw new Error(`${relative(ROOT, goldenPath)} is missing: run UPDATE_GOLDEN=1 npx vitest run --project unit test/golden.test.ts`);
        expect(text.split('\n'), `${name}/expected/${file}`).toEqual(readFileSync(goldenPath, 'utf8').split('\n'));
      }
    });
  });
}
