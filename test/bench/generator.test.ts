import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLONE_KINDS, LOOKALIKE_KINDS, generate, type Truth } from '../../bench/src/generator.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-bench-gen-'));
const dirA = path.join(tmp, 'a');
const dirB = path.join(tmp, 'b');
const dirC = path.join(tmp, 'c');
let truth: Truth;

beforeAll(async () => {
  truth = await generate({ rows: 30000, seed: 7, out: dirA, rowsPerFile: 8000 });
  await generate({ rows: 30000, seed: 7, out: dirB, rowsPerFile: 8000 });
  await generate({ rows: 30000, seed: 8, out: dirC, rowsPerFile: 8000 });
}, 30000);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const read = (dir: string, f: string) => fs.readFileSync(path.join(dir, f), 'utf8');

/** Event time of a start_time as SPEC reads it (default zone -05:00). */
function parseStart(s: string): number {
  if (/^\d+$/.test(s)) return Number(s);
  const iso = s.replace(' ', 'T');
  return Date.parse(/(Z|[+-]\d\d:\d\d)$/.test(iso) ? iso : iso + '-05:00');
}

/** Minimal CSV line splitter (the generator never puts a line break inside a field). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (q) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') q = false;
      else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

describe('bench generator', () => {
  it('is deterministic per seed', () => {
    for (const f of [...truth.files, 'cells.csv', 'exceptions.csv', 'truth-rejects.ndjson']) expect(read(dirB, f)).toBe(read(dirA, f));
    expect(read(dirC, truth.files[0])).not.toBe(read(dirA, truth.files[0]));
  });

  it('writes every clone and look-alike kind, with findings only for clones', () => {
    const kinds = new Set(truth.specials.map((s) => s.kind));
    for (const k of [...CLONE_KINDS, ...LOOKALIKE_KINDS]) expect(kinds.has(k)).toBe(true);
    for (const s of truth.specials) {
      if ((LOOKALIKE_KINDS as readonly string[]).includes(s.kind)) expect(s.findings, s.kind).toHaveLength(0);
      else expect(s.findings.length, s.kind).toBeGreaterThan(0);
    }
    const rules = new Set(truth.findings.map((f) => f.rule));
    expect(rules).toEqual(new Set(['simultaneity', 'time_distance']));
    // IMEISV variants: the clone reports a 16-digit IMEISV of the same 14-digit key
    const sv = truth.specials.find((s) => s.kind === 'clone_imeisv')!;
    expect(sv.imeis.some((i) => i.length === 16)).toBe(true);
    expect(new Set(sv.imeis.map((i) => i.slice(0, 14))).size).toBe(1);
  });

  it('lists exempt pairs that are never in candidates, and factory duplicates give no candidate', () => {
    const exempt = new Set(truth.exemptPairs.map((e) => `${e.imei}|${e.imsi}`));
    expect(exempt.size).toBeGreaterThan(0);
    for (const c of truth.candidates) for (const i of c.imsis) expect(exempt.has(`${c.imei}|${i}`)).toBe(false);
    const factory = truth.specials.filter((s) => s.kind === 'factory_dup').map((s) => s.imeis[0].slice(0, 14));
    for (const k of factory) expect(truth.candidates.some((c) => c.imei === k)).toBe(false);
  });

  it('expects every reject reason of SPEC at the right physical line', () => {
    const rejects = read(dirA, 'truth-rejects.ndjson').trim().split('\n').map((l) => JSON.parse(l) as { source: string; line: number; reason: string });
    const reasons = new Set(rejects.map((r) => r.reason));
    for (const r of ['missing_field', 'invalid_record_id', 'invalid_imei', 'invalid_imsi', 'invalid_msisdn', 'invalid_time', 'invalid_duration', 'invalid_event_type', 'invalid_cell', 'duplicate_record', 'late_record', 'malformed_row', 'invalid_exception'])
      expect(reasons.has(r), r).toBe(true);
    const lines = new Map<string, string[]>();
    for (const r of rejects) {
      if (!lines.has(r.source)) lines.set(r.source, read(dirA, r.source).split('\n'));
      const text = lines.get(r.source)![r.line - 1];
      expect(text, `${r.source}:${r.line}`).toBeTruthy();
    }
  });

  it('keeps every valid row within the 600 s lateness bound, and reuses a record_id only past the dedup horizon', () => {
    const rejected = new Set(read(dirA, 'truth-rejects.ndjson').trim().split('\n').map((l) => {
      const r = JSON.parse(l) as { source: string; line: number };
      return `${r.source}:${r.line}`;
    }));
    let newest = -Infinity;
    let valid = 0;
    let wrapped = 0;
    let recycledSeen = 0;
    const lastById = new Map<string, number>();
    for (const f of truth.files) {
      const lines = read(dirA, f).replace(/^\ufeff/, '').split(/\r?\n/);
      const header = lines[0].split(',');
      const col = header.indexOf('start_time');
      const ridCol = header.indexOf('record_id');
      for (let i = 1; i < lines.length; i++) {
        if (!lines[i]) continue;
        const start = i + 1; // physical line of the record's start
        let rec = lines[i];
        // a quoted field may span lines: join until the quotes balance
        while ((rec.match(/"/g) ?? []).length % 2 === 1 && i + 1 < lines.length) {
          rec += '\n' + lines[++i];
          wrapped++;
        }
        if (rejected.has(`${f}:${start}`)) continue;
        const fields = splitCsv(rec);
        const t = parseStart(fields[col]);
        const rid = fields[ridCol];
        const prev = lastById.get(rid);
        if (prev !== undefined) {
          expect(Math.abs(t - prev), `record_id ${rid} reused within the dedup horizon at ${f}:${start}`).toBeGreaterThan(7800000);
          recycledSeen++;
        }
        lastById.set(rid, t);
        expect(Number.isFinite(t), `${f}:${start}`).toBe(true);
        expect(newest - t, `${f}:${start}`).toBeLessThanOrEqual(600000);
        newest = Math.max(newest, t);
        valid++;
      }
    }
    expect(wrapped).toBeGreaterThan(0);
    expect(recycledSeen).toBeGreaterThan(0);
    expect(valid).toBe(truth.rows.valid);
  });

  it('mixes timestamp formats and CSV layouts', () => {
    const all = truth.files.map((f) => read(dirA, f)).join('\n');
    expect(all).toMatch(/T\d\d:\d\d:\d\dZ/);
    expect(all).toMatch(/T\d\d:\d\d:\d\d\.\d{3}Z/);
    expect(all).toMatch(/\d\d:\d\d:\d\d-05:00/);
    expect(all).toMatch(/,2026-11-2\d \d\d:\d\d:\d\d,/);
    expect(all).toMatch(/,1\d{12},/);
    expect(all).toMatch(/\r\n/);
    expect(read(dirA, truth.files[0]).charCodeAt(0)).toBe(0xfeff);
  });
});

describe('dense-device profile', () => {
  const dirD = path.join(tmp, 'dense');
  const dirP = path.join(tmp, 'plain');
  it('adds data sessions to a share of ordinary devices and leaves the planted truth as it was', async () => {
    const dense = await generate({ rows: 30000, devices: 1000, seed: 7, out: dirD, rowsPerFile: 100000, dense: 0.3 });
    const plain = await generate({ rows: 30000, devices: 1000, seed: 7, out: dirP, rowsPerFile: 100000 });
    expect(dense.findings).toEqual(plain.findings);
    expect(dense.candidates).toEqual(plain.candidates);
    // Rows per IMEI key vary far more: count them per key in the CSV.
    const perKey = (dir: string) => {
      const lines = read(dir, 'cdrs/cdrs-0000.csv').replace(/^\ufeff/, '').split(/\r?\n/).filter(Boolean);
      const header = splitCsv(lines[0]);
      const imei = header.indexOf('imei');
      const counts = new Map<string, number>();
      for (const l of lines.slice(1)) {
        const k = (splitCsv(l)[imei] ?? '').slice(0, 14);
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      return [...counts.values()].sort((a, b) => b - a);
    };
    const d = perKey(dirD);
    const p = perKey(dirP);
    const top = (xs: number[]) => xs.slice(0, Math.floor(xs.length / 5)).reduce((s, n) => s + n, 0) / xs.reduce((s, n) => s + n, 0);
    // The busiest fifth of the devices carries a clearly larger share of the CDRs.
    expect(top(d)).toBeGreaterThan(top(p) + 0.15);
  }, 60000);
});
