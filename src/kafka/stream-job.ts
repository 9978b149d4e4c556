import { makeReject } from '../domain/reject.js';
import { PartitionAssigners, type Admin, type Consumer, type ConsumerRunConfig, type EachBatchPayload, type Kafka, type Producer } from 'kafkajs';
import type { Config } from '../config/schema.js';
import { ClonewatchError } from '../domain/errors.js';
import type { BlockCandidate, Finding, Reject } from '../domain/types.js';
import { tzOffsetMinutes, type TimeBounds } from '../domain/time.js';
import { timeBounds } from '../config/schema.js';
import { Engine } from '../engine/engine.js';
import type { Logger } from '../ops/log.js';
import type { StreamMetrics } from '../ops/stream-metrics.js';
import type { ReferenceData } from '../pipeline/stream-refs.js';
import type { KafkaSink } from '../sinks/kafka-sink.js';
import type { OutputBatch, Sink } from '../sinks/sink.js';
import { CrashBudget } from './crash-budget.js';
import { KeyingCheck } from './keying-check.js';
import { admitMessage } from './message-admission.js';
import { planPartition } from './partition-plan.js';
import { SerialLock, whileHeartbeating } from './serial-lock.js';
import { SnapshotStore } from './snapshot-store.js';
import { stickyAssigner } from './sticky-assigner.js';
import { StreamPartition } from './stream-partition.js';

/** Consumer crashes kafkajs does not retry that the job absorbs by rejoining, within CRASH_PERIOD_MS. */
export const MAX_CONSUMER_CRASHES = 5;
export const CRASH_PERIOD_MS = 10 * 60_000;
/** Pause before rejoining the group after such a crash. */
export const CONSUMER_RESTART_DELAY_MS = 1000;
/** A commit whose sinks have not confirmed after this long marks the job's sinks as stalled (/healthz, metrics). */
export const SINK_STALL_WARN_MS = 5000;
/** Bounds of the group session settings derived from sessionTimeoutMs. */
const MIN_HEARTBEAT_INTERVAL_MS = 100;
const MIN_REBALANCE_TIMEOUT_MS = 10_000;
/** The idle pass runs four times per idleDrainMs, within these bounds. */
const MIN_IDLE_TICK_MS = 50;
const MAX_IDLE_TICK_MS = 500;

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
export class StreamJobError extends ClonewatchError {
  constructor(message: string, code: 'SINK_FAILED' | 'CONSUMER_CRASHED' | 'COMMIT_FAILED', retriable: boolean, options?: { cause?: unknown }) {
    super(message, code, { retriable, cause: options?.cause });
  }
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
  private readonly lock = new SerialLock();
  private readonly snapshots: SnapshotStore;
  private lastCommitMs = 0;
  /** The commit in flight (sinks flushing, then the offset commit), and since when. */
  private inFlight: Promise<void> | null = null;
  private inFlightSinceMs = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  /** Produce timestamps of findings written but not yet confirmed by every sink. */
  private unconfirmed: number[] = [];
  /** Findings were written to the sinks since the last early flush. */
  private findingsWaiting = false;
  private readonly tz: number;
  private readonly bounds: TimeBounds;
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
  private readonly crashes = new CrashBudget(MAX_CONSUMER_CRASHES, CRASH_PERIOD_MS);

  /** Key = IMEI key and partition = murmur2 partition, checked on every live message. */
  readonly keying: KeyingCheck;

  constructor(private readonly d: StreamJobDeps) {
    this.keying = new KeyingCheck(d.metrics.misrouted, d.log);
    const k = d.config.kafka;
    this.consumer = d.kafka.consumer({
      groupId: k.groupId,
      sessionTimeout: k.sessionTimeoutMs,
      heartbeatInterval: Math.max(MIN_HEARTBEAT_INTERVAL_MS, Math.floor(k.sessionTimeoutMs / 3)),
      rebalanceTimeout: Math.max(k.sessionTimeoutMs * 2, MIN_REBALANCE_TIMEOUT_MS),
      maxBytesPerPartition: k.maxBytesPerPartition,
      maxBytes: k.maxBytes,
      maxWaitTimeInMs: k.fetchMaxWaitMs,
      allowAutoTopicCreation: false,
      // Sticky first (fewer moved partitions, fewer window re-reads), round-robin for groups with older members.
      partitionAssigners: [stickyAssigner(() => ({ [k.inputTopic]: this.assignedPartitions() })), PartitionAssigners.roundRobin],
    });
    this.admin = d.kafka.admin();
    this.snapshots = new SnapshotStore(d.config.stream.stateDir, k.groupId, k.inputTopic, d.log);
    this.tz = tzOffsetMinutes(d.config.timezone);
    this.bounds = timeBounds(d.config);
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
  setTacs(t: Parameters<Engine['setTacs']>[0]): void {
    for (const p of this.parts.values()) p.engine.setTacs(t);
  }

  /** The CDR topic's partition count, for the keying check (a failure leaves the key check alone). */
  private async readPartitionCount(): Promise<void> {
    const topic = this.d.config.kafka.inputTopic;
    try {
      const meta = await this.admin.fetchTopicMetadata({ topics: [topic] });
      this.keying.partitions = meta.topics[0]?.partitions.length ?? 0;
    } catch (err) {
      this.d.log.warn('cannot read the partition count of the CDR topic; only message keys are checked', { topic, error: (err as Error).message });
    }
  }

  async start(): Promise<void> {
    const k = this.d.config.kafka;
    const { consumer } = this;
    await this.admin.connect();
    await this.readPartitionCount();
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
      if (!this.crashes.spend(this.clock())) {
        const msg = `Kafka consumer crashed ${MAX_CONSUMER_CRASHES} times in ${CRASH_PERIOD_MS / 60_000} minutes: ${err.message}`;
        this.fail(new StreamJobError(msg, 'CONSUMER_CRASHED', true, { cause: err }));
        return;
      }
      this.d.log.warn('consumer crashed with an error kafkajs does not retry; rejoining the group', { error: err.message, restartsIn10Min: this.crashes.recent });
      this.d.metrics.consumerRestarts.inc();
      setTimeout(() => {
        if (this.stopping || this.failure) return;
        void (async () => {
          await consumer.connect();
          await consumer.run(this.runConfig!);
        })().catch((e2: Error) => this.fail(new StreamJobError(`cannot restart the Kafka consumer: ${e2.message}`, 'CONSUMER_CRASHED', true, { cause: e2 })));
      }, CONSUMER_RESTART_DELAY_MS).unref();
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [k.inputTopic], fromBeginning: k.fromBeginning });
    this.lastCommitMs = this.clock();
    this.runConfig = {
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: k.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.lock.run(() => this.onBatch(payload), payload.heartbeat),
    };
    this.runningPromise = consumer.run(this.runConfig);
    await this.runningPromise;
    this.state = 'running';
    const tick = Math.max(MIN_IDLE_TICK_MS, Math.min(MAX_IDLE_TICK_MS, Math.floor((this.d.config.stream.idleDrainMs || 1000) / 4)));
    let queued = false; // at most one idle pass waits for the lock (a stuck sink must not pile them up)
    this.idleTimer = setInterval(() => {
      if (queued) return;
      queued = true;
      void this.lock.run(() => this.onIdle())
        .catch((err) => this.fail(err))
        .finally(() => (queued = false));
    }, tick);
    this.idleTimer.unref();
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

  /**
   * The dedup state of the partitions due for a snapshot, taken with the commit's offsets (saved only once
   * every sink confirmed what came before those offsets).
   */
  private snapshotsDue(parts: StreamPartition[], force: boolean): Array<{ part: StreamPartition; offset: number; state: ReturnType<Engine['exportDedupState']> }> {
    if (!this.snapshots.enabled) return [];
    const now = this.clock();
    return parts
      .filter((p) => force || now - p.lastSnapshotMs >= this.d.config.stream.snapshotIntervalMs)
      .map((p) => ({ part: p, offset: p.nextOffset, state: p.engine.exportDedupState() }));
  }

  /** After every sink confirmed: everything in each state before its offset is delivered. */
  private saveSnapshots(due: ReturnType<StreamJob['snapshotsDue']>): void {
    const now = this.clock();
    for (const d of due) if (this.snapshots.save(d.part.partition, d.offset, d.state)) d.part.snapshotSaved(now);
  }

  private newEngine(): Engine {
    const c = this.d.config;
    return new Engine(c, { cells: this.d.refs.cells, exceptions: this.d.refs.exceptions, tacs: this.d.refs.tacs }, { orderingDelayMs: c.stream.orderingDelayS * 1000 });
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
      const wanted = cur.seekDone(firstOffset);
      if (wanted !== null) this.d.log.warn('rebuild start is no longer in the log (retention); the rebuilt window may miss older CDRs', { partition, wanted, got: firstOffset });
      return cur;
    }
    const committed = (await this.committedOffsets()).get(partition) ?? { offset: -1, metadata: null };
    const plan = planPartition(committed.offset, committed.metadata, cur ?? null, firstOffset, Date.now() + this.bounds.maxFutureMs);
    if (plan.action === 'reuse') {
      cur!.verified(this.generation);
      return cur!;
    }
    const snapshot = this.snapshots.load(partition);
    const engine = this.newEngine();
    if (snapshot) {
      engine.importDedupState(snapshot.state);
      this.d.log.info('suppression and candidate state restored from snapshot', { partition, snapshotOffset: snapshot.offset, committed: committed.offset, suppressionEntries: snapshot.state.suppression.length, candidates: snapshot.state.candidates.length });
    }
    if (plan.action === 'rebuild') {
      const { from } = plan.start;
      this.d.log.info('rebuilding partition state', { partition, from, committed: committed.offset, records: committed.offset - from });
    } else if (plan.metadataMissing) {
      this.d.log.warn('committed offset has no rebuild metadata; window state starts empty', { partition, committed: committed.offset });
    }
    const st = new StreamPartition(partition, engine, this.d.config, plan.start, this.generation);
    this.parts.set(partition, st);
    if (plan.seekTo !== null) {
      st.seekStarted();
      this.consumer.seek({ topic, partition, offset: String(plan.seekTo) });
      return null;
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
    const latenessS = this.d.config.allowedLatenessS;
    let last = -1;
    let liveCount = 0;
    let rebuildCount = 0;
    st.noteBatchStart(Math.max(st.nextOffset, Number(batch.firstOffset())));
    // Engine counters of the live messages, as differences over the batch (rebuild replays come first in a
    // batch and are not counted: the snapshot is taken at the first live message).
    const c = st.engine.counters;
    let unknown0 = 0;
    let ambiguous0 = 0;
    let suppressed0 = 0;
    let overCap0 = 0;
    // Nothing below awaits until the loop ends, so whether the consumer runs and the batch is current
    // cannot change inside it: asked once, not per message.
    const messages = isRunning() && !isStale() ? batch.messages : [];
    for (let i = 0; i < messages.length; i++) {
      const msg = messages[i];
      const offset = Number(msg.offset);
      if (offset < st.nextOffset) continue;
      const live = offset >= st.rebuildUntil;
      if (live && liveCount === 0) {
        unknown0 = c.unknownCell;
        ambiguous0 = c.ambiguousCell;
        suppressed0 = c.suppressedByRule.simultaneity + c.suppressedByRule.time_distance;
        overCap0 = c.cdrsOverPairCap ?? 0;
      }
      const rejected = admitMessage(st, msg.value, this.tz, now, latenessS, this.bounds);
      st.processed(offset);
      last = offset;
      if (live) {
        liveCount++;
        this.keying.check(topic, batch.partition, msg.offset, msg.key, msg.value);
        if (rejected !== null) {
          m.rejects.inc({ reason: rejected.reason });
          rejects.push(makeReject(`${topic}/${batch.partition}/${offset}`, null, rejected.reason, rejected.detail, msg.value ?? ''));
        }
        const out = st.engine.take();
        if (out.findings.length || out.candidates.length) {
          const ts = Number(msg.timestamp);
          for (const f of out.findings) {
            findings.push(f);
            this.unconfirmed.push(ts);
          }
          for (const cand of out.candidates) candidates.push(cand);
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
      if (c.unknownCell !== unknown0) m.unresolvedCells.inc({ reason: 'unknown_cell' }, c.unknownCell - unknown0);
      if (c.ambiguousCell !== ambiguous0) m.unresolvedCells.inc({ reason: 'ambiguous_cell' }, c.ambiguousCell - ambiguous0);
      const suppressed = c.suppressedByRule.simultaneity + c.suppressedByRule.time_distance - suppressed0;
      if (suppressed > 0) m.suppressed.inc(undefined, suppressed);
      const overCap = (c.cdrsOverPairCap ?? 0) - overCap0;
      if (overCap > 0) m.overPairCap.inc(undefined, overCap);
    }
    if (liveCount > 0) {
      m.recordsIn.inc(undefined, liveCount);
      st.liveMessageAt(now);
    }
    if (rebuildCount > 0) m.rebuildRecords.inc(undefined, rebuildCount);
    if (last >= 0) {
      resolveOffset(String(last));
      st.resolved();
    }
    const hw = Number(batch.highWatermark);
    if (Number.isFinite(hw)) {
      st.highWatermark(hw);
      m.lag.set(Math.max(0, hw - st.nextOffset), { partition: batch.partition });
    }
    await this.emit({ findings, candidates, rejects }, { heartbeat, live: !st.behind });
    m.batchSeconds.observe((performance.now() - t0) / 1000);
    this.lastBatchMs = this.clock();
    const intervalMs = this.d.config.kafka.commitIntervalMs;
    // Backpressure: sinks slower than the commit interval hold the batches back (as a synchronous commit did),
    // so what waits for a flush stays within about one interval of input.
    if (this.inFlight && this.clock() - this.inFlightSinceMs >= intervalMs) await whileHeartbeating(this.inFlight.catch(() => {}), heartbeat);
    if (this.clock() - this.lastCommitMs >= intervalMs && !this.failure) void this.startCommit().catch(() => {});
  }

  /**
   * Outputs to every sink. `live`: the outputs come from the head of the log (not from a backlog being read),
   * so findings waiting in the data sinks are written now.
   */
  private async emit(batch: OutputBatch, o: { heartbeat?: () => Promise<void>; live: boolean }): Promise<void> {
    if (batch.findings.length > 0 || batch.candidates.length > 0 || batch.rejects.length > 0) {
      const m = this.d.metrics;
      for (const f of batch.findings) m.findings.inc({ rule: f.rule });
      m.candidates.inc(undefined, batch.candidates.length);
      await whileHeartbeating(Promise.all([this.d.kafkaSink.write(batch), ...this.d.sinks.map((s) => s.write(batch))]), o.heartbeat);
      if (batch.findings.length > 0) this.findingsWaiting = true;
    }
    // Live findings are wanted at once: the data sinks start writing them now rather than at their next flush
    // interval or commit (one insert in flight at a time; a failure surfaces at the next commit). While a
    // backlog is read they wait for the flush interval: an insert per batch would cost the ClickHouse server
    // more than the findings gain by it (many small inserts, each a new part to merge).
    if (o.live && this.findingsWaiting) {
      this.findingsWaiting = false;
      for (const s of this.d.sinks) void s.flush().catch(() => {});
    }
  }

  /** Reference rejects (catalogue, exception list) go to the data sinks, not to the CDR dead-letter topic. */
  async emitReferenceRejects(rejects: Reject[]): Promise<void> {
    if (rejects.length === 0) return;
    await this.lock.run(async () => {
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
        const out = st.drainIdle(now);
        for (const f of out.findings) {
          findings.push(f);
          this.unconfirmed.push(st.lastMessageMs);
        }
        candidates.push(...out.candidates);
      }
      // Idle partitions are at the head of their log; findings wait only while another partition reads a backlog.
      await this.emit({ findings, candidates, rejects: [] }, { live: ![...this.parts.values()].some((p) => p.behind) });
    }
    if (now - this.lastCommitMs >= this.d.config.kafka.commitIntervalMs && !this.failure) void this.startCommit().catch(() => {});
  }

  /**
   * Start a commit of where the partitions stand now, unless one is in flight (then that one is returned).
   * Called under the lock. Flushing the sinks and committing the offsets go on in the background while
   * batches continue: each sink's flush() is asked here, before anything else runs, and covers everything
   * written before it; the offsets, rebuild metadata and snapshot state are taken at the same moment. So a
   * commit still comes only after everything before its offsets is confirmed by every sink.
   */
  private startCommit(final = false): Promise<void> {
    if (this.inFlight) return this.inFlight;
    this.inFlightSinceMs = this.clock();
    const done = this.commit(final).finally(() => {
      this.inFlight = null;
    });
    this.inFlight = done;
    return done;
  }

  /**
   * Flush every sink, then commit the offsets reached at the call (with their rebuild metadata). A sink that
   * keeps failing holds the commit back (its rows stay buffered and are retried); one that gives up stops the job.
   */
  private async commit(final: boolean): Promise<void> {
    const t0 = performance.now();
    this.lastCommitMs = this.clock();
    const generation = this.generation;
    const topic = this.d.config.kafka.inputTopic;
    const dirty = [...this.parts.values()].filter((p) => p.dirty && p.generation === this.generation && !p.rebuilding);
    const offsets = dirty.map((p) => ({ topic, partition: p.partition, offset: String(p.nextOffset), metadata: JSON.stringify(p.rebuildMeta()) }));
    const changes = dirty.map((p) => p.changeCount);
    const snapshots = this.snapshotsDue(dirty, final);
    const confirming = this.unconfirmed;
    this.unconfirmed = [];
    const sinks: Sink[] = [this.d.kafkaSink, ...this.d.sinks];
    const flushed = Promise.all(
      sinks.map((s) =>
        s.flush().catch((err: Error) => {
          this.d.metrics.sinkFailures.inc({ sink: s.name });
          throw new StreamJobError(`sink ${s.name} failed: ${err.message}`, 'SINK_FAILED', true, { cause: err });
        }),
      ),
    );
    const stalled = setTimeout(() => {
      this.sinkStalledSinceMs = this.clock();
      this.d.metrics.sinkFailures.inc({ sink: 'stalled' });
      this.d.log.warn('sinks are slow to confirm; offsets are not committed until they do', {});
    }, SINK_STALL_WARN_MS);
    try {
      await flushed;
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
    this.saveSnapshots(snapshots);
    if (this.generation !== generation) {
      // The group rebalanced during the flush: these partitions are verified (and committed) again by the new generation.
      this.d.log.info('group rebalanced while the sinks flushed; that commit is skipped', { generation, now: this.generation });
      return;
    }
    try {
      await this.consumer.commitOffsets(offsets);
      dirty.forEach((p, i) => p.committed(changes[i]));
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
        await this.lock
          .run(async () => {
            await this.inFlight?.catch(() => {});
            if (!this.failure) await this.startCommit(true);
          })
          .catch(() => {});
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
