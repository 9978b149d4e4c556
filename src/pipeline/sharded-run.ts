import { expectDetachedBuffers } from '../domain/arrays.js';
import { Worker } from 'node:worker_threads';
import type { BlockCandidate, Finding, Reject, RunCounters } from '../domain/types.js';
import { emptyCounters, RULES } from '../domain/types.js';
import { Admission } from '../engine/admission.js';
import { readCdrChunks } from '../input/cdr-files.js';
import { tzOffsetMinutes } from '../domain/time.js';
import { batchTransfer, CdrBatchBuilder, type CdrBatch } from './cdr-batch.js';
import { boundReject } from '../domain/reject.js';
import { admittingParser, countReject, RejectCap, type FileRunOptions, type FileRunResult } from './file-run.js';

export type ShardRequest = { type: 'batch'; batch: CdrBatch } | { type: 'finish' };
export interface ShardReply {
  type: 'ack' | 'done' | 'ready';
  findings: Finding[];
  candidates: BlockCandidate[];
  candidateAfter: number[];
  counters: RunCounters;
  peakImeis: number;
  peakRecords: number;
}

const BATCH_ROWS = 16384;
/** Batches a shard may have in flight before the reader waits for it. */
const MAX_IN_FLIGHT = 3;

interface Shard {
  worker: Worker;
  builder: CdrBatchBuilder;
  inFlight: number;
  /** Findings and candidates in the order this shard's engine emitted them. */
  events: Array<{ f?: Finding; c?: BlockCandidate }>;
  last: ShardReply | null;
  wake: (() => void) | null;
  failed: Error | null;
  done: Promise<void>;
}

/**
 * `detect --threads N`: the reader admits CDRs on the main thread (duplicates and lateness need every
 * record_id and the newest event time), then shards them by IMEI key to N worker threads, each with its
 * own engine. Findings of one IMEI come from one engine, so they are the same as in one thread; the
 * outputs of the shards are merged back into the order one engine would have written (the start, IMEI key
 * and record_id of each finding's later CDR) and written when the input ends.
 */
export async function runFilesSharded(opts: FileRunOptions & { threads: number; cellsPath: string; exceptionsPath?: string }): Promise<FileRunResult> {
  // This thread transfers every batch to a shard: domain/arrays.ts.
  expectDetachedBuffers();
  const started = performance.now();
  const cfg = opts.config;
  const counters = emptyCounters();
  const latenessMs = cfg.allowedLatenessS * 1000;
  const admission = new Admission(latenessMs, cfg.windowS * 1000 + latenessMs);
  const tz = tzOffsetMinutes(cfg.timezone);
  const cap = new RejectCap(cfg.maxRejectsPerReason, counters);
  let rejects: Reject[] = [];
  for (const r of opts.referenceRejects) {
    countReject(counters, r.reason);
    if (cap.keep(r)) rejects.push(boundReject(r));
  }

  const shards: Shard[] = [];
  for (let i = 0; i < opts.threads; i++) shards.push(startShard(cfg, opts.cellsPath, opts.exceptionsPath));
  const failure = () => shards.find((s) => s.failed)?.failed ?? null;
  const send = (s: Shard) => {
    if (s.builder.size === 0) return;
    const batch = s.builder.take();
    s.inFlight++;
    s.worker.postMessage({ type: 'batch', batch } satisfies ShardRequest, batchTransfer(batch));
  };

  try {
    await Promise.all(shards.map((s) => waitFor(s, () => s.last !== null)));
    for (const input of opts.inputs) {
      const source = input.name;
      const parser = admittingParser(source, tz, counters, cfg.allowedLatenessS, (r) => cap.keep(r) && rejects.push(r), (cdr) => {
        const why = admission.admit(cdr.recordId, cdr.idHash, cdr.startMs);
        if (why !== null) return why;
        counters.recordsAccepted++;
        const s = shards[cdr.key % shards.length];
        s.builder.add(cdr);
        if (s.builder.full) send(s);
        return null;
      }, () => admission.maxEventTimeMs, cfg);
      for await (const chunk of readCdrChunks(input, opts.onBytes)) {
        parser.push(chunk);
        if (rejects.length) {
          const batch = { findings: [], candidates: [], rejects };
          rejects = [];
          for (const sink of opts.sinks) await sink.write(batch);
        }
        for (const s of shards) if (s.inFlight >= MAX_IN_FLIGHT) await waitFor(s, () => s.inFlight < MAX_IN_FLIGHT);
        const f = failure();
        if (f) throw f;
      }
      parser.end();
      counters.recordsRead += parser.rows;
    }
    for (const s of shards) {
      send(s);
      s.worker.postMessage({ type: 'finish' } satisfies ShardRequest);
    }
    await Promise.all(shards.map((s) => s.done));
  } finally {
    await Promise.all(shards.map((s) => s.worker.terminate()));
  }

  const { findings, candidates } = mergeShards(shards);
  for (const s of shards) {
    const c = s.last!.counters;
    for (const r of RULES) {
      counters.findingsByRule[r] += c.findingsByRule[r];
      counters.suppressedByRule[r] += c.suppressedByRule[r];
    }
    counters.candidates += c.candidates;
    counters.unknownCell += c.unknownCell;
    counters.ambiguousCell += c.ambiguousCell;
  }
  const batch = { findings, candidates, rejects };
  if (findings.length || candidates.length || rejects.length) for (const sink of opts.sinks) await sink.write(batch);
  for (const sink of opts.sinks) await sink.flush();
  const peakImeis = shards.reduce((n, s) => n + s.last!.peakImeis, 0);
  const peakRecords = shards.reduce((n, s) => n + s.last!.peakRecords, 0);
  return {
    counters,
    referenceRejects: opts.referenceRejects.length,
    peak: { activeImeis: peakImeis, windowRecords: peakRecords, approxStateBytes: 0, bufferedRecords: 0, trackedRecordIds: admission.trackedIds, suppressionEntries: 0, candidateStates: 0, historyImeis: 0, historyBytes: 0 },
    elapsedMs: performance.now() - started,
  };
}

function startShard(config: FileRunOptions['config'], cellsPath: string, exceptionsPath: string | undefined): Shard {
  const worker = new Worker(new URL('./shard-worker.js', import.meta.url), { workerData: { config, cellsPath, exceptionsPath } });
  const s: Shard = { worker, builder: new CdrBatchBuilder(BATCH_ROWS), inFlight: 0, events: [], last: null, wake: null, failed: null, done: Promise.resolve() };
  s.done = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: ShardReply) => {
      if (m.type !== 'ready') {
        let k = 0;
        for (let i = 0; i < m.findings.length; i++) {
          while (k < m.candidates.length && m.candidateAfter[k] === i) s.events.push({ c: m.candidates[k++] });
          s.events.push({ f: m.findings[i] });
        }
        while (k < m.candidates.length) s.events.push({ c: m.candidates[k++] });
      }
      if (m.type === 'ack') s.inFlight--;
      s.last = m;
      if (m.type === 'done') resolve();
      s.wake?.();
    });
    worker.on('error', (err) => {
      s.failed = err;
      s.wake?.();
      reject(err);
    });
    worker.on('exit', (code) => {
      if (s.last?.type !== 'done') {
        s.failed ??= new Error(`a shard worker stopped (exit code ${code}) before the end of input`);
        s.wake?.();
        reject(s.failed);
      }
    });
  });
  s.done.catch(() => undefined);
  return s;
}

function waitFor(s: Shard, ready: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (s.failed) reject(s.failed);
      else if (ready()) {
        s.wake = null;
        resolve();
      } else s.wake = check;
    };
    check();
  });
}

/** Merge the shards' outputs into one engine's order: by the start, IMEI key and record_id of each finding's later CDR. */
function mergeShards(shards: Shard[]): { findings: Finding[]; candidates: BlockCandidate[] } {
  const all: Array<{ t: number; key: number; id: string; shard: number; seq: number; f?: Finding; c?: BlockCandidate }> = [];
  shards.forEach((s, shard) => {
    let t = -Infinity;
    let key = 0;
    let id = '';
    s.events.forEach((e, seq) => {
      if (e.f) {
        t = Date.parse(e.f.time_b);
        key = Number(e.f.imei);
        id = e.f.record_b;
      }
      all.push({ t, key, id, shard, seq, ...e });
    });
  });
  // The engine's matching order: start, IMEI key, record_id of the later CDR.
  all.sort((x, y) => x.t - y.t || x.key - y.key || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0) || x.shard - y.shard || x.seq - y.seq);
  const findings: Finding[] = [];
  const candidates: BlockCandidate[] = [];
  for (const e of all) {
    if (e.f) findings.push(e.f);
    else if (e.c) candidates.push(e.c);
  }
  return { findings, candidates };
}

