// The parallel file run (parse workers over byte ranges, pass 1 prefilter) against the plain sequential run
// on a feed built to stress the split points: quoted fields with line ends, CRLF, a BOM, broken quotes,
// duplicates, late rows, invalid rows with foreign IMSIs, implausible times, lines over maxLineBytes, the
// cap on rejects per reason, and a gzip file (kept inflated by pass 1 and read by ranges, or read whole when
// over the memory budget). Runs the built
// modules (worker threads load dist/), so `npm run build` first.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ROOT, assertBuilt, tempDir } from '../helpers/cli.js';

const dist = (p: string) => join(ROOT, 'dist', p);

const HEADER = 'note,record_id,event_type,imei,imsi,msisdn,start_time,duration_s,radio,mcc,mnc,lac,ci';
// Two UMTS cells share the short key (400, 1): a CDR there is an ambiguous_cell; area 300 is not listed.
const CELLS =
  'radio,mcc,net,area,cell,lon,lat,range\nLTE,716,10,100,1,-77.03,-12.05,500\nLTE,716,10,200,3,-71.54,-16.4,500\n' +
  'UMTS,716,10,400,65537,-77.03,-12.05,500\nUMTS,716,10,400,131073,-77.04,-12.06,500\n';

function feed(seed: number, rows: number, t0: number): string {
  let x = seed;
  const rnd = (n: number) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % n;
  };
  const lines = [HEADER];
  const ids: string[] = [];
  let t = t0;
  for (let i = 0; i < rows; i++) {
    t += rnd(20) * 1000;
    const dev = rnd(40);
    // Devices 0-9 have a second IMSI now and then; the others one IMSI (never matched after pass 1).
    const imsi = `71610${String(dev * 10 + (dev < 10 && rnd(4) === 0 ? 1 : 0)).padStart(10, '0')}`;
    const imei = `3569380356${String(dev).padStart(4, '0')}${rnd(10)}`;
    const c = rnd(20);
    const cell = c < 4 ? 'LTE,716,10,200,3' : c === 4 ? 'LTE,716,10,300,9' : c === 5 ? 'UMTS,716,10,400,1' : 'LTE,716,10,100,1';
    let start = new Date(t - rnd(300) * 1000).toISOString();
    let id = `r${seed}-${i}`;
    const k = rnd(60);
    if (k === 0 && ids.length) id = ids[rnd(ids.length)]; // a duplicate delivery
    if (seed === 3 && i < 300 && k === 6) id = `r2-${1300 + rnd(200)}`; // a duplicate of a row of another file
    if (k === 1) start = new Date(t - 3600_000).toISOString(); // late
    ids.push(id);
    const note = ['', 'plain', '"a, ""b"""', '"two\nlines"', '"crlf\r\ninside"'][rnd(5)];
    let line = `${note},${id},${['voice_mo', 'data', 'sms_mt'][rnd(3)]},${imei},${imsi},+51987${String(dev).padStart(6, '0')},${start},${rnd(400)},${cell}`;
    if (k === 2) line = line.replace(imsi, '716109999999999').replace(`${rnd(400)},LTE`, 'x,LTE').replace(/,\d+,(LTE|UMTS)/, ',-1,$1'); // invalid, foreign IMSI
    if (k === 3) line = `"unclosed,${line}`;
    if (k === 4) line = 'free text';
    if (k === 5) line = line.replace(start, '2099-01-01T00:00:00Z'); // implausible: rejected before admission
    if (i % 700 === 350) line = `"${'long '.repeat(400)}",${line}`; // longer than maxLineBytes
    lines.push(line);
  }
  return lines.map((l, i) => l + (i % 4 === 1 ? '\r\n' : '\n')).join('');
}

async function run(mode: 'plain' | 'parallel', dir: string, rangeBytes: number, inflatedBudgetBytes?: number) {
  const { parseConfig } = await import(dist('config/schema.js'));
  const { loadCellCatalogue } = await import(dist('input/cell-catalogue.js'));
  const { ExceptionList } = await import(dist('input/exception-list.js'));
  const { listCdrInputs } = await import(dist('input/cdr-files.js'));
  const { runFiles } = await import(dist('pipeline/file-run.js'));
  const { runFilesParallel } = await import(dist('pipeline/parallel-run.js'));
  const config = parseConfig({ maxLineBytes: 1024, maxRejectsPerReason: 40 }).config;
  const { catalogue } = await loadCellCatalogue(join(dir, 'cells.csv'), config);
  const out = { findings: [] as unknown[], candidates: [] as unknown[], rejects: [] as unknown[] };
  const sink = {
    name: 'memory',
    async write(b: typeof out) {
      out.findings.push(...b.findings);
      out.candidates.push(...b.candidates);
      // The wall clock named in an implausible time's detail differs between two runs.
      out.rejects.push(...b.rejects.map((r) => ({ ...(r as { detail: string }), detail: (r as { detail: string }).detail.replace(/wall clock \([^)]*\)/, 'wall clock') })));
    },
    async flush() {},
    async close() {},
  };
  const progress = { calls: 0, bytes: 0 };
  const onBytes = (n: number) => {
    progress.calls++;
    progress.bytes += n;
  };
  const opts = { inputs: listCdrInputs(join(dir, 'cdrs')), config, cells: catalogue, exceptions: ExceptionList.empty(), referenceRejects: [], sinks: [sink], clock: () => 0, onBytes };
  const r = mode === 'plain' ? await runFiles(opts) : await runFilesParallel({ ...opts, threads: 3, rangeBytes, inflatedBudgetBytes, prefilter: true });
  return { out, counters: r.counters, progress };
}

describe('parallel file run', () => {
  it('writes what the plain run writes, with files split into many small ranges', async () => {
    assertBuilt();
    const dir = tempDir();
    mkdirSync(join(dir, 'cdrs'));
    writeFileSync(join(dir, 'cells.csv'), CELLS);
    const t0 = Date.parse('2026-03-01T08:00:00Z');
    writeFileSync(join(dir, 'cdrs', 'a.csv'), '\ufeff' + feed(1, 3000, t0));
    writeFileSync(join(dir, 'cdrs', 'b.csv.gz'), gzipSync(feed(2, 1500, t0 + 3000 * 10_000)));
    writeFileSync(join(dir, 'cdrs', 'c.csv'), feed(3, 1500, t0 + 4500 * 10_000));
    const plain = await run('plain', dir, 0);
    const par = await run('parallel', dir, 700);
    // No memory for inflated bytes: the gzip file is read whole in pass 2.
    const whole = await run('parallel', dir, 700, 0);
    expect(plain.out.findings.length).toBeGreaterThanOrEqual(10);
    expect(plain.out.rejects.length).toBeGreaterThan(100);
    expect(par.out).toEqual(plain.out);
    expect(par.counters).toEqual(plain.counters);
    expect(whole.out).toEqual(plain.out);
    expect(whole.counters).toEqual(plain.counters);
    // A batch per range at least: the gzip file (~170 kB inflated) in ranges of 700 bytes gives far more.
    expect(par.progress.calls).toBeGreaterThan(whole.progress.calls + 100);
    // Progress still counts the files' bytes (the gzip file's compressed ones), to within rounding.
    expect(Math.abs(par.progress.bytes - whole.progress.bytes)).toBeLessThan(par.progress.calls);
    expect(plain.counters.rejectsNotWritten).toBeGreaterThan(0);
    expect(plain.counters.rejectsByReason.invalid_time).toBeGreaterThan(10);
    expect(plain.counters.rejectsByReason.duplicate_record).toBeGreaterThan(10);
    // The workers tell the main thread what the catalogue says of each cell it does not match.
    expect(plain.counters.unknownCell).toBeGreaterThan(10);
    expect(plain.counters.ambiguousCell).toBeGreaterThan(10);
  }, 60_000);

  it('reads a plain file by ranges in pass 1, and keeps only record boundaries a plain reader stands at', async () => {
    assertBuilt();
    const dir = tempDir();
    mkdirSync(join(dir, 'cdrs'));
    const text = '\ufeff' + feed(4, 3000, Date.parse('2026-03-01T08:00:00Z'));
    writeFileSync(join(dir, 'cdrs', 'a.csv'), text);
    const { listCdrInputs } = await import(dist('input/cdr-files.js'));
    const { CdrCsvParser } = await import(dist('input/cdr-csv.js'));
    const { startScan } = await import(dist('pipeline/scan-start.js'));
    // Every record start of the file, with its line, as one plain reader finds them.
    const plain = new CdrCsvParser('a.csv', 0, { record() {}, reject() {} }, 1024);
    plain.noteResumePoints(1);
    const bytes = Buffer.from(text);
    plain.push(bytes);
    plain.end();
    const lineAt = new Map<number, number>(plain.resumePoints().map((p: { offset: number; line: number }) => [p.offset, p.line]));
    // Cuts every 700 bytes; at many of them the next line starts inside a quoted field, so a range starts in
    // the middle of a record there (the test would not test that case otherwise).
    const step = 700;
    let inside = 0;
    for (let cut = step; cut < bytes.length; cut += step) {
      const start = bytes.indexOf(10, cut - 1) + 1;
      if (start > 0 && start < bytes.length && !lineAt.has(start)) inside++;
    }
    expect(inside).toBeGreaterThan(5);

    const inputs = listCdrInputs(join(dir, 'cdrs'));
    const scan = startScan({ inputs, config: { timezone: 'UTC', maxLineBytes: 1024 }, threads: 3, rangeBytes: step });
    try {
      await scan.until(() => scan.splits.size === 1);
      const points = scan.splits.get(0)!.points as Array<{ offset: number; line: number }>;
      // Record boundaries all along the file (a range's start and every 175 bytes after it), none invented.
      expect(points.length).toBeGreaterThan(bytes.length / step);
      for (let i = 0; i < points.length; i++) {
        expect(lineAt.get(points[i].offset), `offset ${points[i].offset}`).toBe(points[i].line);
        if (i > 0) expect(points[i].offset).toBeGreaterThan(points[i - 1].offset);
      }
    } finally {
      await scan.stop();
    }
  }, 60_000);

  it('joins the ranges of pass 1, dropping a range that started inside a record', async () => {
    const { joinRanges } = await import(dist('pipeline/scan-start.js'));
    const cols = [0, 1];
    const point = (offset: number, line: number) => ({ offset, line, colToField: cols });
    const part = (k: number, start: number | null, end: number | null, lines: number, points: Array<[number, number]>) => ({
      index: 0,
      memory: null,
      points: points.map(([o, l]) => point(o, l)),
      range: { k, start, end, lines },
    });
    // Range 1 found range 2's start inside a record and read on to range 3's start; range 2 is dropped.
    const joined = joinRanges([
      part(0, 0, 100, 5, [[50, 2]]),
      part(1, 100, 320, 9, [[100, 0], [150, 2], [250, 6]]),
      part(2, 205, 300, 4, [[205, 0]]),
      part(3, 320, null, 3, [[320, 0], [400, 2]]),
    ]);
    expect(joined.map((p: { offset: number; line: number }) => [p.offset, p.line])).toEqual([[50, 2], [100, 5], [150, 7], [250, 11], [320, 14], [400, 16]]);
    // A range with no line start of its own, and one that holds no record start (its line is longer than it).
    expect(joinRanges([part(0, 0, 90, 3, []), part(1, 90, 90, 0, []), part(2, 90, null, 2, [[90, 0]]), part(3, null, null, 0, [])]).map((p: { line: number }) => p.line)).toEqual([3]);
    // Ranges that do not join up (never expected): no boundaries, pass 2 reads the file whole.
    expect(joinRanges([part(0, 0, 100, 5, [[50, 2]]), part(1, 120, null, 3, [[120, 0]])])).toEqual([]);
  });
});
