// Pass 1 of a parallel `detect` (parallel-run.ts), on its own: the parse workers, what they send back of pass 1,
// and the scan's start. Apart from parallel-run.ts, cli/main.ts starts it, from the arguments alone, before it
// loads the rest of the program: the workers are ready ~100 ms before the main thread has loaded its modules
// (zod alone ~0.1 s) and parsed the config, and pass 1 is what the run waits for. So this module loads nothing
// heavy (the worker's and the table's modules only as types).
import type { Worker } from 'node:worker_threads';
import { flagValue, takeParseWorkers } from './parse-pool.js';
import { tzOffsetMinutes } from '../domain/time.js';
import { InputError } from '../domain/errors.js';
import type { CsvResumePoint } from '../input/cdr-csv.js';
import { isGzipFile, listCdrInputs, rereadable, type CdrInput } from '../input/cdr-files.js';
import type { KeyImsiColumns } from './multi-imsi-keys.js';
import { GZIP_RATIO, RepeatedIds, type RepeatedIdsMemory } from './repeated-ids.js';
import type { ParseReply, ParseRequest, ParseWorkerData, ScanJob, ScannedSplit } from './parse-worker.js';
import { inflatedBudget, type InflatedBytes } from './inflated-copy.js';
import { DEFAULT_MAX_LINE_BYTES, DEFAULT_TIMEZONE, TIMEZONE_FORMAT } from '../config/defaults.js';

/**
 * A plain file is split into byte ranges of about this size (at record starts), read by the workers in turn:
 * in pass 2, and in pass 1 (cut every RANGE_BYTES, at the next line start).
 */
const RANGE_BYTES = 8 << 20;
/**
 * Pass 1 notes a record boundary every RANGE_BYTES / RANGE_PARTS bytes; a range is RANGE_PARTS such parts,
 * except at the end of the input, where ranges of one part keep the workers busy to the end together (a worker
 * finishing an 8 MB range alone had cost ~0.3 s at the end of a 1M-row run).
 */
export const RANGE_PARTS = 4;
const BATCH_ROWS = 8192;
/** Batches a worker may have sent and not yet seen consumed: about one range ahead of the main thread. */
const MAX_IN_FLIGHT = 12;

/** What a parallel file run needs to start its first pass (the catalogue and the rest come later, to run()). */
export interface ParallelScanOptions {
  inputs: CdrInput[];
  config: { timezone: string; maxLineBytes: number };
  threads: number;
  /** Size of the byte ranges of pass 2 (tests make it small). */
  rangeBytes?: number;
  /** Inflated bytes of gzip inputs kept in memory for pass 2 (inflated-copy.ts; tests make it small). */
  inflatedBudgetBytes?: number;
}

export interface ParseWorker {
  worker: Worker;
  failed: Error | null;
  /** Units of pass 2 dealt to it that it has not finished reading. */
  busy: number;
}

const stoppedEarly = (code: number): Error => new Error(`a parse worker stopped (exit code ${code}) before the end of input`);

/**
 * Pass 1 under way: N parse workers read whole inputs (a plain file of several ranges by ranges), largest first,
 * each taken by the next worker that is free (a counter in shared memory, so that a main thread busy loading chDB
 * holds no worker up), and send back the record boundaries of each input (of each range, joined here), then their
 * (IMEI key, IMSI) tables and record_id bit sets.
 * The run that adopts it (parallel-run.ts) takes pass 2's replies through `onUnit`.
 */
export class ParallelScan {
  readonly started = performance.now();
  readonly inputs: CdrInput[];
  readonly workers: ParseWorker[] = [];
  /** Each worker's table and bit sets, once pass 1 is over (one per worker). */
  readonly tables: KeyImsiColumns[] = [];
  readonly idParts: RepeatedIdsMemory[] = [];
  /** Input index -> its record boundaries, and its inflated bytes when a gzip input is kept in memory. */
  readonly splits = new Map<number, { points: CsvResumePoint[]; memory: InflatedBytes | null }>();
  /** Input index -> why pass 1 could not read it (reported when the run reaches that input). */
  readonly scanFailures = new Map<number, InputError>();
  /** Pass 2's replies (a unit's batch, end or failure), for the run that adopts the scan. */
  onUnit: ((w: ParseWorker, m: ParseReply & { unit: number }) => void) | null = null;
  private readonly data: ParseWorkerData;
  private readonly jobs: ScanJob[] = [];
  /** The workers' job counter (shared memory): each adds 1 to take the next job, until it is past the last. */
  private readonly next = new Int32Array(new SharedArrayBuffer(4));
  /** Input index -> what pass 1 read of each of its ranges so far (inputs read by ranges only). */
  private readonly ranges = new Map<number, Array<ScannedSplit | undefined>>();
  private wake: (() => void) | null = null;
  private stopped: Promise<void> | null = null;

  constructor(readonly opts: ParallelScanOptions) {
    const inputs = (this.inputs = opts.inputs);
    // A gzip file counts GZIP_RATIO times its size (its inflated size is not known yet): for the record_id bit
    // sets, and to deal pass 1's largest inputs first.
    const gzip = inputs.map((i) => isGzipFile(i.path));
    const size = (i: number) => inputs[i].bytes * (gzip[i] ? GZIP_RATIO : 1);
    this.data = {
      tzOffsetMin: tzOffsetMinutes(opts.config.timezone),
      maxLineBytes: opts.config.maxLineBytes,
      batchRows: BATCH_ROWS,
      maxInFlight: MAX_IN_FLIGHT,
      idBits: RepeatedIds.bitsFor(inputs.reduce((sum, _, i) => sum + size(i), 0)),
      inflatedBudget: inflatedBudget(opts.inflatedBudgetBytes),
    };
    const order = inputs.map((_, i) => i).sort((a, b) => size(b) - size(a));
    const rangeBytes = opts.rangeBytes ?? RANGE_BYTES;
    const partBytes = Math.max(1, Math.floor(rangeBytes / RANGE_PARTS));
    // Pass 1 reads a plain file of several ranges by ranges too, so that one large file keeps every worker busy.
    for (const index of order) {
      const input = inputs[index];
      const count = gzip[index] || opts.threads < 2 ? 1 : Math.ceil(input.bytes / rangeBytes);
      if (count < 2) this.jobs.push({ index, input, splitBytes: partBytes, gzip: gzip[index] });
      else {
        this.ranges.set(index, new Array<ScannedSplit | undefined>(count).fill(undefined));
        for (let k = 0; k < count; k++) this.jobs.push({ index, input, splitBytes: partBytes, gzip: false, range: { k, step: rangeBytes, count } });
      }
    }
    // Workers cli/main.ts started early (parse-pool.ts) first: they may have read their warm-up already.
    for (const p of takeParseWorkers(opts.threads)) {
      const w: ParseWorker = { worker: p.worker, failed: p.error ?? (p.exitCode !== null ? stoppedEarly(p.exitCode) : null), busy: 0 };
      w.worker.postMessage({ type: 'init', data: this.data } satisfies ParseRequest);
      w.worker.on('message', (m: ParseReply) => this.reply(w, m));
      w.worker.on('error', (err) => {
        w.failed = err;
        this.poke();
      });
      w.worker.on('exit', (code) => {
        w.failed ??= stoppedEarly(code);
        this.poke();
      });
      this.workers.push(w);
    }
    for (const w of this.workers) w.worker.postMessage({ type: 'scan', jobs: this.jobs, next: this.next } satisfies ParseRequest);
  }

  /** The same scan as `opts` would start (so a run may adopt this one)? */
  sameAs(opts: ParallelScanOptions): boolean {
    const a = this.inputs;
    const b = opts.inputs;
    return (
      opts.threads === this.opts.threads &&
      opts.rangeBytes === this.opts.rangeBytes &&
      opts.inflatedBudgetBytes === this.opts.inflatedBudgetBytes &&
      tzOffsetMinutes(opts.config.timezone) === this.data.tzOffsetMin &&
      opts.config.maxLineBytes === this.data.maxLineBytes &&
      a.length === b.length &&
      a.every((x, i) => x.name === b[i].name && x.path === b[i].path && x.bytes === b[i].bytes && x.pipe === b[i].pipe)
    );
  }

  /** Wait until `ready()` holds, or throw the failure of a worker. */
  async until(ready: () => boolean): Promise<void> {
    for (;;) {
      const f = this.workers.find((w) => w.failed)?.failed;
      if (f) throw f;
      if (ready()) return;
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  /** Wake whoever waits in until(). */
  poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Pass 1's jobs, and how many times the workers asked for one (the last ask of each finds none left). */
  jobsTaken(): { jobs: number; asked: number } {
    return { jobs: this.jobs.length, asked: Atomics.load(this.next, 0) };
  }

  /** Has stop() been called? */
  get stopping(): boolean {
    return this.stopped !== null;
  }

  /** Stop the workers (idempotent). */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      for (const w of this.workers) w.worker.removeAllListeners('exit');
      await Promise.all(this.workers.map((w) => w.worker.terminate()));
    })();
    return this.stopped;
  }

  private reply(w: ParseWorker, m: ParseReply): void {
    if (m.type === 'scanned') {
      const { split } = m;
      const parts = this.ranges.get(split.index);
      if (parts === undefined) this.splits.set(split.index, { points: split.points, memory: split.memory });
      else {
        parts[split.range!.k] = split;
        if (parts.every((p) => p !== undefined)) this.splits.set(split.index, { points: joinRanges(parts as ScannedSplit[]), memory: null });
      }
    } else if (m.type === 'table') {
      this.tables.push(m.cols);
      this.idParts.push(m.ids);
    } else if (m.type === 'failed' && m.unit < 0) this.scanFailures.set(-1 - m.unit, new InputError(m.message, m.code));
    else this.onUnit?.(w, m);
    this.poke();
  }
}

/**
 * The record boundaries of a file read by ranges, in order, with their lines counted from the file's start.
 * A range is taken when it starts where the ranges before it ended; one that starts before that started
 * inside a record, and the range before it read on past it (parse-worker.ts, scanRange). Only boundaries a
 * reader stood at are returned: when the ranges do not join up (never seen), none, and pass 2 reads the file
 * whole.
 */
export function joinRanges(parts: ScannedSplit[]): CsvResumePoint[] {
  const points: CsvResumePoint[] = [];
  // Where the ranges taken so far ended (null: the end of the file), and the lines before it.
  let end: number | null = 0;
  let lines = 0;
  for (const { points: own, range } of parts) {
    const r = range!;
    if (end === null || r.start === null || r.start < end) continue;
    if (r.start > end) return [];
    for (const p of own) points.push({ ...p, line: p.line + lines });
    end = r.end;
    lines += r.lines;
  }
  return end === null ? points : [];
}

/** The scan cli/main.ts started from the arguments, until a run adopts it or the command ends. */
let early: ParallelScan | null = null;

/**
 * Start pass 1 from `detect`'s arguments alone, when they say what the run's config will (no --config file,
 * --max-line-bytes or --rules; --timezone taken as given; threads and inputs as parse-pool.ts guesses them); call it after
 * prestartForDetect. A wrong guess costs only the work: a run that does not find the same scan (sameAs) stops
 * it and starts its own, and the command stops it at its end (stopEarlyScan).
 */
export function scanEarly(argv: readonly string[], threads: number | null): void {
  if (threads === null || early !== null) return;
  if (argv.some((a) => /^--(config|max-line-bytes|rules|no-prefilter)(=|$)/.test(a))) return;
  const timezone = flagValue(argv, '--timezone') ?? DEFAULT_TIMEZONE;
  if (!TIMEZONE_FORMAT.test(timezone)) return;
  let inputs: CdrInput[];
  try {
    inputs = listCdrInputs(flagValue(argv, '--cdrs') ?? '-');
  } catch {
    return; // the command says why, in its own words
  }
  if (!rereadable(inputs)) return;
  early = new ParallelScan({ inputs, config: { timezone, maxLineBytes: DEFAULT_MAX_LINE_BYTES }, threads });
}

/** The scan for these options: the early one when it is the same, else a new one (and the early one stops). */
export function startScan(opts: ParallelScanOptions): ParallelScan {
  const e = early;
  early = null;
  if (e !== null) {
    if (e.sameAs(opts)) return e;
    void e.stop();
  }
  return new ParallelScan(opts);
}

/** The early scan waiting for a run (tests). */
export function pendingEarlyScan(): ParallelScan | null {
  return early;
}

/** Stop the early scan if no run adopted it. */
export async function stopEarlyScan(): Promise<void> {
  const e = early;
  early = null;
  await e?.stop();
}
