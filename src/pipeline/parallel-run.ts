import { expectDetachedBuffers } from '../domain/arrays.js';
import { timeBounds } from '../config/schema.js';
import { boundReject } from '../domain/reject.js';
import { Engine } from '../engine/engine.js';
import type { CsvResumePoint } from '../input/cdr-csv.js';
import { InputError } from '../domain/errors.js';
import { countReject, notePeak, RejectCap, writeOutputs, type FileRunOptions, type FileRunResult } from './file-run.js';
import { KeyImsiTable, warmUpTableMerge, type KeySet } from './multi-imsi-keys.js';
import { receivedBatch, parsedBatchTransfer, recycledBatch, type ParsedBatch } from './parsed-batch.js';
import { BatchAdmitter, warmUpAdmission } from './batch-admitter.js';
import { RepeatedIds } from './repeated-ids.js';
import type { ParseRequest, ParseUnit } from './parse-worker.js';
import { RANGE_PARTS, startScan, type ParallelScanOptions, type ParseWorker } from './scan-start.js';

export type { ParallelScanOptions } from './scan-start.js';

/** Single-part ranges at the end of the input, per worker. */
const TAIL_PARTS_PER_WORKER = 3;
/** Ranges a worker holds at once (one read, one waiting), so it never waits for the main thread to deal. */
const UNITS_QUEUED = 2;
/** Ranges dealt ahead of the one the main thread reads, per worker. */
const LOOKAHEAD_PER_WORKER = 2;

/** What the main thread has received of one unit so far. */
interface UnitState {
  unit: ParseUnit;
  /** The worker it was dealt to (null: not yet). */
  worker: ParseWorker | null;
  batches: Array<{ batch: ParsedBatch; bytes: number }>;
  rows: number | null;
  failure: InputError | null;
}

/** A parallel file run whose first pass has started: run() it, or stop() it when the run is not going ahead. */
export interface ParallelFileRun {
  run(opts: FileRunOptions): Promise<FileRunResult>;
  /** Stop the workers (idempotent; run() stops them too). */
  stop(): Promise<void>;
}

/**
 * `detect --threads N` over files: N worker threads read the files twice. Pass 1 (whole files and ranges of large
 * plain files, spread over the workers) finds the IMEI keys with two or more IMSIs and the record boundaries every
 * few MB; pass 2 parses and validates byte ranges between those boundaries, several at once, and sends the rows
 * back as columns. The main thread takes the ranges in file order and makes the ordered decisions (duplicate,
 * late) for every CDR, as a sequential run does, but matches only the CDRs of multi-IMSI keys. Outputs equal a
 * sequential run's; they are written as the input is read.
 */
export async function runFilesParallel(opts: FileRunOptions & { threads: number; rangeBytes?: number; inflatedBudgetBytes?: number }): Promise<FileRunResult> {
  return startFilesParallel(opts).run(opts);
}

/**
 * Start pass 1 of a parallel file run at once: it needs only the inputs and how to read them, so the workers
 * start and read while the caller loads the cell catalogue and the exception list (pass 2 needs those).
 */
export function startFilesParallel(opts: ParallelScanOptions): ParallelFileRun {
  // This thread sends batches back to the workers (transferred): domain/arrays.ts.
  expectDetachedBuffers();
  // The scan cli/main.ts started from the arguments, when it is this one (scan-start.ts).
  const scan = startScan(opts);
  const { inputs, workers, tables, idParts, splits, scanFailures } = scan;
  const units = new Map<number, UnitState>();
  // Pass 2 is dealt as the workers ask for it (a worker that reads faster reads more), one range at a time, at
  // most LOOKAHEAD ranges ahead of the one the main thread is reading.
  const order2: UnitState[] = [];
  let nextDeal = 0;
  let reading = 0;
  const lookahead = LOOKAHEAD_PER_WORKER * workers.length;
  const dealParse = (): void => {
    for (;;) {
      const free = workers.filter((w) => w.busy < UNITS_QUEUED && w.failed === null).sort((a, b) => a.busy - b.busy);
      if (free.length === 0 || nextDeal >= order2.length || nextDeal > reading + lookahead) return;
      const u = order2[nextDeal++];
      if (u.worker !== null) continue; // an input that failed in pass 1: nothing to read
      const w = free[0];
      u.worker = w;
      w.busy++;
      w.worker.postMessage({ type: 'parse', unit: u.unit } satisfies ParseRequest);
    }
  };
  scan.onUnit = (w, m) => {
    if (m.type === 'batch') units.get(m.unit)!.batches.push({ batch: receivedBatch(m.batch), bytes: m.bytes });
    else {
      const u = units.get(m.unit)!;
      if (m.type === 'failed') u.failure = new InputError(m.message, m.code);
      else if (m.type === 'end') u.rows = m.rows;
      w.busy--;
      dealParse();
    }
  };
  const until = (ready: () => boolean): Promise<void> => scan.until(ready);
  const stop = (): Promise<void> => scan.stop();
  const started = scan.started;

  const run = async (opts: FileRunOptions): Promise<FileRunResult> => {
    const clock = opts.clock ?? Date.now;
    const cfg = opts.config;
    // The main thread would wait for pass 1 here: it reads its own warm-up meanwhile (batch-admitter.ts). The run's
    // engine is made after it: an object made before carries the maps the warm-up then changed (a field that
    // held a small integer comes to hold a fraction), and V8 would throw away the compiled code at its first CDR.
    try {
      await warmUpAdmission(cfg, { cells: opts.cells, exceptions: opts.exceptions, tacs: opts.tacs });
      warmUpTableMerge();
      RepeatedIds.warmUpMerge();
      const engine = new Engine(cfg, { cells: opts.cells, exceptions: opts.exceptions, tacs: opts.tacs });
      const counters = engine.counters;
      const cap = new RejectCap(cfg.maxRejectsPerReason, counters);
      const admit = new BatchAdmitter(engine, timeBounds(cfg), cfg.allowedLatenessS, cap);
      for (const r of opts.referenceRejects) {
        countReject(counters, r.reason);
        if (cap.keep(r)) admit.rejects.push(boundReject(r));
      }
      const peak = engine.stats();
      await until(() => tables.length === workers.length);
      // The largest table as it came (moved, not copied), the others folded into it.
      const [largest, ...rest] = [...tables].sort((x, y) => y.size - x.size);
      const table = new KeyImsiTable(0, largest);
      for (const cols of rest) table.merge(new KeyImsiTable(0, cols));
      const matchKeys: KeySet = table.multiKeys();
      const ids = RepeatedIds.merge(idParts).buffers;
      const cells = opts.cells.sharedKeys();
      for (const w of workers) w.worker.postMessage({ type: 'keys', slots: matchKeys.slots(), ids, cells } satisfies ParseRequest);

      // Pass 2: ranges in file order, RANGE_PARTS parts each but single parts at the end.
      const parts = inputs.flatMap((input, index) => {
        if (scanFailures.has(index)) return [{ index, from: null, to: undefined }];
        const bounds: Array<CsvResumePoint | null> = [null, ...(splits.get(index)?.points ?? [])];
        return bounds.map((from, k) => ({ index, from, to: k + 1 < bounds.length ? bounds[k + 1]!.offset : undefined }));
      });
      const tail = parts.length - TAIL_PARTS_PER_WORKER * workers.length;
      for (let k = 0; k < parts.length; ) {
        const { index, from } = parts[k];
        let end = k + 1;
        while (end < parts.length && end - k < RANGE_PARTS && end < tail && parts[end].index === index) end++;
        const to = parts[end - 1].to;
        k = end;
        const input = inputs[index];
        const id = units.size;
        const failure = scanFailures.get(index);
        const memory = splits.get(index)?.memory;
        const unit: ParseUnit = memory ? { id, input, from, to, memory } : { id, input, from, to };
        // An input that failed in pass 1 is reported when the main thread reaches it, as a sequential run would.
        const u: UnitState = failure ? { unit, worker: workers[0], batches: [], rows: 0, failure } : { unit, worker: null, batches: [], rows: null, failure: null };
        units.set(id, u);
        order2.push(u);
      }
      dealParse();

      let now = clock();
      const emit = async (final: boolean): Promise<void> => {
        const written = admit.takeRejects();
        await writeOutputs(engine, opts.sinks, written, final, now);
      };
      for (const u of order2) {
        dealParse();
        for (;;) {
          await until(() => u.batches.length > 0 || u.rows !== null || u.failure !== null);
          if (u.batches.length === 0) {
            if (u.failure) throw u.failure;
            if (u.rows !== null) break;
            continue;
          }
          const { batch: b, bytes } = u.batches.shift()!;
          const worker = u.worker!.worker;
          worker.postMessage({ type: 'credit' } satisfies ParseRequest);
          now = clock();
          admit.batch(b, u.unit.input.name, now, Date.now());
          // Its arrays go back to the worker (moved, not copied); its strings and rejects stay here.
          worker.postMessage({ type: 'recycle', batch: recycledBatch(b) } satisfies ParseRequest, parsedBatchTransfer(b));
          opts.onBytes?.(bytes);
          await emit(false);
          notePeak(engine, peak);
        }
        counters.recordsRead += u.rows!;
        reading++;
        u.unit.memory = undefined; // read: its inflated bytes can go
      }
      now = clock();
      notePeak(engine, peak);
      await emit(true);
      for (const s of opts.sinks) await s.flush();
      return { counters, referenceRejects: opts.referenceRejects.length, peak, elapsedMs: performance.now() - started };
    } finally {
      await stop();
    }
  };
  return { run, stop };
}
