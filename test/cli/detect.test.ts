// `clonewatch detect` as a user runs it: the real binary, spawned (SPEC.md "The CLI").
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, readNdjson, readOutputs, runCli, stderrLines, tempDir } from '../helpers/cli.js';

const HEADER = 'record_id,event_type,imei,imsi,msisdn,start_time,duration_s,radio,mcc,mnc,lac,ci';
const TINY_CELLS = 'fixtures/time-distance/cells.csv';
const fixture = (name: string, path: string) => join('fixtures', name, path);
/** A fixture's hand-written expect.json (see fixtures/README.md). */
const expectation = (name: string) =>
  JSON.parse(readFileSync(join(ROOT, 'fixtures', name, 'expect.json'), 'utf8')) as {
    findings: { rule: string }[];
    candidates: unknown[];
    rejects: { file: string; line: number; reason: string }[];
  };

let work = '';
beforeAll(() => {
  work = tempDir('clonewatch-cli-');
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

let outCount = 0;
/** A fresh --out directory that does not exist yet (detect must create it). */
const freshOut = () => join(work, `out-${++outCount}`, 'nested');

/** Two overlapping calls of two IMSIs on one IMEI: one simultaneity finding. */
function pairRows(prefix: string, imei: string, start: string): string[] {
  const t0 = Date.parse(start);
  const iso = (ms: number) => new Date(ms).toISOString();
  return [
    `${prefix}-a,voice_mo,${imei},716109900000001,,${iso(t0)},120,LTE,716,6,1001,100`,
    `${prefix}-b,voice_mt,${imei},716109900000002,,${iso(t0 + 30_000)},60,LTE,716,6,1001,100`,
  ];
}

/** Findings without the wall-clock field, sorted by finding_id, for comparing two runs. */
function comparableFindings(outDir: string) {
  return readNdjson(join(outDir, 'clones.ndjson'))
    .map(({ detected_at: _ignored, ...rest }) => rest)
    .sort((x, y) => String(x.finding_id).localeCompare(String(y.finding_id)));
}

describe('detect --help', () => {
  const DEFAULTS: Array<[string, string]> = [
    ['--overlap-tolerance-s', '2'],
    ['--window-s', '7200'],
    ['--min-distance-km', '1'],
    ['--max-speed-kmh', '900'],
    ['--allowed-lateness-s', '600'],
    ['--suppression-s', '86400'],
    ['--default-range-m', '1000'],
    ['--max-range-m', '10000'],
  ];

  it('exits 0 and lists every threshold flag of SPEC with its default', async () => {
    const r = await runCli(['detect', '--help']);
    expect(r.code).toBe(0);
    const text = r.stdout + r.stderr;
    const missing = DEFAULTS.filter(([flag, def]) => {
      const line = text.split('\n').find((l) => l.includes(flag + ' ') || l.trimEnd().endsWith(flag));
      return !line || !new RegExp(`\\b${def.replace('.', '\\.')}\\b`).test(line.slice(line.indexOf(flag) + flag.length));
    });
    expect(missing.map(([f, d]) => `${f} (default ${d})`)).toEqual([]);
  });

  it('names the inputs and outputs of SPEC', async () => {
    const r = await runCli(['detect', '--help']);
    for (const flag of ['--cdrs', '--cells', '--exceptions', '--out', '--clickhouse', '--config']) expect(r.stdout + r.stderr).toContain(flag);
  });

  it('is reachable from the top-level help', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('detect');
  });
});

describe('detect with bad arguments or unreadable inputs: non-zero exit and one clear line', () => {
  const cdrs = fixture('simultaneity', 'cdrs');
  const ok = () => ['--cdrs', cdrs, '--cells', TINY_CELLS, '--out', freshOut(), '--clickhouse', 'none'];
  const without = (flag: string) => {
    const a = ok();
    const i = a.indexOf(flag);
    a.splice(i, 2);
    return a;
  };
  const badConfig = (name: string, text: string) => {
    const p = join(work, name);
    writeFileSync(p, text);
    return p;
  };

  const cases: Array<[string, () => string[], RegExp]> = [
    ['an unknown option', () => [...ok(), '--bogus'], /bogus/],
    ['no --cdrs', () => without('--cdrs'), /--cdrs/],
    ['no --cells', () => without('--cells'), /--cells/],
    ['no --out', () => without('--out'), /--out/],
    ['a threshold that is not a number', () => [...ok(), '--window-s', 'abc'], /window-s|windowS/],
    ['a CDR file that does not exist', () => [...without('--cdrs'), '--cdrs', join(work, 'nope.csv')], /nope\.csv/],
    ['a cell catalogue that does not exist', () => [...without('--cells'), '--cells', join(work, 'nope-cells.csv')], /nope-cells\.csv/],
    ['a cell catalogue that is a directory', () => [...without('--cells'), '--cells', work], new RegExp(work.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))],
    ['an exception list that does not exist', () => [...ok(), '--exceptions', join(work, 'nope-exc.csv')], /nope-exc\.csv/],
    ['a config file that does not exist', () => [...ok(), '--config', join(work, 'nope.json')], /nope\.json/],
    ['a config file that is not JSON', () => [...ok(), '--config', badConfig('broken.json', '{ windowS: ')], /broken\.json/],
    [
      'a config with windowS < allowedLatenessS',
      () => [...ok(), '--config', badConfig('window.json', JSON.stringify({ windowS: 300, allowedLatenessS: 600 }))],
      /windowS.*allowedLatenessS|allowedLatenessS.*windowS/,
    ],
    ['a --window-s flag below the default lateness', () => [...ok(), '--window-s', '100'], /windowS.*allowedLatenessS|allowedLatenessS.*windowS|window-s/],
    ['a config with minDistanceKm 0', () => [...ok(), '--config', badConfig('mindist.json', JSON.stringify({ minDistanceKm: 0 }))], /minDistanceKm/],
    ['a config with an unknown key', () => [...ok(), '--config', badConfig('typo.json', JSON.stringify({ windowSeconds: 100 }))], /windowSeconds/],
    ['a negative threshold', () => [...ok(), '--max-speed-kmh', '-5'], /max-speed-kmh|maxSpeedKmh/],
  ];

  for (const [what, args, mentions] of cases) {
    it(`${what}`, async () => {
      const r = await runCli(['detect', ...args()]);
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.code).not.toBeNull();
      const lines = stderrLines(r);
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(mentions);
      expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace
    });
  }

  it('a truncated .csv.gz', async () => {
    const rows = [HEADER];
    for (let i = 0; i < 3000; i++) rows.push(`t${i},voice_mo,3599${String(i).padStart(10, '0')}0,7161099${String(i).padStart(8, '0')},,2026-03-02T10:00:00Z,10,LTE,716,6,1001,100`);
    const gz = gzipSync(rows.join('\n') + '\n');
    const path = join(work, 'truncated.csv.gz');
    writeFileSync(path, gz.subarray(0, Math.floor(gz.length / 2)));
    const r = await runCli(['detect', '--cdrs', path, '--cells', TINY_CELLS, '--out', freshOut(), '--clickhouse', 'none']);
    expect(r.code, r.stderr).not.toBe(0);
    expect(stderrLines(r).filter((l) => /truncated\.csv\.gz/.test(l))).toHaveLength(1);
  });

  it('an unknown command', async () => {
    const r = await runCli(['detekt']);
    expect(r.code).not.toBe(0);
    expect(stderrLines(r)).toHaveLength(1);
    expect(stderrLines(r)[0]).toMatch(/detekt/);
  });

  it('writes no output files when it refuses to start', async () => {
    const out = freshOut();
    const r = await runCli(['detect', '--cdrs', cdrs, '--cells', TINY_CELLS, '--out', out, '--clickhouse', 'none', '--window-s', 'abc']);
    expect(r.code).not.toBe(0);
    expect(existsSync(join(out, 'clones.ndjson'))).toBe(false);
  });
});

describe('detect inputs', () => {
  it('reads CDRs from stdin with --cdrs - and finds what the file run finds', async () => {
    const file = fixture('time-distance', 'cdrs/cdrs.csv');
    const outFile = freshOut();
    const outStdin = freshOut();
    const a = await runCli(['detect', '--cdrs', file, '--cells', TINY_CELLS, '--out', outFile, '--clickhouse', 'none']);
    const b = await runCli(['detect', '--cdrs', '-', '--cells', TINY_CELLS, '--out', outStdin, '--clickhouse', 'none'], {
      input: readFileSync(join(ROOT, file)),
    });
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(comparableFindings(outStdin)).toEqual(comparableFindings(outFile));
    expect(readOutputs(outStdin).findings).toHaveLength(2);
  });

  it('reads gzip CDRs from stdin', async () => {
    const out = freshOut();
    const r = await runCli(['detect', '--cdrs', '-', '--cells', TINY_CELLS, '--out', out, '--clickhouse', 'none'], {
      input: gzipSync(readFileSync(join(ROOT, fixture('time-distance', 'cdrs/cdrs.csv')))),
    });
    // SPEC names .gz files; a gzip stream on stdin is either read or refused with a clear line, never misread as rows.
    if (r.code === 0) expect(readOutputs(out).findings).toHaveLength(2);
    else expect(stderrLines(r)).toHaveLength(1);
  });

  it('reads a single .csv.gz file', async () => {
    const gz = join(work, 'td.csv.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(ROOT, fixture('time-distance', 'cdrs/cdrs.csv')))));
    const out = freshOut();
    const r = await runCli(['detect', '--cdrs', gz, '--cells', TINY_CELLS, '--out', out, '--clickhouse', 'none']);
    expect(r.code, r.stderr).toBe(0);
    const { findings, rejects } = readOutputs(out);
    expect(findings.map((f) => `${f.rule} ${f.record_a} ${f.record_b}`).sort()).toEqual([
      'time_distance td-a td-b',
      'time_distance touch-a touch-b',
    ]);
    expect(rejects).toEqual([]);
  });

  it('reads a directory: every *.csv and *.csv.gz in name order, nothing else', async () => {
    const dir = join(work, 'dir-order');
    mkdirSync(dir);
    // a.csv is read first: its 12:00 rows set the event time, so b.csv's 10:00 rows are late.
    writeFileSync(join(dir, 'b.csv'), [HEADER, ...pairRows('b', '359900000000010', '2026-03-02T10:00:00Z')].join('\n') + '\n');
    writeFileSync(join(dir, 'a.csv'), [HEADER, ...pairRows('a', '359900000000028', '2026-03-02T12:00:00Z')].join('\n') + '\n');
    writeFileSync(join(dir, 'c.csv.gz'), gzipSync([HEADER, ...pairRows('c', '359900000000036', '2026-03-02T12:05:00Z')].join('\n') + '\n'));
    writeFileSync(join(dir, 'notes.txt'), 'not a CDR file, must be ignored\n');
    writeFileSync(join(dir, 'd.csv.bak'), 'garbage,"\n');
    const out = freshOut();
    const r = await runCli(['detect', '--cdrs', dir, '--cells', TINY_CELLS, '--out', out, '--clickhouse', 'none']);
    expect(r.code, r.stderr).toBe(0);
    const { findings, rejects } = readOutputs(out);
    expect(findings.map((f) => `${f.record_a} ${f.record_b}`).sort()).toEqual(['a-a a-b', 'c-a c-b']);
    expect(rejects.map((x) => `${String(x.source).split('/').pop()}:${x.line} ${x.reason}`).sort()).toEqual([
      'b.csv:2 late_record',
      'b.csv:3 late_record',
    ]);
  });

  it('gives the same findings (and finding_ids) whatever the row order within the lateness bound', async () => {
    const lines = readFileSync(join(ROOT, fixture('imei-variants', 'cdrs/cdrs.csv')), 'utf8').trimEnd().split('\n');
    const reversed = join(work, 'reversed.csv');
    writeFileSync(reversed, [lines[0], ...lines.slice(1).reverse()].join('\n') + '\n');
    const outA = freshOut();
    const outB = freshOut();
    const cells = fixture('imei-variants', 'cells.csv');
    const a = await runCli(['detect', '--cdrs', fixture('imei-variants', 'cdrs'), '--cells', cells, '--out', outA, '--clickhouse', 'none']);
    const b = await runCli(['detect', '--cdrs', reversed, '--cells', cells, '--out', outB, '--clickhouse', 'none']);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(comparableFindings(outB)).toEqual(comparableFindings(outA));
    expect(comparableFindings(outA)).toHaveLength(6);
  });

  it('lets a flag override the config file', async () => {
    const cfg = join(work, 'tolerant.json');
    writeFileSync(cfg, JSON.stringify({ overlapToleranceS: 1000 }));
    const args = ['detect', '--cdrs', fixture('simultaneity', 'cdrs'), '--cells', TINY_CELLS, '--clickhouse', 'none', '--config', cfg];
    const outCfg = freshOut();
    const outFlag = freshOut();
    const c = await runCli([...args, '--out', outCfg]);
    const f = await runCli([...args, '--out', outFlag, '--overlap-tolerance-s', '2']);
    expect(c.code, c.stderr).toBe(0);
    expect(f.code, f.stderr).toBe(0);
    // Every overlap in that fixture is below 1000 s; with the flag's 2 s they are all findings again.
    expect(readOutputs(outCfg).findings).toHaveLength(0);
    expect(readOutputs(outFlag).findings).toHaveLength(expectation('simultaneity').findings.length);
  });

  it('reads start times without a zone in the zone of --timezone', async () => {
    const file = join(work, 'nozone.csv');
    writeFileSync(
      file,
      [HEADER, 'tz-a,voice_mo,359900000000044,716109900000001,,2026-03-02 10:00:00,120,LTE,716,6,1001,100',
        'tz-b,voice_mo,359900000000044,716109900000002,,2026-03-02T10:01:00,60,LTE,716,6,1001,100'].join('\n') + '\n',
    );
    const outDefault = freshOut();
    const outUtc = freshOut();
    const base = ['detect', '--cdrs', file, '--cells', TINY_CELLS, '--clickhouse', 'none'];
    expect((await runCli([...base, '--out', outDefault])).code).toBe(0);
    expect((await runCli([...base, '--out', outUtc, '--timezone', '+00:00'])).code).toBe(0);
    const [d] = readOutputs(outDefault).findings;
    const [u] = readOutputs(outUtc).findings;
    expect(Date.parse(d.time_a as string)).toBe(Date.parse('2026-03-02T15:00:00Z'));
    expect(Date.parse(u.time_a as string)).toBe(Date.parse('2026-03-02T10:00:00Z'));
  });
});

describe('detect outputs and summary', () => {
  let r: Awaited<ReturnType<typeof runCli>>;
  let out = '';
  beforeAll(async () => {
    out = freshOut();
    r = await runCli([
      'detect', '--cdrs', fixture('rejects', 'cdrs'), '--cells', fixture('rejects', 'cells.csv'), '--out', out, '--clickhouse', 'none',
    ]);
  });

  it('exits 0 with rejects, creating the --out directory', () => {
    expect(r.code, r.stderr).toBe(0);
    expect(readOutputs(out).rejects.length).toBeGreaterThan(30);
  });

  it('writes the three output files and nothing on stdout that looks like an error', () => {
    for (const f of ['clones.ndjson', 'block-candidates.ndjson', 'rejects.ndjson']) expect(existsSync(join(out, f))).toBe(true);
    expect(r.stdout).not.toMatch(/error/i);
  });

  // The counts come from fixtures/rejects: its rows after the header, its expect.json rejects of the CDR file
  // (invalid_cell is left out: the catalogue's rejects may or may not be counted with the CDRs'), findings, candidates.
  const exp = expectation('rejects');
  const line = (re: RegExp) => stderrLines(r).find((l) => re.test(l));

  it('prints the records read on stderr', () => {
    const rows = readFileSync(join(ROOT, fixture('rejects', 'cdrs/rejects.csv')), 'utf8').trimEnd().split('\n').length - 1;
    expect(stderrLines(r).some((l) => /read/i.test(l) && new RegExp(`\\b${rows}\\b`).test(l)), r.stderr).toBe(true);
  });

  it('prints the rejects by reason on stderr', () => {
    const byReason = new Map<string, number>();
    for (const x of exp.rejects) if (x.file.startsWith('cdrs/') && x.reason !== 'invalid_cell') byReason.set(x.reason, (byReason.get(x.reason) ?? 0) + 1);
    const want = [...byReason];
    expect(want.length).toBeGreaterThan(8);
    const missing = want.filter(([reason, n]) => !new RegExp(`${reason}\\W{0,3}\\s*[:=]?\\s*${n}\\b|\\b${n}\\s+${reason}`).test(r.stderr));
    expect(missing, r.stderr).toEqual([]);
  });

  it('prints the findings by rule and the candidates on stderr', () => {
    const n = (rule: string) => exp.findings.filter((f) => f.rule === rule).length;
    expect(r.stderr).toMatch(new RegExp(`simultaneity\\W{0,3}\\s*[:=]?\\s*${n('simultaneity')}\\b`));
    expect(r.stderr).toMatch(new RegExp(`time_distance\\W{0,3}\\s*[:=]?\\s*${n('time_distance')}\\b`));
    expect(line(/candidate/i), r.stderr).toMatch(new RegExp(`\\b${exp.candidates.length}\\b`));
  });

  it('prints the throughput (records/s) on stderr', () => {
    expect(r.stderr).toMatch(/[\d.,]+\s*(records|rows|CDRs?)\s*\/\s*s|(records|rows)\/s/i);
  });

  it('keeps the summary off stdout', () => {
    // The summary belongs on stderr (SPEC); stdout stays free for piping.
    expect(r.stdout).not.toMatch(/records\/s/);
  });
});

describe('detect with a read-only --out', () => {
  // root writes anywhere, so this only runs for other users.
  it.skipIf(process.getuid?.() === 0)('fails with one clear line when --out cannot be written', async () => {
    const ro = join(work, 'read-only');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    const r = await runCli(['detect', '--cdrs', fixture('simultaneity', 'cdrs'), '--cells', TINY_CELLS, '--out', join(ro, 'x'), '--clickhouse', 'none']);
    chmodSync(ro, 0o700);
    expect(r.code).not.toBe(0);
    expect(stderrLines(r)).toHaveLength(1);
  });
});

describe('detect on a directory that also holds a gzip file (fixtures/duplicates)', () => {
  it('reads the .csv.gz after the .csv and counts duplicates across them', async () => {
    const dir = join(work, 'dups');
    cpSync(join(ROOT, 'fixtures/duplicates/cdrs'), dir, { recursive: true });
    const out = freshOut();
    const r = await runCli(['detect', '--cdrs', dir, '--cells', fixture('duplicates', 'cells.csv'), '--out', out, '--clickhouse', 'none']);
    expect(r.code, r.stderr).toBe(0);
    const gzRejects = readOutputs(out).rejects.filter((x) => String(x.source).endsWith('02-more.csv.gz'));
    expect(gzRejects.map((x) => `${x.line} ${x.reason}`)).toEqual(['2 duplicate_record']);
  });
});

describe('npx clonewatch from the repository root', () => {
  it('runs detect exactly as SPEC writes it', () => {
    const out = freshOut();
    const r = spawnSync(
      'npx',
      ['--no-install', 'clonewatch', 'detect', '--cdrs', fixture('exceptions', 'cdrs'), '--cells', fixture('exceptions', 'cells.csv'),
        '--exceptions', fixture('exceptions', 'exceptions.csv'), '--out', out, '--clickhouse', 'none'],
      { cwd: ROOT, encoding: 'utf8', timeout: 30000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(readOutputs(out).findings).toHaveLength(expectation('exceptions').findings.length);
  });
});
