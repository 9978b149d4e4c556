// The main thread's part of a parallel file run's pass 2 (BatchAdmitter), and its JIT warm-up.
import type { Config } from '../config/schema.js';
import { timeBounds } from '../config/schema.js';
import { RADIO_INDEX, type CellStatus, type TacLookup } from '../domain/lookups.js';
import { makeReject } from '../domain/reject.js';
import { implausibleTime, type TimeBounds } from '../domain/time.js';
import { blankCdr, EVENT_TYPES, type Reject, type RunCounters } from '../domain/types.js';
import { idHashString } from '../domain/identity.js';
import { objectArray } from '../domain/arrays.js';
import { admissionDetail } from '../engine/admission.js';
import { Engine } from '../engine/engine.js';
import { IdSet } from '../engine/id-set.js';
import { cellsOfCatalogue, type WarmupCells } from '../input/csv-warmup.js';
import type { CellCatalogue } from '../input/cell-catalogue.js';
import type { ExceptionList } from '../input/exception-list.js';
import { countReject, RejectCap, writeOutputs } from './file-run.js';
import {
  batchCdr,
  batchIdHash,
  batchLine,
  batchRaw,
  batchStartMs,
  ParsedBatchBuilder,
  receivedBatch,
  recycledBatch,
  ROW_CELL_SHIFT,
  ROW_ID_CHECK,
  ROW_MATCH,
  ROW_NEEDS_ID,
  type ParsedBatch,
} from './parsed-batch.js';

/** The run's reference data, for warmUpAdmission. */
export interface WarmupRefs {
  cells: CellCatalogue;
  exceptions: ExceptionList;
  tacs?: TacLookup;
}

/**
 * The main thread's part of pass 2 for one batch: the ordered decisions (plausible time, duplicate, late) for
 * every row, matching for the CDRs of multi-IMSI keys, rejects counted and kept. A small class of its own (not a
 * loop inside the run's async function), so V8 optimises this loop alone instead of that whole function.
 */
export class BatchAdmitter {
  /**
   * Rejects kept since the last write. Emptied in place, never replaced (domain/arrays.ts: a new array's map
   * changing under the loop below made V8 throw the loop's code away each time).
   */
  readonly rejects: Reject[] = objectArray();

  constructor(
    private readonly engine: Engine,
    private readonly bounds: TimeBounds,
    private readonly latenessS: number,
    private readonly cap: RejectCap,
  ) {}

  /** The rejects kept since the last call. */
  takeRejects(): Reject[] {
    return this.rejects.splice(0);
  }

  /** `now`: the wall clock for the engine's outputs; `wallMs`: for the plausible-time check (as admittingParser). */
  batch(b: ParsedBatch, source: string, now: number, wallMs: number): void {
    const engine = this.engine;
    const counters = engine.counters;
    let c = 0;
    let r = 0;
    let k = 0;
    for (let i = 0; i < b.n; i++) {
      if (b.isReject[i] === 1) {
        const rej = b.rejects[r++];
        countReject(counters, rej.reason);
        if (this.cap.keep(rej)) this.rejects.push(rej);
        continue;
      }
      // Only a CDR the engine matches becomes an object; the others are offered as the few numbers
      // admission and the counters need.
      const flags = b.flags[c];
      const recordId = (flags & ROW_NEEDS_ID) !== 0 ? b.recordIds[k++] : '';
      const startMs = batchStartMs(b, c);
      // As admittingParser: plausible times (against the wall clock when the batch arrived) before admission,
      // then the ordered duplicate/late decision.
      const implausible = implausibleTime(startMs, wallMs, this.bounds);
      if (implausible !== null) {
        countReject(counters, 'invalid_time');
        const rej = makeReject(source, batchLine(b, c), 'invalid_time', implausible, batchRaw(b, c));
        if (this.cap.keep(rej)) this.rejects.push(rej);
      } else {
        const checkId = (flags & ROW_ID_CHECK) !== 0;
        const why =
          (flags & ROW_MATCH) !== 0
            ? engine.offer(batchCdr(b, c, recordId), now, true, checkId)
            : engine.offerUnmatched(startMs, recordId, batchIdHash(b, c), checkId, (flags >>> ROW_CELL_SHIFT) as CellStatus, now);
        if (why !== null) {
          countReject(counters, why);
          const rej = makeReject(source, batchLine(b, c), why, admissionDetail(why, recordId, engine.maxEventTimeMs, this.latenessS), batchRaw(b, c));
          if (this.cap.keep(rej)) this.rejects.push(rej);
        }
      }
      c++;
    }
  }
}

/**
 * Read synthetic batches through a BatchAdmitter and a throwaway engine: every kind of row (matched, unmatched,
 * duplicate-checked, late, implausible, rejected by a worker; known, unknown and ambiguous cells) and both
 * rules' findings and a candidate. The main thread waits for pass 1 anyway; without this, V8 compiled the
 * admission loop and the engine again and again in pass 2 as each path was first taken (the loop alone
 * 7-8 times a run), while the workers needed the CPU.
 *
 * `refs`: the run's own catalogue, exception list and TAC database, which the throwaway engine uses (its rows'
 * cells are the catalogue's: input/csv-warmup.ts cellsOfCatalogue). V8 compiles for the objects it has seen:
 * with a warm-up catalogue of its own, the engine's code was compiled for that catalogue and thrown away at
 * the real one's first CDR.
 */
export async function warmUpAdmission(cfg: Config, refs: WarmupRefs): Promise<RunCounters> {
  const cells = refs.cells;
  // Queues copied down after a few expiries (not thousands), so that V8 sees that path here too: a field that
  // was never assigned again after its constructor is compiled as a constant, and the run's first copy threw
  // away the admission loop and the engine's release.
  const engine = new Engine(cfg, { cells, exceptions: refs.exceptions, tacs: refs.tacs }, { compactAfter: 64 });
  const admit = new BatchAdmitter(engine, timeBounds(cfg), cfg.allowedLatenessS, new RejectCap(cfg.maxRejectsPerReason, engine.counters));
  const rows = new WarmupRows(cells, refs.exceptions);
  // Deletions whose probe run wraps around the end of the table (rare, so the rows below may not meet one):
  // the duplicate set and the engine's key index share that code (engine/key-index.ts movesIntoHole). Many
  // times: V8 records what a function meets only from its first few calls on (lazy feedback allocation).
  const wrap = new IdSet(16);
  for (let rep = 0; rep < 32; rep++) {
    for (const h of [15, 31, 47, 14]) wrap.add(`w${h}`, h);
    for (const h of [15, 31, 14, 47]) wrap.delete(`w${h}`, h);
  }
  const builder = rows.builder;
  /** A batch as the main thread gets one: through a structured clone (postMessage), read, then sent back. */
  const admitBatch = (): void => {
    const b = receivedBatch(structuredClone(builder.take()));
    admit.batch(b, 'warm-up', Date.now(), Date.now());
    recycledBatch(b);
  };
  let t = Date.now() - 86_400_000;
  for (let i = 0; i < WARMUP_ROWS; i++) {
    // Twice, event time jumps past the window and the lateness: the ids and CDRs of before expire, the 2 h
    // sessions still open move to the long-lived heap, and at the second jump leave it (a run's first expiries
    // otherwise made V8 compile those paths again).
    if (i === (WARMUP_ROWS * 3) / 4) t += (cfg.windowS + cfg.allowedLatenessS) * 1000 + 3_600_000;
    if (i === (WARMUP_ROWS * 11) / 12) t += (cfg.windowS + cfg.allowedLatenessS) * 1000 + 3 * 3_600_000;
    // Steps with a part in ms, so that overlaps, gaps and speeds are fractions as in real traffic (whole
    // seconds everywhere made V8 compile the rules for small integers, and compile them again on real data).
    t += 700 + ((i * 37) % 101);
    rows.add(i, t);
    if (builder.size >= 1000) {
      admitBatch();
      await writeOutputs(engine, [], admit.takeRejects(), false, Date.now());
    }
  }
  admitBatch();
  await writeOutputs(engine, [], admit.takeRejects(), true, Date.now());
  return engine.counters;
}

/**
 * Rows of the main thread's warm-up. 3,000 rather than 6,000: the same deopts per run (25-27 on the outside 1M
 * day), 1-4 % less wall and CPU on three 1M days (8-10 alternated runs each); it runs while pass 1 does, on the
 * same two cores.
 */
const WARMUP_ROWS = 3000;

/**
 * The rows of warmUpAdmission, one call each (a loop body of its own: inside warmUpAdmission's loop it made V8
 * compile that whole function on the stack, ~0.1 s of a compiler thread for code that runs once).
 */
class WarmupRows {
  readonly builder = new ParsedBatchBuilder(4096);
  private readonly cdr = blankCdr();
  private readonly raw = Buffer.from('warm-up,row,'.repeat(8));
  private readonly rowCells: WarmupCells;
  /** A listed IMEI key, if the list has one: its CDRs' MSISDNs are remembered as the run's would be. */
  private readonly listed: number | undefined;

  constructor(
    private readonly cells: CellCatalogue,
    exceptions: ExceptionList,
  ) {
    this.rowCells = cellsOfCatalogue(cells);
    this.listed = exceptions.someKeyNumber();
  }

  /** Row i, around event time t. */
  add(i: number, t: number): void {
    const { builder, cdr, raw, rowCells } = this;
    if (i % 97 === 50) {
      builder.addReject(makeReject('warm-up', i + 2, 'invalid_imei', 'warm-up', raw.toString('utf8', 0, 40)));
      return;
    }
    // 40 keys with two IMSIs each (matched), the rest with one (unmatched). Some keys and IMSIs have leading
    // zeros (an IMEI of TAC 01..., an IMSI written with a 0 first), so their text is padded.
    const matched = i % 3 === 0;
    const dev = matched ? i % 40 : 1000 + (i % 500);
    cdr.key = dev === 7 && this.listed !== undefined ? this.listed : dev % 5 === 3 ? 1234567000000 + dev : 35693803560000 + dev;
    cdr.imeiLen = 15;
    cdr.imeiSuffix = i % 10;
    // Every 6th matched key shows its second IMSI only in the second half (a key seen with one IMSI for a while).
    const second = matched && Math.floor(i / 40) % 2 === 0 && (dev % 6 !== 1 || i > WARMUP_ROWS / 2);
    cdr.imsi = (dev % 7 === 5 ? 71610000000000 : 716100000000000) + dev * 10 + (second ? 1 : 0);
    cdr.imsiLen = 15;
    cdr.msisdn = 51987000000 + dev;
    // No MSISDN in the first rows and in every 11th (a key's CDRs are 120 rows apart): an IMSI is seen first
    // without one and later with one, and the other way round.
    cdr.msisdnLen = i < 600 || i % 11 === 0 ? 0 : 11;
    cdr.eventType = EVENT_TYPES[i % EVENT_TYPES.length];
    // Mostly in order; now and then late (2 h back), years ahead or in 1970 (implausible).
    cdr.startMs = i % 211 === 7 ? t - 7_200_000 : i % 307 === 11 ? t + 5 * 365 * 86_400_000 : i % 409 === 13 ? 86_400_000 : t - (i % 13) * 1000;
    // SMS (no duration), calls and sessions of up to 5 min, and now and then a session of 2 h (long-lived).
    // Every 7th row is an SMS, so an SMS meets calls as well as SMS.
    cdr.endMs = cdr.startMs + (i % 7 === 0 ? 0 : i % 89 === 1 ? 7_200_000 : 1000 * (30 + (i % 300)) + (i % 3) * 250);
    // The catalogue's cells (cellsOfCatalogue): known ones far apart, so that time_distance fires too; unknown
    // ones; its ambiguous short key, if it has one; every 8th matched key always at one known cell (distance 0).
    const cell =
      i % 53 === 0 && rowCells.ambiguous !== null
        ? rowCells.ambiguous
        : matched && dev % 8 === 0
          ? rowCells.cells[dev + 1]
          : rowCells.cells[(i * 7) % rowCells.cells.length];
    cdr.radio = cell.radio;
    cdr.mcc = cell.mcc;
    cdr.mnc = cell.mnc;
    cdr.lac = cell.lac;
    cdr.ci = cell.ci;
    const repeated = i % 10 === 9;
    cdr.recordId = `warm-${repeated ? i - 5 : i}`;
    cdr.idHash = idHashString(cdr.recordId);
    // As a worker does (parsed-batch.ts markCellStatus, not called here: this thread never runs it for real).
    const status = matched ? 0 : this.cells.status(RADIO_INDEX[cdr.radio], cdr.mcc, cdr.mnc, cdr.lac, cdr.ci);
    const flags = (matched ? ROW_MATCH : status << ROW_CELL_SHIFT) | (repeated || i % 10 === 4 ? ROW_ID_CHECK : 0);
    builder.addCdr(cdr, i + 2, raw, i % 16, 40 + (i % 16), flags, (flags & ROW_NEEDS_ID) !== 0 ? cdr.recordId : '');
    if (matched && i % 51 === 0) {
      // CDRs that start at the same instant: of the same key (the other IMSI) and of the next key, so that the
      // matching order falls back on the key and the record_id.
      const { key, imsi } = cdr;
      for (let twin = 0; twin < 2; twin++) {
        cdr.key = twin === 0 ? key : key + 1;
        cdr.imsi = twin === 0 ? (imsi % 2 === 0 ? imsi + 1 : imsi - 1) : imsi;
        cdr.recordId = `warm-${i}-${twin}`;
        cdr.idHash = idHashString(cdr.recordId);
        builder.addCdr(cdr, i + 2, raw, 0, 40, flags, (flags & ROW_NEEDS_ID) !== 0 ? cdr.recordId : '');
      }
    }
  }
}
