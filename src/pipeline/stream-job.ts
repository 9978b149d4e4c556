import { setTimeout as sleep } from 'node:timers/promises';
import { PartitionAssigners, type Admin, type Consumer, type ConsumerRunConfig, type EachBatchPayload, type Kafka, type Producer } from 'kafkajs';
import { stickyAssigner } from '../sources/kafka-sticky-assigner.js';
import type { Config } from '../config/schema.js';
import type { BlockCandidate, Finding, Reject, RejectReason } from '../domain/types.js';
import { Engine, type DedupState } from '../engine/engine.js';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateCdrMessage } from '../sources/cdr-json.js';
import type { Logger } from '../ops/log.js';
import type { StreamMetrics } from '../ops/stream-metrics.js';
import type { KafkaSink } from '../sinks/kafka-sink.js';
import type { OutputBatch, Sink } from '../sinks/sink.js';
import { tzOffsetMinutes } from '../domain/time.js';
import type { ReferenceData } from './stream-refs.js';
import { parseRebuildMeta, StreamPartition } from './stream-partition.js';

export interface StreamJobDeps {
  config: Config;
  kafka: Kafka;
  /** ClickHouse, files...: every output goes to each. */
  sinks: Sink[];
  /** Block candidates and CDR rejects to Kafka. */
  kafkaSink: KafkaSink;
  producer: Producer;
  refs: ReferenceData;
  log: Logger;
  metrics: StreamMetrics;
  clock?: () => number;
}

/** A failure of the job itself (a sink that gave up, a consumer that crashed): the process must stop. */
export class StreamJobError extends Error {
  constructor(
    message: string,
    readonly code: 'SINK_FAILED' | 'CONSUMER_CRASHED' | 'COMMIT_FAILED',
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StreamJobError';
  }
}

/** A snapshot file of one partition's suppression and candidate state (see StreamJobDeps / stream.stateDir). */
interface DedupSnapshot {
  v: 1;
  /** Every output derived from messages before this offset was confirmed by every sink when it was taken. */
  offset: number;
  state: DedupState;
}

const ZERO_STATS = { activeImeis: 0, windowRecords: 0, bufferedRecords: 0, approxStateBytes: 0 };

/**
 * `clonewatch run`: a consumer group on the CDR topic, one engine per assigned partition (messages are
 * keyed by IMEI key, so a device's window lives in one partition), outputs to every sink, and offsets
 * committed only after every sink confirmed what the messages before them produced (at-least-once).
 * See docs/streaming.md for the rebuild after an assignment.
 */
export class StreamJob {
  readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly parts = new Map<number, StreamPartition>();
  private generation = 0;
  private committed: Promise<Map<number, { offset: number; metadata: string | null }>> | null = null;
  private lock: Promise<unknown> = Promise.resolve();
  private lastCommitMs = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  /** Produce timestamps of findings written but not yet confirmed by every sink. */
  private unconfirmed: number[] = [];
  private readonly tz: number;
  private readonly clock: () => number;
  private stopping: Promise<void> | null = null;
  private crashed: ((err: Error) => void) | null = null;
  readonly done: Promise<void>;
  private failure: Error | null = null;
  /** For /healthz. */
  state: 'starting' | 'running' | 'stopping' | 'stopped' | 'failed' = 'starting';
  sinkStalledSinceMs: number | null = null;
  lastBatchMs = 0;
  private runningPromise: Promise<void> | null = null;
  private runConfig: ConsumerRunConfig | null = null;
  private restarts: number[] = [];

  constructor(private readonly d: StreamJobDeps) {
    const k = d.config.kafka;
    this.consumer = d.kafka.consumer({
      groupId: k.groupId,
      sessionTimeout: k.sessionTimeoutMs,
      heartbeatInterval: Math.max(100, Math.floor(k.sessionTimeoutMs / 3)),
      rebalanceTimeout: Math.max(k.sessionTimeoutMs * 2, 10000),
      maxBytesPerPartition: k.maxBytesPerPartition,
      maxBytes: k.maxBytes,
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
      // Sticky first (fewer moved partitions, fewer window re-reads), round-robin for groups with older members.
      partitionAssigners: [stickyAssigner(() => ({ [k.inputTopic]: this.assignedPartitions() })), PartitionAssigners.roundRobin],
    });
    this.admin = d.kafka.admin();
    this.tz = tzOffsetMinutes(d.config.timezone);
    this.clock = d.clock ?? Date.now;
    this.done = new Promise<void>((resolve, reject) => {
      this.crashed = reject;
      void resolve; // resolved by stop()
      this.resolveDone = resolve;
    });
    this.done.catch(() => {});
  }
  private resolveDone: () => void = () => {};

  /** Engine stats summed over the assigned partitions (for /metrics). */
  stats(): typeof ZERO_STATS {
    const s = { ...ZERO_STATS };
    for (const p of this.parts.values()) {
      const e = p.engine.stats();
      s.activeImeis += e.activeImeis;
      s.windowRecords += e.windowRecords;
      s.bufferedRecords += e.bufferedRecords;
      s.approxStateBytes += e.approxStateBytes;
    }
    return s;
  }

  /** Partitions of the CDR topic assigned to this instance by the last group join. */
  assignedPartitions(): number[] {
    return [...this.assignment].sort((a, b) => a - b);
  }
  private assignment = new Set<number>();

  /** New reference data applies to every partition's engine from its next CDR on. */
  setCells(c: Parameters<Engine['setCells']>[0]): void {
    for (const p of this.parts.values()) p.engine.setCells(c);
  }
  setExceptions(e: Parameters<Engine['setExceptions']>[0]): void {
    for (const p of this.parts.values()) p.engine.setExceptions(e);
  }

  async start(): Promise<void> {
    const k = this.d.config.kafka;
    const { consumer } = this;
    await this.admin.connect();
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.generation++;
      this.committed = null;
      const mine = new Set<number>(e.payload.memberAssignment[k.inputTopic] ?? []);
      this.assignment = mine;
      for (const p of [...this.parts.keys()]) {
        if (!mine.has(p)) {
          this.parts.delete(p);
          this.d.metrics.lag.delete({ partition: p });
        }
      }
      this.d.metrics.partitions.set(mine.size);
      this.d.log.info('joined the consumer group', { groupId: k.groupId, generation: this.generation, protocol: e.payload.groupProtocol, partitions: [...mine].sort((a, b) => a - b), leader: e.payload.isLeader });
    });
    consumer.on(consumer.events.CRASH, (e) => {
      const err = e.payload.error;
      if (e.payload.restart) {
        this.d.log.warn('consumer crashed; kafkajs restarts it', { error: err.message });
        return;
      }
      if (this.stopping || this.failure) return;
      // kafkajs gives up on errors it deems non-retriable (seen: a SyncGroup answered INVALID_REQUEST while a
      // member joins). Nothing is lost by rejoining: every partition is verified against its commit again.
      const now = this.clock();
      this.restarts = this.restarts.filter((t) => now - t < 600_000);
      if (this.restarts.length >= 5) {
        this.fail(new StreamJobError(`Kafka consumer crashed 5 times in 10 minutes: ${err.message}`, 'CONSUMER_CRASHED', true, { cause: err }));
        return;
      }
      this.restarts.push(now);
      this.d.log.warn('consumer crashed with an error kafkajs does not retry; rejoining the group', { error: err.message, restartsIn10Min: this.restarts.length });
      this.d.metrics.consumerRestarts.inc();
      setTimeout(() => {
        if (this.stopping || this.failure) return;
        void (async () => {
          await consumer.connect();
          await consumer.run(this.runConfig!);
        })().catch((e2: Error) => this.fail(new StreamJobError(`cannot restart the Kafka consumer: ${e2.message}`, 'CONSUMER_CRASHED', true, { cause: e2 })));
      }, 1000).unref();
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [k.inputTopic], fromBeginning: k.fromBeginning });
    this.lastCommitMs = this.clock();
    this.runConfig = {
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: k.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.withLock(() => this.onBatch(payload), payload.heartbeat),
    };
    this.runningPromise = consumer.run(this.runConfig);
    await this.runningPromise;
    this.state = 'running';
    const tick = Math.max(50, Math.min(500, Math.floor((this.d.config.stream.idleDrainMs || 1000) / 4)));
    let queued = false; // at most one idle pass waits for the lock (a stuck sink must not pile them up)
    this.idleTimer = setInterval(() => {
      if (queued) return;
      queued = true;
      void this.withLock(() => this.onIdle())
        .catch((err) => this.fail(err))
        .finally(() => (queued = false));
    }, tick);
    this.idleTimer.unref();
  }

  /** Serialise batches, idle drains and commits; a waiter keeps the group session alive. */
  private async withLock<T>(fn: () => Promise<T>, heartbeat?: () => Promise<void>): Promise<T> {
    const prev = this.lock;
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    this.lock = prev.then(() => mine);
    try {
      if (heartbeat) await this.keepAlive(prev.catch(() => {}), heartbeat);
      else await prev.catch(() => {});
      return await fn();
    } finally {
      release();
    }
  }

  /** Await `p`, heartbeating every second so a slow sink does not cost the partitions. */
  private async keepAlive<T>(p: Promise<T>, heartbeat?: () => Promise<void>): Promise<T> {
    let settled = false;
    const guarded = p.finally(() => (settled = true));
    for (;;) {
      const r = await Promise.race([guarded.then(() => 'done' as const), sleep(1000).then(() => 'tick' as const)]);
      if (r === 'done' || settled) return guarded;
      if (heartbeat) await heartbeat().catch(() => {});
    }
  }

  private committedOffsets(): Promise<Map<number, { offset: number; metadata: string | null }>> {
    const k = this.d.config.kafka;
    this.committed ??= this.admin.fetchOffsets({ groupId: k.groupId, topics: [k.inputTopic] }).then((res) => {
      const m = new Map<number, { offset: number; metadata: string | null }>();
      for (const t of res) for (const p of t.partitions) m.set(p.partition, { offset: Number(p.offset), metadata: p.metadata ?? null });
      return m;
    });
    const p = this.committed;
    p.catch(() => {
      if (this.committed === p) this.committed = null;
    });
    return p;
  }

  private snapshotPath(partition: number): string | null {
    const dir = this.d.config.stream.stateDir;
    if (!dir) return null;
    const k = this.d.config.kafka;
    const safe = (x: string) => x.replace(/[^A-Za-z0-9._-]/g, '_');
    return join(dir, `${safe(k.groupId)}__${safe(k.inputTopic)}__${partition}.json`);
  }

  private loadSnapshot(partition: number): DedupSnapshot | null {
    const path = this.snapshotPath(partition);
    if (!path) return null;
    try {
      const s = JSON.parse(readFileSync(path, 'utf8')) as DedupSnapshot;
      if (s.v === 1 && Number.isSafeInteger(s.offset) && s.state && Array.isArray(s.state.suppression)) return s;
      this.d.log.warn('ignoring a snapshot of another format', { path });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.d.log.warn('cannot read a state snapshot; rebuilding from the window only', { path, error: (err as Error).message });
    }
    return null;
  }

  /** After every sink confirmed: everything in the state before `nextOffset` is delivered. Atomic rename. */
  private saveSnapshots(parts: StreamPartition[], force: boolean): void {
    const now = this.clock();
    for (const p of parts) {
      const path = this.snapshotPath(p.partition);
      if (!path || (!force && now - p.lastSnapshotMs < this.d.config.stream.snapshotIntervalMs)) continue;
      try {
        mkdirSync(this.d.config.stream.stateDir!, { recursive: true });
        const snap: DedupSnapshot = { v: 1, offset: p.nextOffset, state: p.engine.exportDedupState() };
        writeFileSync(path + '.tmp', JSON.stringify(snap));
        renameSync(path + '.tmp', path);
        p.lastSnapshotMs = now;
      } catch (err) {
        this.d.log.warn('cannot write a state snapshot', { path, error: (err as Error).message });
      }
    }
  }

  private newEngine(): Engine {
    const c = this.d.config;
    return new Engine(c, { cells: this.d.refs.cells, exceptions: this.d.refs.exceptions }, { orderingDelayMs: c.stream.orderingDelayS * 1000 });
  }

  /**
   * The state of a partition for this batch, verified once per group generation against the committed
   * offset. A state that does not continue exactly where the commit stands is rebuilt: from the rebuild
   * offset in the commit metadata when there is one (seeking back there first), else empty.
   * Returns null when the batch must be skipped (a seek is under way).
   */
  private async partitionFor(partition: number, firstOffset: number): Promise<StreamPartition | null> {
    const topic = this.d.config.kafka.inputTopic;
    const cur = this.parts.get(partition);
    if (cur && cur.generation === this.generation) {
      if (cur.seeking) {
        cur.seeking = false;
        if (firstOffset > cur.nextOffset) {
          this.d.log.warn('rebuild start is no longer in the log (retention); the rebuilt window may miss older CDRs', { partition, wanted: cur.nextOffset, got: firstOffset });
          cur.nextOffset = firstOffset;
        }
      }
      return cur;
    }
    const committed = (await this.committedOffsets()).get(partition) ?? { offset: -1, metadata: null };
    if (cur && committed.offset === cur.nextOffset && !cur.dirty) {
      cur.generation = this.generation;
      return cur;
    }
    const meta = parseRebuildMeta(committed.metadata);
    const snapshot = this.loadSnapshot(partition);
    const engine = this.newEngine();
    if (snapshot) {
      engine.importDedupState(snapshot.state);
      this.d.log.info('suppression and candidate state restored from snapshot', { partition, snapshotOffset: snapshot.offset, committed: committed.offset, suppressionEntries: snapshot.state.suppression.length, candidates: snapshot.state.candidates.length });
    }
    let st: StreamPartition;
    if (committed.offset >= 0 && meta && meta.from < committed.offset) {
      st = new StreamPartition(partition, engine, this.d.config, { from: meta.from, rebuildUntil: committed.offset, wmMs: meta.wm, drained: meta.drained, generation: this.generation });
      this.d.log.info('rebuilding partition state', { partition, from: meta.from, committed: committed.offset, records: committed.offset - meta.from });
      this.parts.set(partition, st);
      if (firstOffset !== meta.from) {
        st.seeking = true;
        this.consumer.seek({ topic, partition, offset: String(meta.from) });
        return null;
      }
    } else {
      const from = committed.offset >= 0 ? committed.offset : firstOffset;
      if (committed.offset > 0 && !meta) this.d.log.warn('committed offset has no rebuild metadata; window state starts empty', { partition, committed: committed.offset });
      st = new StreamPartition(partition, engine, this.d.config, { from, rebuildUntil: from, wmMs: meta?.wm ?? null, drained: true, generation: this.generation });
      this.parts.set(partition, st);
      if (firstOffset < from) {
        st.seeking = true;
        this.consumer.seek({ topic, partition, offset: String(from) });
        return null;
      }
    }
    return st;
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (this.d.log.enabled('debug')) this.d.log.debug('batch', { partition: batch.partition, first: batch.firstOffset(), last: batch.lastOffset(), messages: batch.messages.length, hw: batch.highWatermark, next: this.parts.get(batch.partition)?.nextOffset });
    if (batch.isEmpty() || this.failure) return;
    const t0 = performance.now();
    const st = await this.partitionFor(batch.partition, Number(batch.firstOffset()));
    if (st === null) return;
    const m = this.d.metrics;
    const topic = batch.topic;
    const rejects: Reject[] = [];
    const findings: Finding[] = [];
    const candidates: BlockCandidate[] = [];
    const now = this.clock();
    const lateness = this.d.config.allowedLatenessS;
    let last = -1;
    let liveCount = 0;
    let rebuildCount = 0;
    st.noteBatchStart(Math.max(st.nextOffset, Number(batch.firstOffset())));
    for (const msg of batch.messages) {
      if (!isRunning() || isStale()) break;
      const offset = Number(msg.offset);
      if (offset < st.nextOffset) continue;
      const live = offset >= st.rebuildUntil;
      let why: RejectReason | null = null;
      let detail = '';
      if (msg.value === null || msg.value.length === 0) {
        why = 'malformed_row';
        detail = 'empty message value';
      } else {
        const v = validateCdrMessage(msg.value, this.tz);
        if (v.ok) {
          if (st.lateInReplay(v.cdr.startMs)) {
            // Behind the watermark the partition had before the rebuild start: late in the original run
            // (kept out of the rebuilt state), and late now.
            why = 'late_record';
            detail = `start is more than ${lateness} s behind the newest event time accepted in partition ${batch.partition}`;
          } else {
            const r = st.engine.offer(v.cdr, now);
            if (r === null) st.drained = false;
            else {
              why = r;
              detail = r === 'late_record' ? `start is more than ${lateness} s behind the newest event time accepted in partition ${batch.partition}` : `record_id ${v.cdr.recordId} was already accepted`;
            }
          }
        } else {
          why = v.reason;
          detail = v.detail;
        }
      }
      st.nextOffset = offset + 1;
      last = offset;
      if (live) {
        liveCount++;
        if (why !== null) {
          m.rejects.inc({ reason: why });
          rejects.push({ source: `${topic}/${batch.partition}/${offset}`, line: null, reason: why, detail, raw: msg.value === null ? '' : msg.value.toString('utf8') });
        }
        const out = st.engine.take();
        if (out.findings.length || out.candidates.length) {
          const ts = Number(msg.timestamp);
          for (const f of out.findings) {
            findings.push(f);
            this.unconfirmed.push(ts);
          }
          for (const c of out.candidates) candidates.push(c);
        }
      } else {
        rebuildCount++;
        if (st.nextOffset >= st.rebuildUntil) {
          st.rebuildDone(now);
          this.d.log.info('partition state rebuilt', { partition: batch.partition, until: st.rebuildUntil, ...st.engine.stats() });
        }
      }
    }
    if (liveCount > 0) {
      m.recordsIn.inc(undefined, liveCount);
      st.lastMessageMs = now;
    }
    if (rebuildCount > 0) m.rebuildRecords.inc(undefined, rebuildCount);
    if (last >= 0) {
      resolveOffset(String(last));
      st.dirty = true;
    }
    await this.emit({ findings, candidates, rejects }, heartbeat);
    const hw = Number(batch.highWatermark);
    if (Number.isFinite(hw)) m.lag.set(Math.max(0, hw - st.nextOffset), { partition: batch.partition });
    m.batchSeconds.observe((performance.now() - t0) / 1000);
    this.lastBatchMs = this.clock();
    if (this.clock() - this.lastCommitMs >= this.d.config.kafka.commitIntervalMs) await this.commit(heartbeat);
  }

  private async emit(batch: OutputBatch, heartbeat?: () => Promise<void>): Promise<void> {
    if (batch.findings.length === 0 && batch.candidates.length === 0 && batch.rejects.length === 0) return;
    const m = this.d.metrics;
    for (const f of batch.findings) m.findings.inc({ rule: f.rule });
    m.candidates.inc(undefined, batch.candidates.length);
    await this.keepAlive(Promise.all([this.d.kafkaSink.write(batch), ...this.d.sinks.map((s) => s.write(batch))]), heartbeat);
  }

  /** Reference rejects (catalogue, exception list) go to the data sinks, not to the CDR dead-letter topic. */
  async emitReferenceRejects(rejects: Reject[]): Promise<void> {
    if (rejects.length === 0) return;
    await this.withLock(async () => {
      for (const r of rejects) this.d.metrics.rejects.inc({ reason: r.reason });
      await Promise.all(this.d.sinks.map((s) => s.write({ findings: [], candidates: [], rejects })));
    });
  }

  /** Idle partitions: match what waits in the buffer, so the last CDRs before a pause are not held back. */
  private async onIdle(): Promise<void> {
    if (this.state !== 'running' || this.failure) return;
    const idleMs = this.d.config.stream.idleDrainMs;
    const now = this.clock();
    if (idleMs > 0) {
      const findings: Finding[] = [];
      const candidates: BlockCandidate[] = [];
      for (const st of this.parts.values()) {
        if (st.drained || st.rebuilding || now - st.lastMessageMs < idleMs) continue;
        st.engine.drain(now);
        st.drained = true;
        st.dirty = true; // the commit metadata records the drain
        const out = st.engine.take();
        for (const f of out.findings) {
          findings.push(f);
          this.unconfirmed.push(st.lastMessageMs);
        }
        candidates.push(...out.candidates);
      }
      await this.emit({ findings, candidates, rejects: [] });
    }
    if (now - this.lastCommitMs >= this.d.config.kafka.commitIntervalMs) await this.commit();
  }

  /**
   * Flush every sink, then commit the offsets reached (with their rebuild metadata). A sink that keeps
   * failing holds the commit back (its rows stay buffered and are retried); one that gives up stops the job.
   */
  private async commit(heartbeat?: () => Promise<void>, final = false): Promise<void> {
    const t0 = performance.now();
    this.lastCommitMs = this.clock();
    const dirty = [...this.parts.values()].filter((p) => p.dirty && p.generation === this.generation && !p.rebuilding);
    const confirming = this.unconfirmed;
    this.unconfirmed = [];
    const sinks: Sink[] = [this.d.kafkaSink, ...this.d.sinks];
    const stalled = setTimeout(() => {
      this.sinkStalledSinceMs = this.clock();
      this.d.metrics.sinkFailures.inc({ sink: 'stalled' });
      this.d.log.warn('sinks are slow to confirm; offsets are not committed until they do', {});
    }, 5000);
    try {
      await this.keepAlive(
        Promise.all(
          sinks.map((s) =>
            s.flush().catch((err: Error) => {
              this.d.metrics.sinkFailures.inc({ sink: s.name });
              throw new StreamJobError(`sink ${s.name} failed: ${err.message}`, 'SINK_FAILED', true, { cause: err });
            }),
          ),
        ),
        heartbeat,
      );
    } catch (err) {
      this.fail(err as Error);
      throw err;
    } finally {
      clearTimeout(stalled);
    }
    if (this.sinkStalledSinceMs !== null) {
      this.d.log.info('sinks confirm again', { stalledForMs: this.clock() - this.sinkStalledSinceMs });
      this.sinkStalledSinceMs = null;
    }
    const confirmedAt = Date.now();
    for (const ts of confirming) if (ts > 0) this.d.metrics.findingLatency.observe(Math.max(0, confirmedAt - ts) / 1000);
    if (dirty.length === 0) return;
    this.saveSnapshots(dirty, final);
    const topic = this.d.config.kafka.inputTopic;
    const offsets = dirty.map((p) => ({ topic, partition: p.partition, offset: String(p.nextOffset), metadata: JSON.stringify(p.rebuildMeta()) }));
    try {
      await this.consumer.commitOffsets(offsets);
      for (const p of dirty) p.dirty = false;
      this.d.metrics.commits.inc();
      this.d.metrics.commitLatency.observe((performance.now() - t0) / 1000);
      if (this.d.log.enabled('debug')) this.d.log.debug('committed', { offsets: offsets.map((o) => `${o.partition}@${o.offset}`) });
    } catch (err) {
      // A rebalance took the partitions: the new owner re-reads from the last commit (at-least-once).
      this.d.log.warn('offset commit failed; the next owner re-reads from the previous commit', { error: (err as Error).message });
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.state = 'failed';
    this.d.log.error('streaming job failed; stopping without committing further', { error: err.message });
    this.crashed?.(err);
  }

  /**
   * Graceful stop: finish the current batch, flush every sink, commit, leave the group. Idempotent.
   * The buffer is not drained: the next owner rebuilds it from the log.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const wasFailed = this.failure !== null;
      if (!wasFailed) this.state = 'stopping';
      if (this.idleTimer) clearInterval(this.idleTimer);
      await this.consumer.stop().catch((err) => this.d.log.warn('consumer stop failed', { error: (err as Error).message }));
      if (!wasFailed && !this.failure) {
        await this.withLock(() => this.commit(undefined, true)).catch(() => {});
      }
      await this.consumer.disconnect().catch(() => {});
      await this.admin.disconnect().catch(() => {});
      if (this.state !== 'failed') this.state = 'stopped';
      this.resolveDone();
    })();
    return this.stopping;
  }

  get error(): Error | null {
    return this.failure;
  }
}
