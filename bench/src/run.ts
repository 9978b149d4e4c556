// The benchmark: generates data sets, runs the real CLI (`clonewatch detect`) and the ClickHouse-SQL twin
// over them, scores both against the truth, and reports rows/s (median of N runs with spread), peak RSS,
// state bytes per active IMEI, where the time goes, and the twin ratio.
//
//   node bench/dist/run.js --quick     small version, well under two minutes
//   node bench/dist/run.js --full      1M and 10M rows, the 1e5..1e7 series and the memory series

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs, num } from './args.js';
import { generate, resolveOptions, type GenOptions, type Truth } from './generator.js';
import { compareOutputs, formatScore, score, type Score } from './scorer.js';
import { summariseProfile, type ProfileSummary } from './cpu-profile.js';
import { fmtNum, lineChart } from './svg.js';

interface Timed {
  wallS: number;
  maxRssKB: number;
  userS: number;
  sysS: number;
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command under /usr/bin/time -v and returns wall time (measured here), CPU times and peak RSS. */
function timed(cmd: string[], cwd: string): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('/usr/bin/time', ['-v', ...cmd], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallS = (performance.now() - t0) / 1000;
      const grab = (re: RegExp) => Number(re.exec(stderr)?.[1] ?? NaN);
      resolve({
        wallS,
        maxRssKB: grab(/Maximum resident set size \(kbytes\): (\d+)/),
        userS: grab(/User time \(seconds\): ([\d.]+)/),
        sysS: grab(/System time \(seconds\): ([\d.]+)/),
        code: code ?? -1,
        stdout,
        stderr,
      });
    });
  });
}

/** Share of dense devices in the dense-profile data sets. */
const DENSE_SHARE = 0.3;

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

interface Stat {
  median: number;
  min: number;
  max: number;
  /** (max - min) / median */
  spreadPct: number;
  runs: number[];
}

function stat(xs: number[]): Stat {
  const md = median(xs);
  return { median: md, min: Math.min(...xs), max: Math.max(...xs), spreadPct: md ? ((Math.max(...xs) - Math.min(...xs)) / md) * 100 : 0, runs: xs };
}

interface DetectSummary {
  recordsRead: number;
  activeImeisPeak: number;
  windowCdrsPeak: number;
  engineSeconds: number;
  engineRecordsPerS: number;
}

function parseSummary(stderr: string): DetectSummary {
  const n = (re: RegExp) => Number((re.exec(stderr)?.[1] ?? 'NaN').replace(/,/g, ''));
  return {
    recordsRead: n(/records read\s+([\d,]+)/),
    activeImeisPeak: n(/peak state\s+([\d,]+) active IMEIs/),
    windowCdrsPeak: n(/active IMEIs, ([\d,]+) CDRs in windows/),
    engineSeconds: n(/time\s+([\d.]+) s,/),
    engineRecordsPerS: n(/s, ([\d,]+) records\/s/),
  };
}

interface DetectResult {
  lines: number;
  /** Largest heap left after a full (mark-compact) GC, from --trace-gc: the live heap, an upper bound on state. */
  liveHeapMB?: number;
  wall: Stat;
  rowsPerS: Stat;
  engineRowsPerS: Stat;
  rssMB: Stat;
  cpuS: Stat;
  summary: DetectSummary;
  score?: Score;
}

interface TwinResult {
  wall: Stat;
  rowsPerS: Stat;
  queryS: Stat;
  rssMB: Stat;
  cpuS: Stat;
  score?: Score;
  agreement?: { common: number; onlyEngine: string[]; onlyTwin: string[]; candidateDiffs: string[] };
}

interface SeriesPoint {
  name: string;
  gen: ReturnType<typeof resolveOptions>;
  lines: number;
  imeiKeys: number;
  genS: number;
  detect?: DetectResult;
  twin?: TwinResult;
  /** Single runs of the stage probe: wall seconds, and CPU seconds (user + sys) when measured. */
  stages?: { readS: number; parseS: number; readCpuS?: number; parseCpuS?: number };
  profile?: ProfileSummary;
  /** Why detect failed with default settings, if it did. */
  failed?: string;
  /** Node flags of the run reported (after a failure). */
  nodeFlags?: string[];
}

const ROOT = process.cwd();
/** detect runs from a private copy of dist/ taken at the start, so a rebuild by someone else mid-run changes nothing. */
let SNAPSHOT = path.join(ROOT, 'bench/out/cli-snapshot');
let CLI = path.join(SNAPSHOT, 'dist/cli/main.js');
/** Extra detect flags for every timed run (e.g. --threads 2, from the runner's --threads). */
let DETECT_EXTRA: string[] = [];
const BENCH_DIST = path.join(ROOT, 'bench/dist');

async function dataset(name: string, o: Omit<GenOptions, 'out'>, dataRoot: string, log: (s: string) => void): Promise<{ dir: string; truth: Truth; genS: number }> {
  const dir = path.join(dataRoot, name);
  const want = resolveOptions({ ...o, out: dir });
  const truthPath = path.join(dir, 'truth.json');
  if (fs.existsSync(truthPath)) {
    const t = JSON.parse(fs.readFileSync(truthPath, 'utf8')) as Truth;
    if (JSON.stringify({ ...t.generator, out: '' }) === JSON.stringify({ ...want, out: '' })) {
      log(`  data ${name}: reusing ${dir}`);
      return { dir, truth: t, genS: NaN };
    }
  }
  const t0 = performance.now();
  const truth = await generate({ ...o, out: dir });
  const genS = (performance.now() - t0) / 1000;
  log(`  data ${name}: ${truth.rows.lines} lines, ${truth.imeiKeys} IMEI keys, ${truth.findings.length} planted findings, generated in ${genS.toFixed(1)} s`);
  return { dir, truth, genS };
}

async function runDetect(dir: string, outRoot: string, lines: number, runs: number, warmup: boolean, log: (s: string) => void, traceGc = false, nodeFlags: string[] = []): Promise<DetectResult> {
  const out = path.join(outRoot, 'engine');
  const cmd = ['node', ...nodeFlags, ...(traceGc ? ['--trace-gc'] : []), CLI, 'detect', '--cdrs', path.join(dir, 'cdrs'), '--cells', path.join(dir, 'cells.csv'), '--exceptions', path.join(dir, 'exceptions.csv'), '--out', out, '--clickhouse', 'none', '--no-progress', ...DETECT_EXTRA];
  const results: Timed[] = [];
  for (let k = warmup ? -1 : 0; k < runs; k++) {
    fs.rmSync(out, { recursive: true, force: true });
    const r = await timed(cmd, ROOT);
    fs.mkdirSync(outRoot, { recursive: true });
    if (r.code !== 0) {
      fs.writeFileSync(path.join(outRoot, 'detect-failed-stderr.txt'), r.stderr);
      const oom = /heap out of memory/i.test(r.stderr) ? 'JavaScript heap out of memory, ' : '';
      throw new Error(`detect exited ${r.code} (${oom}after ${r.wallS.toFixed(0)} s, peak RSS ${(r.maxRssKB / 1024).toFixed(0)} MB, CPU ${(r.userS + r.sysS).toFixed(0)} s)`);
    }
    if (k >= 0) results.push(r);
    fs.writeFileSync(path.join(outRoot, 'detect-stderr.txt'), r.stderr);
    log(`    detect ${k < 0 ? 'warm-up' : `run ${k + 1}/${runs}`}: ${r.wallS.toFixed(2)} s, ${fmtNum(lines / r.wallS)} rows/s, RSS ${(r.maxRssKB / 1024).toFixed(0)} MB`);
  }
  const sums = results.map((r) => parseSummary(r.stderr));
  let liveHeapMB: number | undefined;
  if (traceGc) {
    const live = [...results[results.length - 1].stdout.matchAll(/Mark-Compact[^\n]*?->\s*([\d.]+)/g)].map((x) => Number(x[1]));
    liveHeapMB = live.length ? Math.max(...live) : NaN;
  }
  return {
    liveHeapMB,
    lines,
    wall: stat(results.map((r) => r.wallS)),
    rowsPerS: stat(results.map((r) => lines / r.wallS)),
    engineRowsPerS: stat(sums.map((s) => s.engineRecordsPerS)),
    rssMB: stat(results.map((r) => r.maxRssKB / 1024)),
    cpuS: stat(results.map((r) => r.userS + r.sysS)),
    summary: sums[sums.length - 1],
  };
}

async function runTwinBench(dir: string, outRoot: string, lines: number, runs: number, log: (s: string) => void): Promise<TwinResult> {
  const out = path.join(outRoot, 'twin');
  const results: { t: Timed; queryS: number }[] = [];
  for (let k = 0; k < runs; k++) {
    fs.rmSync(out, { recursive: true, force: true });
    const r = await timed(['node', path.join(BENCH_DIST, 'twin-cli.js'), '--data', dir, '--out', out], ROOT);
    if (r.code !== 0) throw new Error(`twin exited ${r.code}: ${r.stderr.slice(-2000)}`);
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { queryS: number };
    results.push({ t: r, queryS: j.queryS });
    log(`    twin run ${k + 1}/${runs}: ${r.wallS.toFixed(2)} s (query ${j.queryS.toFixed(2)} s), ${fmtNum(lines / r.wallS)} rows/s, RSS ${(r.maxRssKB / 1024).toFixed(0)} MB`);
  }
  return {
    wall: stat(results.map((r) => r.t.wallS)),
    rowsPerS: stat(results.map((r) => lines / r.t.wallS)),
    queryS: stat(results.map((r) => r.queryS)),
    rssMB: stat(results.map((r) => r.t.maxRssKB / 1024)),
    cpuS: stat(results.map((r) => r.t.userS + r.t.sysS)),
  };
}

/** One detect run under --cpu-prof, summarised. */
async function profileDetect(dir: string, outRoot: string): Promise<ProfileSummary> {
  const profDir = path.join(outRoot, 'cpu-profile');
  fs.rmSync(profDir, { recursive: true, force: true });
  const out = path.join(outRoot, 'engine-profiled');
  const r = await timed(['node', '--cpu-prof', `--cpu-prof-dir=${profDir}`, CLI, 'detect', '--cdrs', path.join(dir, 'cdrs'), '--cells', path.join(dir, 'cells.csv'), '--exceptions', path.join(dir, 'exceptions.csv'), '--out', out, '--clickhouse', 'none', '--no-progress', ...DETECT_EXTRA], ROOT);
  if (r.code !== 0) throw new Error(r.stderr.slice(-500));
  const f = fs.readdirSync(profDir).find((x) => x.endsWith('.cpuprofile'));
  if (!f) throw new Error('no profile written');
  return summariseProfile(path.join(profDir, f));
}

async function stageProbe(dir: string, stage: 'read' | 'parse'): Promise<{ wallS: number; cpuS: number }> {
  const r = await timed(['node', path.join(BENCH_DIST, 'stage-probe.js'), '--cdrs', path.join(dir, 'cdrs'), '--stage', stage, '--root', SNAPSHOT], ROOT);
  if (r.code !== 0) throw new Error(r.stderr.slice(-500));
  return { wallS: r.wallS, cpuS: r.userS + r.sysS };
}

function machine(): Record<string, string | number> {
  const cpus = os.cpus();
  let procs = '';
  try {
    procs = fs
      .readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .length.toString();
  } catch {
    procs = '?';
  }
  return {
    nproc: os.availableParallelism?.() ?? cpus.length,
    cpu: cpus[0]?.model ?? '?',
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    loadavg: os.loadavg().map((x) => x.toFixed(2)).join(' '),
    processes: procs,
    date: new Date().toISOString(),
  };
}

const f0 = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');

function report(mode: string, m: Record<string, string | number>, series: SeriesPoint[], memory: SeriesPoint[], notes: string[]): string {
  const out: string[] = [];
  out.push(`## Benchmark (${mode}), ${m.date}`, '');
  out.push(`Machine: ${m.nproc} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}; load average at start ${m.loadavg}.`, '');
  if (m.engine) out.push(`Engine: ${m.engine}.`, '');
  out.push('### Throughput: `clonewatch detect --clickhouse none` vs the ClickHouse-SQL twin (chDB)', '');
  out.push('rows/s = CSV lines / wall time of the whole process (start-up, catalogue and exception list included); median of the runs, spread = (max - min) / median.', '');
  out.push('| data set | lines | IMEI keys | detect rows/s (median) | spread | engine-reported rows/s | peak RSS MB | peak active IMEIs / CDRs in windows | twin rows/s (median) | spread | twin RSS MB | ours / twin |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const p of series) {
    const d = p.detect;
    const t = p.twin;
    out.push(
      `| ${p.name} | ${f0(p.lines)} | ${f0(p.imeiKeys)} | ${d ? f0(d.rowsPerS.median) : 'n/a'} | ${d ? f1(d.rowsPerS.spreadPct) + '%' : ''} | ${d ? f0(median(d.engineRowsPerS.runs)) : ''} | ${d ? f0(d.rssMB.median) : ''} | ${d ? `${f0(d.summary.activeImeisPeak)} / ${f0(d.summary.windowCdrsPeak)}` : ''} | ${t ? f0(t.rowsPerS.median) : 'n/a'} | ${t ? f1(t.rowsPerS.spreadPct) + '%' : ''} | ${t ? f0(t.rssMB.median) : ''} | ${d && t ? (d.rowsPerS.median / t.rowsPerS.median).toFixed(2) + 'x' : ''} |`,
    );
  }
  out.push('');
  out.push('CPU time (user + sys, median) of the whole process: detect with its default flags (as many threads as cores: parse workers and the main thread), the twin runs ClickHouse on both cores.', '');
  out.push('| data set | detect CPU s | detect rows per CPU-s | twin CPU s | twin rows per CPU-s | ours / twin per CPU-s |', '|---|---:|---:|---:|---:|---:|');
  for (const p of series) {
    const d = p.detect;
    const t = p.twin;
    if (!d && !t) continue;
    const dr = d ? p.lines / d.cpuS.median : NaN;
    const tr = t ? p.lines / t.cpuS.median : NaN;
    out.push(`| ${p.name} | ${d ? d.cpuS.median.toFixed(2) : 'n/a'} | ${f0(dr)} | ${t ? t.cpuS.median.toFixed(2) : 'n/a'} | ${f0(tr)} | ${d && t ? (dr / tr).toFixed(2) + 'x' : ''} |`);
  }
  out.push('');
  const staged = series.filter((p) => p.stages && p.detect);
  if (staged.length) {
    const cpu = staged.every((p) => p.stages!.parseCpuS !== undefined);
    out.push(`### Where the time goes (${cpu ? 'CPU seconds, user + sys' : 'wall seconds'}; probes are single runs of the whole process, one thread, one pass)`, '');
    out.push('| data set | read only | read + CSV parse + validate | full detect (median) | read share | parse + validate share | the rest (pass 1, engine, threads, outputs) |', '|---|---:|---:|---:|---:|---:|---:|');
    for (const p of staged) {
      const full = cpu ? p.detect!.cpuS.median : p.detect!.wall.median;
      const s = p.stages!;
      const rd = cpu ? s.readCpuS! : s.readS;
      const ps = cpu ? s.parseCpuS! : s.parseS;
      const pct = (x: number) => `${((x / full) * 100).toFixed(0)}%`;
      out.push(`| ${p.name} | ${rd.toFixed(2)} | ${ps.toFixed(2)} | ${full.toFixed(2)} | ${pct(rd)} | ${pct(ps - rd)} | ${pct(full - ps)} |`);
    }
    out.push('');
  }
  for (const p of series.filter((x) => x.profile)) {
    const pr = p.profile!;
    out.push(`### CPU profile of one detect run on ${p.name} (self time, ${(pr.totalMs / 1000).toFixed(1)} s sampled)`, '');
    out.push('| file | share |', '|---|---:|', ...pr.byFile.slice(0, 8).map((x) => `| ${x.file} | ${x.pct.toFixed(1)}% |`), '');
    out.push('| function | share |', '|---|---:|', ...pr.byFunction.slice(0, 12).map((x) => `| ${x.name} | ${x.pct.toFixed(1)}% |`), '');
  }
  if (memory.length) {
    const base = memory[0].detect;
    out.push('### Memory against active IMEIs (2-hour span: every IMEI stays inside the 7,800 s window)', '');
    out.push('| devices | lines | peak active IMEIs (engine) | peak CDRs in windows | peak RSS MB | live heap after full GC, max MB | RSS bytes per extra IMEI | live-heap bytes per extra IMEI |', '|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const p of memory) {
      const d = p.detect;
      if (!d) continue;
      const dI = base ? d.summary.activeImeisPeak - base.summary.activeImeisPeak : NaN;
      const per = base && d !== base ? ((d.rssMB.median - base.rssMB.median) * 1024 * 1024) / dI : NaN;
      const perLive = base && d !== base ? (((d.liveHeapMB ?? NaN) - (base.liveHeapMB ?? NaN)) * 1024 * 1024) / dI : NaN;
      out.push(`| ${f0(p.gen.devices)}${p.nodeFlags ? ` (${p.nodeFlags.join(' ')}; default heap: out of memory)` : ''} | ${f0(p.lines)} | ${f0(d.summary.activeImeisPeak)} | ${f0(d.summary.windowCdrsPeak)} | ${f0(d.rssMB.median)} | ${f1(d.liveHeapMB ?? NaN)} | ${d === base ? '(baseline)' : f0(per)} | ${d === base ? '(baseline)' : f0(perLive)} |`);
    }
    out.push('');
  }
  out.push('### Quality (scored against the generator truth) and engine/twin agreement', '');
  out.push('| data set | planted findings | engine sim. P / R | engine t-d P / R | candidates P / R (IMSI sets exact) | exempt-pair violations | repeats < 86,400 s | reject recall | twin P / R | engine vs twin: common / only engine / only twin / candidate diffs |');
  out.push('|---|---:|---|---|---|---:|---:|---:|---|---|');
  const pr = (x?: { precision: number; recall: number }) => (x ? `${x.precision.toFixed(4)} / ${x.recall.toFixed(4)}` : 'n/a');
  for (const p of series) {
    const s = p.detect?.score;
    const t = p.twin?.score;
    const a = p.twin?.agreement;
    const planted = s ? s.rules.all.tp + s.rules.all.fn : t ? t.rules.all.tp + t.rules.all.fn : NaN;
    out.push(
      `| ${p.name} | ${f0(planted)} | ${pr(s?.rules.simultaneity)} | ${pr(s?.rules.time_distance)} | ${s ? `${pr(s.candidates)} (${s.candidates.imsiSetExact}/${s.candidates.tp})` : 'n/a'} | ${s ? s.exemptViolations : ''} | ${s ? s.repeatedWithinSuppression : ''} | ${s ? s.rejects.recall.toFixed(4) : ''} | ${pr(t?.rules.all)} | ${a ? `${a.common} / ${a.onlyEngine.length} / ${a.onlyTwin.length} / ${a.candidateDiffs.length}` : 'n/a'} |`,
    );
  }
  out.push('');
  const last = [...series].reverse().find((p) => p.detect?.score && !p.gen.gzip && !p.gen.dense) ?? [...series].reverse().find((p) => p.detect?.score);
  if (last) out.push(`#### Details of the engine on ${last.name}`, '', formatScore(last.detect!.score!), '');
  for (const p of series) {
    const a = p.twin?.agreement;
    if (!a || a.onlyEngine.length + a.onlyTwin.length + a.candidateDiffs.length === 0) continue;
    out.push(`Differences engine/twin on ${p.name}:`);
    for (const x of [...a.onlyEngine.map((k) => `only engine: ${k}`), ...a.onlyTwin.map((k) => `only twin: ${k}`), ...a.candidateDiffs].slice(0, 20)) out.push(`- ${x}`);
    out.push('');
  }
  for (const p of series) {
    const s = p.detect?.score;
    if (s && p !== last && Object.values(s.examples).some((v) => v.length)) out.push(`Examples from ${p.name}:`, '', formatScore(s).split('\n').filter((l) => l.startsWith('  ') || l.endsWith(':')).join('\n'), '');
  }
  if (notes.length) out.push('### Notes', '', ...notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}

function charts(series: SeriesPoint[], memory: SeriesPoint[], dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const s1 = series.filter((p) => p.detect && !p.gen.gzip && !p.gen.dense);
  if (s1.length) {
    const svg = lineChart(
      [
        { name: 'detect (median)', color: '#1f77b4', points: s1.map((p) => ({ x: p.lines, y: p.detect!.rowsPerS.median })) },
        ...(series.some((p) => p.twin && !p.gen.gzip && !p.gen.dense) ? [{ name: 'SQL twin (chDB)', color: '#d62728', points: series.filter((p) => p.twin && !p.gen.gzip && !p.gen.dense).map((p) => ({ x: p.lines, y: p.twin!.rowsPerS.median })) }] : []),
      ],
      { title: 'rows/s against rows (whole process, 2 cores)', xLabel: 'CSV lines', yLabel: 'rows/s', logX: true },
    );
    fs.writeFileSync(path.join(dir, 'rows-per-s.svg'), svg);
    written.push('rows-per-s.svg');
  }
  const m1 = memory.filter((p) => p.detect);
  if (m1.length) {
    const svg = lineChart(
      [
        { name: 'peak RSS', color: '#2ca02c', points: m1.map((p) => ({ x: Math.max(1, p.detect!.summary.activeImeisPeak), y: p.detect!.rssMB.median })) },
        { name: 'live heap (after GC)', color: '#9467bd', points: m1.filter((p) => Number.isFinite(p.detect!.liveHeapMB)).map((p) => ({ x: Math.max(1, p.detect!.summary.activeImeisPeak), y: p.detect!.liveHeapMB! })) },
      ],
      { title: 'detect memory against active IMEIs', xLabel: 'active IMEIs (engine peak)', yLabel: 'MB', logX: true },
    );
    fs.writeFileSync(path.join(dir, 'memory.svg'), svg);
    written.push('memory.svg');
  }
  return written;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (typeof a['report-only'] === 'string') {
    // Re-render the report and charts of an earlier run from its results.json.
    const r = JSON.parse(fs.readFileSync(a['report-only'], 'utf8')) as { mode: string; machine: Record<string, string | number>; series: SeriesPoint[]; memory: SeriesPoint[]; notes: string[] };
    const dir = path.dirname(a['report-only']);
    const chartDir = r.mode === 'full' ? path.join(ROOT, 'bench/charts') : path.join(dir, 'charts');
    const written = charts(r.series, r.memory, chartDir);
    const md = report(r.mode, r.machine, r.series, r.memory, r.notes);
    fs.writeFileSync(path.join(dir, 'report.md'), md + (written.length ? `\nCharts: ${written.map((w) => path.join(path.relative(ROOT, chartDir), w)).join(', ')}\n` : ''));
    process.stdout.write(md + '\n');
    return;
  }
  const full = a.full === true;
  const mode = full ? 'full' : 'quick';
  const runs = num(a.runs, 3);
  const seed = num(a.seed, 1);
  const dataRoot = path.join(ROOT, 'bench/data');
  // --threads N runs detect with --threads N; --label L keeps such a run apart (bench/out/<mode>-L, its own charts).
  const label = typeof a.label === 'string' ? a.label : '';
  if (a.threads !== undefined) DETECT_EXTRA = ['--threads', String(num(a.threads, 1))];
  const outRoot = path.join(ROOT, 'bench/out', label ? `${mode}-${label}` : mode);
  const log = (s: string) => process.stdout.write(s + '\n');
  const sizes = typeof a.sizes === 'string' ? a.sizes.split(',').map(Number) : full ? [1e5, 3e5, 1e6, 3e6, 1e7] : [1e5, 3e5];
  const gzSizes = typeof a['gzip-sizes'] === 'string' ? a['gzip-sizes'].split(',').map(Number) : full ? [1e6] : [];
  // The dense-device profile (heavy data users, ~4 CDRs per active IMEI in the window): not tuned to one shape.
  const denseSizes = typeof a['dense-sizes'] === 'string' ? a['dense-sizes'].split(',').map(Number) : full ? [1e6] : [];
  const memDevices = typeof a['mem-devices'] === 'string' ? a['mem-devices'].split(',').map(Number) : full ? [1e4, 1e5, 1e6, 5e6] : [1e4, 5e4];
  const twinMax = num(a['twin-max-rows'], 1e8);
  const skipTwin = a['skip-twin'] === true;
  const profileRows = num(a['profile-rows'], full ? 1e6 : 1e5);
  const notes: string[] = [];
  if (DETECT_EXTRA.length) notes.push(`detect ran with \`${DETECT_EXTRA.join(' ')}\` in every timed run.`);
  const m = machine();
  log(`clonewatch bench (${mode}): ${m.nproc} cores, ${m.cpu}, ${m.memoryGiB} GiB, node ${m.node}, load ${m.loadavg}`);
  SNAPSHOT = path.join(outRoot, 'cli-snapshot');
  CLI = path.join(SNAPSHOT, 'dist/cli/main.js');
  const haveCli = fs.existsSync(path.join(ROOT, 'dist/cli/main.js'));
  if (!haveCli) notes.push('dist/cli/main.js not found (run npm run build): detect was skipped.');
  else {
    fs.rmSync(SNAPSHOT, { recursive: true, force: true });
    fs.cpSync(path.join(ROOT, 'dist'), path.join(SNAPSHOT, 'dist'), { recursive: true });
    fs.writeFileSync(path.join(SNAPSHOT, 'package.json'), fs.readFileSync(path.join(ROOT, 'package.json')));
  }
  let rev = '?';
  try {
    const { execFileSync } = await import('node:child_process');
    rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
    const dirty = execFileSync('git', ['status', '--short', 'src'], { cwd: ROOT }).toString().trim();
    if (dirty) rev += ` (+ ${dirty.split('\n').length} uncommitted files under src/)`;
  } catch {
    /* not a git checkout */
  }
  m.engine = `dist/ built from ${rev}, copied to ${path.relative(ROOT, SNAPSHOT)} at the start`;

  const series: SeriesPoint[] = [];
  const memory: SeriesPoint[] = [];
  // Results so far, written after every data set so a crash or a kill still leaves them.
  const save = () => {
    fs.mkdirSync(outRoot, { recursive: true });
    fs.writeFileSync(path.join(outRoot, `results.json`), JSON.stringify({ mode, machine: m, series, memory, notes }, null, 1));
  };
  // The series, then the gzip variants (operators deliver .csv.gz; the chart leaves them out).
  const plan = [
    ...sizes.map((rows) => ({ rows, gzip: false, dense: 0 })),
    ...gzSizes.map((rows) => ({ rows, gzip: true, dense: 0 })),
    ...denseSizes.map((rows) => ({ rows, gzip: false, dense: DENSE_SHARE })),
  ];
  for (const { rows, gzip, dense } of plan) {
    const name = `${fmtNum(rows)} rows${gzip ? ' (gzip)' : dense ? ' (dense devices)' : ''}`;
    const tag = `${dense ? 'd' : 's'}${rows}${gzip ? 'gz' : ''}`;
    log(`${name}:`);
    const ds = await dataset(`${tag}-seed${seed}`, { rows, seed, gzip, ...(dense ? { dense } : {}) }, dataRoot, log);
    const p: SeriesPoint = { name, gen: ds.truth.generator, lines: ds.truth.rows.lines, imeiKeys: ds.truth.imeiKeys, genS: ds.genS };
    const out = path.join(outRoot, tag);
    let detectOk = haveCli;
    if (haveCli) {
      try {
        p.detect = await runDetect(ds.dir, out, p.lines, runs, rows <= 1e6, log);
      } catch (e) {
        p.failed = (e as Error).message;
        notes.push(`detect FAILED on ${name}: ${p.failed}`);
        log(`    FAILED: ${p.failed}`);
        detectOk = false;
      }
    }
    if (detectOk && p.detect) {
      p.detect.score = await score(ds.dir, path.join(out, 'engine'), ds.truth);
      const r = p.detect.score.rules.all;
      log(`    engine quality: precision ${r.precision.toFixed(4)}, recall ${r.recall.toFixed(4)}, reject recall ${p.detect.score.rejects.recall.toFixed(4)}, exempt violations ${p.detect.score.exemptViolations}`);
      try {
        const rd = await stageProbe(ds.dir, 'read');
        const ps = await stageProbe(ds.dir, 'parse');
        p.stages = { readS: rd.wallS, parseS: ps.wallS, readCpuS: rd.cpuS, parseCpuS: ps.cpuS };
        log(`    stages: read ${rd.wallS.toFixed(2)} s (CPU ${rd.cpuS.toFixed(2)} s), read+parse+validate ${ps.wallS.toFixed(2)} s (CPU ${ps.cpuS.toFixed(2)} s)`);
      } catch (e) {
        notes.push(`stage probe failed on ${name}: ${(e as Error).message.slice(0, 200)}`);
      }
      if (rows === profileRows && !gzip && !dense) {
        try {
          p.profile = await profileDetect(ds.dir, out);
          log(`    CPU profile: ${p.profile.byFile.slice(0, 5).map((x) => `${x.file} ${x.pct.toFixed(0)}%`).join(', ')}`);
        } catch (e) {
          notes.push(`CPU profile failed on ${name}: ${(e as Error).message.slice(0, 200)}`);
        }
      }
    }
    if (!skipTwin && rows <= twinMax) {
      p.twin = await runTwinBench(ds.dir, out, p.lines, runs, log);
      p.twin.score = await score(ds.dir, path.join(out, 'twin'), ds.truth);
      if (p.detect) {
        const c = await compareOutputs(path.join(out, 'engine'), path.join(out, 'twin'));
        p.twin.agreement = { common: c.common, onlyEngine: c.onlyA, onlyTwin: c.onlyB, candidateDiffs: [...c.candidatesOnlyA.map((k) => `candidate only in engine: ${k}`), ...c.candidatesOnlyB.map((k) => `candidate only in twin: ${k}`), ...c.candidateSetsDiffer.map((k) => `candidate IMSI sets differ: ${k}`)] };
        log(`    engine vs twin: ${c.common} common, ${c.onlyA.length} only engine, ${c.onlyB.length} only twin, ${p.twin.agreement.candidateDiffs.length} candidate differences; ratio ${p.detect ? (p.detect.rowsPerS.median / p.twin.rowsPerS.median).toFixed(2) : 'n/a'}x`);
      }
    }
    series.push(p);
    save();
  }

  save();
  if (haveCli) {
    for (const devices of memDevices) {
      const name = `${fmtNum(devices)} devices`;
      log(`memory, ${name}:`);
      const ds = await dataset(`m${devices}-seed${seed}`, { rows: 2 * devices, devices, hours: 2, seed, minPerKind: 0 }, dataRoot, log);
      const p: SeriesPoint = { name, gen: ds.truth.generator, lines: ds.truth.rows.lines, imeiKeys: ds.truth.imeiKeys, genS: ds.genS };
      try {
        p.detect = await runDetect(ds.dir, path.join(outRoot, `m${devices}`), p.lines, devices >= 1e6 ? 1 : Math.min(runs, 2), false, log, true);
      } catch (e) {
        const msg = (e as Error).message;
        log(`    FAILED: ${msg}`);
        notes.push(`detect FAILED on the memory series at ${name} (${f0(p.lines)} lines, 2-hour span) with Node's default heap: ${msg}. Rerun with --max-old-space-size=12288 to measure the state.`);
        p.failed = msg;
        p.nodeFlags = ['--max-old-space-size=12288'];
        try {
          p.detect = await runDetect(ds.dir, path.join(outRoot, `m${devices}`), p.lines, 1, false, log, true, p.nodeFlags);
        } catch (e2) {
          notes.push(`... and failed again with --max-old-space-size=12288: ${(e2 as Error).message}`);
          memory.push(p);
          continue;
        }
      }
      log(`    peak active IMEIs ${f0(p.detect.summary.activeImeisPeak)}, RSS ${f0(p.detect.rssMB.median)} MB, largest live heap after a full GC ${f1(p.detect.liveHeapMB ?? NaN)} MB`);
      memory.push(p);
      save();
    }
    notes.push('Memory series: about 2 CDRs per device over a 2-hour span, so every IMEI is inside the 7,800 s window at the end. The engine does not count bytes; state per IMEI is estimated two ways: the difference of peak RSS (V8 heap slack, buffers and code included: an upper bound) and the difference of the largest heap left after a full mark-compact GC (`node --trace-gc`: live objects, the better estimate). Both include each IMEI\'s ~2 CDRs in the window and their record_ids for duplicate detection. Single runs at >= 1M devices.');
  }
  const mEnd = machine();
  notes.push(`Load average at the end: ${mEnd.loadavg} (other engineers' builds and tests share these 2 cores, so absolute numbers carry that noise).`);
  const chartDir = full && !label ? path.join(ROOT, 'bench/charts') : path.join(outRoot, 'charts');
  const written = charts(series, memory, chartDir);
  const md = report(mode, m, series, memory, notes);
  fs.mkdirSync(outRoot, { recursive: true });
  fs.writeFileSync(path.join(outRoot, `report.md`), md + (written.length ? `\nCharts: ${written.map((w) => path.join(path.relative(ROOT, chartDir), w)).join(', ')}\n` : ''));
  fs.writeFileSync(path.join(outRoot, `results.json`), JSON.stringify({ mode, machine: m, machineEnd: mEnd, series, memory, notes }, null, 1));
  log('');
  log(md);
  log(`report: ${path.relative(ROOT, path.join(outRoot, 'report.md'))}, charts: ${written.map((w) => path.join(path.relative(ROOT, chartDir), w)).join(', ')}`);
}

main().catch((e) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
