import { Worker } from 'node:worker_threads';
import type { Reject } from '../domain/types.js';
import { implausibleTime, tzOffsetMinutes } from '../domain/time.js';
import { timeBounds } from '../config/schema.js';
import { boundReject, makeReject } from '../domain/reject.js';
import { Engine } from '../engine/engine.js';
import type { CsvResumePoint } from '../input/cdr-csv.js';
import { isGzipFile } from '../input/cdr-files.js';
import { InputError } from '../domain/errors.js';
import type { OutputBatch } from '../sinks/sink.js';
import { admissionDetail } from '../engine/admission.js';
import { countReject, rejectCap, type FileRunOptions, type FileRunResult } from './file-run.js';
import { KeyImsiTable, type KeySet } from './multi-imsi-keys.js';
import { batchCdr, batchIdHash, batchLine, batchRaw, batchStartMs, parsedBatchTransfer, ROW_CELL_SHIFT, ROW_ID_CHECK, ROW_MATCH, ROW_NEEDS_ID, type ParsedBatch } from './parsed-batch.js';
import { GZIP_RATIO, RepeatedIds } from './repeated-ids.js';
import type { CellStatus } from '../domain/lookups.js';
import type { ParseReply, ParseRequest, ParseUnit, ParseWorkerData } from './parse-worker.js';

/** A plain file is split into byte ranges of about this size (at record starts), read by the workers in turn. */
const RANGE_BYTES = 8 << 20;
const BATCH_ROWS = 8192;
/** Batches a worker may have sent and not yet seen consumed: about one range ahead of the main thread. */
const MAX_IN_FLIGHT = 12;

interface ParseWorker {
  worker: Worker;
  failed: Error | null;
}

/** What the main thread has received of one unit so far. */
interface UnitState {
  unit: ParseUnit;
  worker: ParseWorker;
  batches: Array<{ batch: ParsedBatch; bytes: number }>;
  rows: number | null;
  failure: InputError | null;
}

/**
 * `detect --threads N` over files: N worker threads read the files twice. Pass 1 (whole files, spread over the
 * workers) finds the IMEI keys with two or more IMSIs and the record boundaries every few MB; pass 2 parses and
 * validates byte ranges between those boundaries, several at once, and sends the rows back as columns. The main
 * thread takes the ranges in file order and makes the ordered decisions (duplicate, late) for every CDR, as a
 * sequential run does, but matches only the CDRs of multi-IMSI keys. Outputs equal a sequential run's; they are
 * written as the input is read.
 */
export async function runFilesParallel(opts: FileRunOptions & { threads: number; rangeBytes?: number }): Promise<FileRunResult> {
  const rangeBytes = opts.rangeBytes ?? RANGE_BYTES;
  const clock = opts.clock ?? Date.now;
  const started = performance.now();
  const cfg = opts.config;
  const tz = tzOffsetMinutes(cfg.timezone);
  const engine = new Engine(cfg, { cells: opts.cells, exceptions: opts.exceptions, tacs: opts.tacs });
  const counters = engine.counters;
  const keep = rejectCap(cfg.maxRejectsPerReason, counters);
  let rejects: Reject[] = [];
  for (const r of opts.referenceRejects) {
    countReject(counters, r.reason);
    if (keep(r)) rejects.push(boundReject(r));
  }
  const bounds = timeBounds(cfg);
  const peak = engine.stats();

  const ids = RepeatedIds.forBytes(
    opts.inputs.reduce((sum, i) => sum + (isGzipFile(i.path) ? GZIP_RATIO : 1) * i.bytes, 0),
    true,
  );
  const data: ParseWorkerData = { tzOffsetMin: tz, maxLineBytes: cfg.maxLineBytes, batchRows: BATCH_ROWS, maxInFlight: MAX_IN_FLIGHT, ids: ids.sharedMemory, cells: opts.cells.sharedKeys() };
  const workers: ParseWorker[] = [];
  const units = new Map<number, UnitState>();
  let wake: (() => void) | null = null;
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const scanned: Array<Extract<ParseReply, { type: 'scanned' }>> = [];
  const scanFailures = new Map<number, InputError>();
  for (let i = 0; i < opts.threads; i++) {
    const w: ParseWorker = { worker: new Worker(new URL('./parse-worker.js', import.meta.url), { workerData: data }), failed: null };
    w.worker.on('message', (m: ParseReply) => {
      if (m.type === 'scanned') scanned.push(m);
      else if (m.type === 'failed') {
        const err = new InputError(m.message, m.code);
        if (m.unit < 0) scanFailures.set(-1 - m.unit, err);
        else units.get(m.unit)!.failure = err;
      } else if (m.type === 'batch') units.get(m.unit)!.batches.push({ batch: m.batch, bytes: m.bytes });
      else units.get(m.unit)!.rows = m.rows;
      poke();
    });
    w.worker.on('error', (err) => {
      w.failed = err;
      poke();
    });
    w.worker.on('exit', (code) => {
      w.failed ??= new Error(`a parse worker stopped (exit code ${code}) before the end of input`);
      poke();
    });
    workers.push(w);
  }
  const until = async (ready: () => boolean): Promise<void> => {
    for (;;) {
      const f = workers.find((w) => w.failed)?.failed;
      if (f) throw f;
      if (ready()) return;
      await new Promise<void>((r) => (wake = r));
    }
  };

  try {
    // Pass 1: whole inputs, largest first, each to the worker with the fewest bytes so far.
    const plain = opts.inputs.map((i) => !isGzipFile(i.path));
    const load = workers.map(() => 0);
    const jobs: Array<Array<{ index: number; input: (typeof opts.inputs)[number]; splitBytes: number }>> = workers.map(() => []);
    const order = opts.inputs.map((_, i) => i).sort((a, b) => opts.inputs[b].bytes - opts.inputs[a].bytes);
    for (const index of order) {
      const w = load.indexOf(Math.min(...load));
      load[w] += opts.inputs[index].bytes;
      jobs[w].push({ index, input: opts.inputs[index], splitBytes: plain[index] ? rangeBytes : 0 });
    }
    workers.forEach((w, i) => w.worker.postMessage({ type: 'scan', inputs: jobs[i] } satisfies ParseRequest));
    await until(() => scanned.length === workers.length);
    const table = new KeyImsiTable();
    const splits = new Map<number, CsvResumePoint[]>();
    for (const s of scanned) {
      table.merge(new KeyImsiTable(0, s.cols));
      for (const { index, points } of s.splits) splits.set(index, points);
    }
    const matchKeys: KeySet = table.multiKeys();
    for (const w of workers) w.worker.postMessage({ type: 'keys', slots: matchKeys.slots() } satisfies ParseRequest);

    // Pass 2: ranges in file order, dealt to the workers in turn.
    const order2: UnitState[] = [];
    opts.inputs.forEach((input, index) => {
      if (scanFailures.has(index)) {
        const u: UnitState = { unit: { id: units.size, input, from: null, to: undefined }, worker: workers[0], batches: [], rows: 0, failure: scanFailures.get(index)! };
        units.set(u.unit.id, u);
        order2.push(u);
        return;
      }
      const points = splits.get(index) ?? [];
      const bounds: Array<CsvResumePoint | null> = [null, ...points];
      bounds.forEach((from, k) => {
        const to = k + 1 < bounds.length ? bounds[k + 1]!.offset : undefined;
        const id = units.size;
        const worker = workers[id % workers.length];
        const u: UnitState = { unit: { id, input, from, to }, worker, batches: [], rows: null, failure: null };
        units.set(id, u);
        order2.push(u);
        worker.worker.postMessage({ type: 'parse', unit: u.unit } satisfies ParseRequest);
      });
    });

    let now = clock();
    const emit = async (final: boolean): Promise<void> => {
      if (final) engine.drain(now);
      const out = engine.take();
      const batch: OutputBatch = { findings: out.findings, candidates: out.candidates, rejects };
      rejects = [];
      if (batch.findings.length || batch.candidates.length || batch.rejects.length) {
        for (const s of opts.sinks) await s.write(batch);
      }
    };
    const latenessS = cfg.allowedLatenessS;
    for (const u of order2) {
      for (;;) {
        await until(() => u.batches.length > 0 || u.rows !== null || u.failure !== null);
        if (u.batches.length === 0) {
          if (u.failure) throw u.failure;
          if (u.rows !== null) break;
          continue;
        }
        const { batch: b, bytes } = u.batches.shift()!;
        u.worker.worker.postMessage({ type: 'credit' } satisfies ParseRequest);
        now = clock();
        const wallMs = Date.now();
        let c = 0;
        let r = 0;
        let k = 0;
        for (let i = 0; i < b.n; i++) {
          if (b.isReject[i] === 1) {
            const rej = b.rejects[r++];
            countReject(counters, rej.reason);
            if (keep(rej)) rejects.push(rej);
            continue;
          }
          // Only a CDR the engine matches becomes an object; the others are offered as the few numbers
          // admission and the counters need.
          const flags = b.flags[c];
          const match = (flags & ROW_MATCH) !== 0;
          const recordId = (flags & ROW_NEEDS_ID) !== 0 ? b.recordIds[k++] : '';
          const startMs = batchStartMs(b, c);
          // As admittingParser: plausible times (against the wall clock when the batch arrived) before admission,
          // then the ordered duplicate/late decision.
          const implausible = implausibleTime(startMs, wallMs, bounds);
          if (implausible !== null) {
            countReject(counters, 'invalid_time');
            const rej = makeReject(u.unit.input.name, batchLine(b, c), 'invalid_time', implausible, batchRaw(b, c));
            if (keep(rej)) rejects.push(rej);
          } else {
            const checkId = (flags & ROW_ID_CHECK) !== 0;
            const why = match
              ? engine.offer(batchCdr(b, c, recordId), now, true, checkId)
              : engine.offerUnmatched(startMs, recordId, batchIdHash(b, c), checkId, (flags >>> ROW_CELL_SHIFT) as CellStatus, now);
            if (why !== null) {
              countReject(counters, why);
              const rej = makeReject(u.unit.input.name, batchLine(b, c), why, admissionDetail(why, recordId, engine.maxEventTimeMs, latenessS), batchRaw(b, c));
              if (keep(rej)) rejects.push(rej);
            }
          }
          c++;
        }
        // Its arrays go back to the worker (moved, not copied); its strings and rejects stay here.
        b.recordIds = [];
        b.rejects = [];
        u.worker.worker.postMessage({ type: 'recycle', batch: b } satisfies ParseRequest, parsedBatchTransfer(b));
        opts.onBytes?.(bytes);
        await emit(false);
        const st = engine.stats();
        if (st.activeImeis > peak.activeImeis) Object.assign(peak, st);
      }
      counters.recordsRead += u.rows!;
    }
    now = clock();
    const st = engine.stats();
    if (st.activeImeis > peak.activeImeis) Object.assign(peak, st);
    await emit(true);
    for (const s of opts.sinks) await s.flush();
  } finally {
    for (const w of workers) w.worker.removeAllListeners('exit');
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
  return { counters, referenceRejects: opts.referenceRejects.length, peak, elapsedMs: performance.now() - started };
}
