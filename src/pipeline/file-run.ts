import { timeBounds, type Config } from '../config/schema.js';
import { blankCdr, type Cdr, type Reject, type RejectReason, type RunCounters } from '../domain/types.js';
import { admissionDetail } from '../engine/admission.js';
import { Engine, type EngineStats, type OfferResult } from '../engine/engine.js';
import { CdrCsvParser } from '../input/cdr-csv.js';
import { readCdrChunks, rereadable, type CdrInput } from '../input/cdr-files.js';
import type { CellCatalogue } from '../input/cell-catalogue.js';
import type { ExceptionList } from '../input/exception-list.js';
import type { TacLookup } from '../domain/lookups.js';
import { implausibleTime, tzOffsetMinutes } from '../domain/time.js';
import type { OutputBatch, Sink } from '../sinks/sink.js';
import { boundReject, makeReject } from '../domain/reject.js';
import { InputError } from '../domain/errors.js';
import { prefilterApplies, scanKeyImsis, type KeySet } from './multi-imsi-keys.js';
import { RepeatedIds } from './repeated-ids.js';

export interface FileRunOptions {
  inputs: CdrInput[];
  config: Config;
  cells: CellCatalogue;
  exceptions: ExceptionList;
  /** The TAC database (inconsistent_rat, unknown_tac). */
  tacs?: TacLookup;
  /** Rejects found while loading the catalogue and the exception list. */
  referenceRejects: Reject[];
  sinks: Sink[];
  /** Wall clock for detected_at / emitted_at. */
  clock?: () => number;
  /** Compressed bytes read so far (progress). */
  onBytes?: (bytes: number) => void;
  /**
   * Read file inputs twice: first only to find the IMEI keys with two or more IMSIs (pipeline/multi-imsi-keys.ts),
   * then to validate, admit and reject every row as usual while matching only those keys' CDRs. Same outputs;
   * ignored for stdin (it cannot be read twice).
   */
  prefilter?: boolean;
}

/** Keep in `peak` the engine's stats when its state was largest so far (by active IMEIs). */
export function notePeak(engine: Engine, peak: EngineStats): void {
  const st = engine.stats();
  if (st.activeImeis > peak.activeImeis) Object.assign(peak, st);
}

export interface FileRunResult {
  counters: RunCounters;
  /** Rejects of the cell catalogue and exception list (also in counters.rejectsByReason). */
  referenceRejects: number;
  peak: EngineStats;
  elapsedMs: number;
}

/** `detect`: every input in order through one engine (event time runs across files), outputs to every sink. */
export async function runFiles(opts: FileRunOptions): Promise<FileRunResult> {
  const clock = opts.clock ?? Date.now;
  const started = performance.now();
  const engine = new Engine(opts.config, { cells: opts.cells, exceptions: opts.exceptions, tacs: opts.tacs });
  const counters = engine.counters;
  const tz = tzOffsetMinutes(opts.config.timezone);
  const pass1 = opts.prefilter && rereadable(opts.inputs) && prefilterApplies(opts.config) ? await firstPass(opts.inputs, tz, opts.config.maxLineBytes) : null;
  const offer = pass1 === null ? (cdr: Cdr) => engine.offer(cdr, now) : (cdr: Cdr) => engine.offer(cdr, now, pass1.keys.has(cdr.key), pass1.ids.mayRepeat(cdr.idHash));
  // After pass 1 only the CDRs that are matched or checked for a duplicate need their record_id as text.
  const needsId = pass1 === null ? undefined : (cdr: Cdr) => pass1.keys.has(cdr.key) || pass1.ids.mayRepeat(cdr.idHash);
  const cap = new RejectCap(opts.config.maxRejectsPerReason, counters);
  let rejects: Reject[] = [];
  for (const r of opts.referenceRejects) {
    countReject(counters, r.reason);
    if (cap.keep(r)) rejects.push(boundReject(r));
  }
  let now = clock();
  const peak = engine.stats();

  const emit = async (final: boolean): Promise<void> => {
    const written = rejects;
    rejects = [];
    await writeOutputs(engine, opts.sinks, written, final, now);
  };

  for (const input of opts.inputs) {
    const source = input.name;
    const parser = admittingParser(source, tz, counters, opts.config.allowedLatenessS, (r) => cap.keep(r) && rejects.push(r), offer, () => engine.maxEventTimeMs, opts.config, needsId);
    for await (const chunk of readCdrChunks(input, opts.onBytes)) {
      now = clock();
      parser.push(chunk);
      await emit(false);
      notePeak(engine, peak);
    }
    parser.end();
    counters.recordsRead += parser.rows;
  }
  now = clock();
  notePeak(engine, peak);
  await emit(true);
  for (const s of opts.sinks) await s.flush();
  return { counters, referenceRejects: opts.referenceRejects.length, peak, elapsedMs: performance.now() - started };
}

/**
 * Hand what the engine found since the last call, with `rejects`, to every sink (nothing when all are empty);
 * `final`: at the end of the input, after matching what still waits.
 */
export async function writeOutputs(engine: Engine, sinks: Sink[], rejects: Reject[], final: boolean, nowMs: number): Promise<void> {
  if (final) engine.drain(nowMs);
  const out = engine.take();
  if (out.findings.length || out.candidates.length || rejects.length) {
    const batch: OutputBatch = { findings: out.findings, candidates: out.candidates, rejects };
    for (const s of sinks) await s.write(batch);
  }
}

/**
 * Pass 1: the keys to match and the record_ids that may repeat, or null (match and check all) when an input
 * cannot be read: pass 2 then reports it where a plain run would.
 */
async function firstPass(inputs: CdrInput[], tz: number, maxLineBytes: number): Promise<{ keys: KeySet; ids: RepeatedIds } | null> {
  const ids = RepeatedIds.create(RepeatedIds.bitsForInputs(inputs));
  try {
    return { keys: (await scanKeyImsis(inputs, tz, maxLineBytes, undefined, ids)).multiKeys(), ids };
  } catch (err) {
    if (err instanceof InputError) return null;
    throw err;
  }
}

/**
 * A CSV reader for one input: each valid row goes to `admit` (null = accepted); invalid rows and the
 * duplicate/late verdicts of `admit` become counted rejects with their line and raw text.
 */
export function admittingParser(
  source: string,
  tzOffsetMin: number,
  counters: RunCounters,
  latenessS: number,
  reject: (r: Reject) => void,
  admit: (cdr: Cdr) => OfferResult,
  maxEventMs: () => number,
  config: Pick<Config, 'maxLineBytes' | 'maxFutureS' | 'minEventTime'>,
  needsId?: (cdr: Cdr) => boolean,
): CdrCsvParser {
  const bounds = timeBounds(config);
  const parser: CdrCsvParser = new CdrCsvParser(source, tzOffsetMin, {
    record(cdr: Cdr, line: number) {
      // With needsId the rows come in one reused object whose record_id is read only when needed.
      if (needsId !== undefined && needsId(cdr)) cdr.recordId = parser.recordIdText();
      // Plausible times: checked before admission, so an implausible row never moves event time.
      const implausible = implausibleTime(cdr.startMs, Date.now(), bounds);
      if (implausible !== null) {
        countReject(counters, 'invalid_time');
        reject(makeReject(source, line, 'invalid_time', implausible, parser.currentRaw()));
        return;
      }
      const why = admit(cdr);
      if (why !== null) {
        countReject(counters, why);
        reject(makeReject(source, line, why, admissionDetail(why, cdr.recordId, maxEventMs(), latenessS), parser.currentRaw()));
      }
    },
    reject(reason: RejectReason, detail: string, line: number, raw: string) {
      countReject(counters, reason);
      reject(makeReject(source, line, reason, detail, raw));
    },
  }, config.maxLineBytes);
  if (needsId !== undefined) parser.reuseCdr(blankCdr());
  return parser;
}

/**
 * detect's cap on written rejects: at most `max` of one reason reach the outputs (0 = no cap); the rest are
 * counted (counters.rejectsNotWritten, with every reject still in rejectsByReason). A feed that is broken the
 * same way on every row then gives a sample of it, not a copy of the feed. A class, not a closure per run, so
 * that a loop compiled with a warm-up's cap calls the same function with the run's.
 */
export class RejectCap {
  private readonly written = new Map<RejectReason, number>();

  constructor(
    private readonly max: number,
    private readonly counters: RunCounters,
  ) {}

  keep(r: Reject): boolean {
    if (this.max === 0) return true;
    const n = this.written.get(r.reason) ?? 0;
    if (n >= this.max) {
      this.counters.rejectsNotWritten = (this.counters.rejectsNotWritten ?? 0) + 1;
      return false;
    }
    this.written.set(r.reason, n + 1);
    return true;
  }
}

export function countReject(c: RunCounters, reason: RejectReason): void {
  c.rejectsByReason[reason] = (c.rejectsByReason[reason] ?? 0) + 1;
}
