import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Config } from '../config/schema.js';
import { redactText } from '../config/redact.js';
import { REJECT_REASONS, type Rule } from '../domain/types.js';
import { listCdrInputs, rereadable, type CdrInput } from '../input/cdr-files.js';
import { loadCellCatalogue } from '../input/cell-catalogue.js';
import { UsageError } from '../domain/errors.js';
import { ExceptionList, loadExceptionList } from '../input/exception-list.js';
import { runFiles, type FileRunResult } from '../pipeline/file-run.js';
import { pipelineRun } from '../pipeline/pipeline-run.js';
import { startFilesParallel, type ParallelFileRun } from '../pipeline/parallel-run.js';
import { stopEarlyScan } from '../pipeline/scan-start.js';
import { prefilterApplies } from '../pipeline/multi-imsi-keys.js';
import { loadTacDatabase } from '../input/tac-db.js';
import { runFilesSharded } from '../pipeline/sharded-run.js';
import { HOLD_CHARS, NdjsonSink, OutputDirError } from '../sinks/ndjson-sink.js';
import type { Sink } from '../sinks/sink.js';
import { buildConfig, parseCommandArgs, thousands, thresholdHelp, thresholdOptions } from './common.js';

const HELP = `clonewatch detect: find cloned IMEIs in CDR files (RENTESEG Art. 22)

Usage:
  clonewatch detect --cdrs <file|dir|-> --cells <file> [--exceptions <file>] --out <dir>
                    [--clickhouse <url|dir|none>] [--config <file>] [thresholds]

Inputs and outputs:
  --cdrs <file|dir|->         CDR CSV (plain or .gz); a directory means every *.csv and *.csv.gz in name order; - is stdin
  --cells <file>              cell catalogue in OpenCelliD layout (radio,mcc,net,area,cell,lon,lat,range,...)
  --exceptions <file>         exception list CSV (imei,imsi,msisdn)
  --out <dir>                 writes clones.ndjson, block-candidates.ndjson, rejects.ndjson
  --clickhouse <url|dir|none> http(s)://host:8123 server, a chDB data directory, or none for files only
                              (default ./clonewatch-data/clickhouse, embedded chDB)
  --config <file>             JSON config; its keys are the threshold names below (flags win)
  --threads <n>               threads to use (default: the available parallelism, here ${availableParallelism()});
                              files are read and validated by n worker threads while the main thread admits
                              and matches; stdin or a named pipe (read once) shards matching by IMEI key over
                              n engines. Same outputs with any n; 1 runs everything on the main thread
  --no-prefilter              match every CDR: skip the first pass over the files that finds the IMEI keys
                              with two or more IMSIs (same outputs, slower; for comparison)
  --no-progress               no progress bar even on a terminal
  -h, --help                  this text

Thresholds:
${thresholdHelp()}

Exit status: 0 on success (rejects included), 2 on bad arguments or unreadable inputs, 1 on other failures.`;

export async function detectCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    ...thresholdOptions(),
    cdrs: { type: 'string' },
    cells: { type: 'string' },
    exceptions: { type: 'string' },
    out: { type: 'string' },
    clickhouse: { type: 'string' },
    'no-progress': { type: 'boolean' },
    threads: { type: 'string' },
    'no-prefilter': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  for (const req of ['cdrs', 'cells', 'out'] as const) {
    if (typeof values[req] !== 'string' || values[req] === '') throw new UsageError(`detect needs --${req} (see clonewatch detect --help)`);
  }
  const config = buildConfig(values, (raw) => {
    if (typeof values.clickhouse === 'string') raw.clickhouse = { ...((raw.clickhouse as object) ?? {}), target: values.clickhouse };
  });

  const threads = values.threads === undefined ? availableParallelism() : Number(values.threads);
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new UsageError(`--threads needs a whole number from 1 to 64, got "${values.threads}"`);
  const inputs = listCdrInputs(values.cdrs as string);
  const startedAt = new Date();
  // Criteria that fire on one CDR need every key matched (multi-imsi-keys.ts).
  const prefilter = !values['no-prefilter'] && prefilterApplies(config);
  // A parallel file run starts its first pass now: the workers read while this thread loads the rest.
  const parallel = threads > 1 && prefilter && rereadable(inputs) ? startFilesParallel({ inputs, config, threads }) : null;
  // A scan cli/main.ts started from the arguments that no run takes stops now, not after the run.
  if (parallel === null) await stopEarlyScan();
  try {
    return await detectWith(values, config, threads, inputs, startedAt, prefilter, parallel);
  } finally {
    await parallel?.stop();
  }
}

async function detectWith(
  values: Record<string, unknown>,
  config: Config,
  threads: number,
  inputs: CdrInput[],
  startedAt: Date,
  prefilter: boolean,
  parallel: ParallelFileRun | null,
): Promise<number> {
  const { catalogue, rejects: cellRejects, warnings } = await loadCellCatalogue(values.cells as string, config);
  for (const w of warnings) process.stderr.write(`clonewatch: warning: ${w}\n`);
  const { db: tacs, rejects: tacRejects } = config.tacDb ? await loadTacDatabase(config.tacDb) : { db: undefined, rejects: [] };
  const { list, rejects: exRejects } =
    typeof values.exceptions === 'string' ? await loadExceptionList(values.exceptions as string) : { list: ExceptionList.empty(), rejects: [] };

  const runId = randomUUID();
  let files: NdjsonSink;
  try {
    files = new NdjsonSink(values.out as string, { holdChars: HOLD_CHARS });
  } catch (err) {
    if (err instanceof OutputDirError) throw new UsageError(err.message);
    throw err;
  }
  const sinks: Sink[] = [files];
  const clickhouse = await openClickHouse(config, runId);
  if (clickhouse) sinks.push(clickhouse);

  const progress = values['no-progress'] || !process.stderr.isTTY ? undefined : new ProgressBar(inputs);
  let result: FileRunResult;
  try {
    const runOpts = {
      inputs,
      config,
      cells: catalogue,
      exceptions: list,
      tacs,
      referenceRejects: [...cellRejects, ...exRejects, ...tacRejects],
      sinks,
      onBytes: progress ? (n: number) => progress.add(n) : undefined,
      prefilter,
    };
    const paths = { cellsPath: values.cells as string, exceptionsPath: values.exceptions as string | undefined };
    if (parallel) result = await parallel.run(runOpts);
    else if (threads === 1) result = await runFiles(runOpts);
    else result = await runFilesSharded({ ...runOpts, threads, ...paths });
  } catch (err) {
    progress?.done();
    await Promise.allSettled(sinks.map((s) => s.close()));
    throw err;
  }
  progress?.done();
  const run = pipelineRun({ runId, mode: 'detect', startedAt, inputs: inputs.map((i) => i.name).join(','), counters: result.counters, config });
  for (const s of sinks) if (s.recordRun) await s.recordRun(run);
  const where = sinks.flatMap((s) => s.describe?.() ?? []);
  for (const s of sinks) await s.close();
  process.stderr.write(redactText(summary(result, config.rules, catalogue.size, list.size, tacs?.size, [...where, ...warnings.map((w) => `warning: ${w}`)])) + '\n');
  return 0;
}

async function openClickHouse(config: Config, runId: string): Promise<Sink | null> {
  if (config.clickhouse.target === 'none') return null;
  const mod = (await import('../sinks/clickhouse/index.js').catch(() => null)) as {
    openClickHouseSink?: (cfg: Config['clickhouse'], o: { runId: string; log?: (l: string) => void }) => Promise<Sink>;
  } | null;
  if (!mod?.openClickHouseSink) throw new UsageError('ClickHouse output is not available in this build yet; use --clickhouse none');
  return mod.openClickHouseSink(config.clickhouse, { runId, log: (l) => process.stderr.write(`clonewatch: ${l}\n`) });
}

const fmt = thousands;

function summary(r: FileRunResult, rules: readonly Rule[], cells: number, exceptions: number, tacModels: number | undefined, where: string[]): string {
  const c = r.counters;
  const secs = r.elapsedMs / 1000;
  const rejected = REJECT_REASONS.filter((k) => (c.rejectsByReason[k] ?? 0) > 0);
  const totalRejected = rejected.reduce((s, k) => s + (c.rejectsByReason[k] ?? 0), 0);
  const lines = [
    'clonewatch detect: summary',
    `  records read       ${fmt(c.recordsRead)}`,
    `  accepted           ${fmt(c.recordsAccepted)} (unknown cell: ${fmt(c.unknownCell)}${c.ambiguousCell ? `, ambiguous cell (ambiguous_cell): ${fmt(c.ambiguousCell)}` : ''})`,
    `  rejected           ${fmt(totalRejected - r.referenceRejects)} CDRs${r.referenceRejects ? `, ${fmt(r.referenceRejects)} catalogue/exception/TAC rows` : ''}${rejected.length ? '' : ' (none)'}`,
    ...rejected.map((k) => `    ${k.padEnd(19)}${fmt(c.rejectsByReason[k] ?? 0)}`),
    ...(c.rejectsNotWritten ? [`    (${fmt(c.rejectsNotWritten)} of them counted, not written: over maxRejectsPerReason)`] : []),
    `  findings           ${rules.map((k) => `${k} ${fmt(c.findingsByRule[k])}`).join(', ')}` +
      ` (repeat evidence suppressed: ${fmt(rules.reduce((s, k) => s + c.suppressedByRule[k], 0))})`,
    ...(c.cdrsOverPairCap
      ? [`    over maxPairFindingsPerImei: ${fmt(c.cdrsOverPairCap)} CDRs of IMEIs at the cap not compared (suppressed)`]
      : []),
    `  block candidates   ${fmt(c.candidates)}`,
    `  reference data     ${fmt(cells)} cells, ${fmt(exceptions)} exception entries${tacModels === undefined ? '' : `, ${fmt(tacModels)} TAC models`}`,
    `  peak state         ${fmt(r.peak.activeImeis)} active IMEIs, ${fmt(r.peak.windowRecords)} CDRs in windows`,
    `  time               ${secs.toFixed(2)} s, ${fmt(Math.round(c.recordsRead / Math.max(secs, 1e-6)))} records/s`,
    ...where.map((w) => `  ${w}`),
  ];
  return lines.join('\n');
}

/** A one-line progress bar on a terminal's stderr. */
class ProgressBar {
  private readonly total: number;
  private done_ = 0;
  private last = 0;
  constructor(inputs: CdrInput[]) {
    this.total = inputs.reduce((s, i) => s + i.bytes, 0);
  }
  add(n: number): void {
    this.done_ += n;
    const t = Date.now();
    if (t - this.last < 200) return;
    this.last = t;
    const mb = (this.done_ / 1e6).toFixed(1);
    if (this.total > 0) {
      const f = Math.min(1, this.done_ / this.total);
      const w = 30;
      const bar = '#'.repeat(Math.round(f * w)).padEnd(w, '.');
      process.stderr.write(`\r[${bar}] ${(f * 100).toFixed(0).padStart(3)}% ${mb} MB`);
    } else {
      process.stderr.write(`\r${mb} MB read`);
    }
  }
  done(): void {
    if (this.last > 0) process.stderr.write('\r\x1b[K');
  }
}
