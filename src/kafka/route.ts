import type { Admin, Consumer, EachBatchPayload, IHeaders, Kafka, Message, Producer } from 'kafkajs';
import type { RejectReason, Reject } from '../domain/types.js';
import { imeiKeyText } from '../domain/identity.js';
import { implausibleTime, type TimeBounds } from '../domain/time.js';
import { validateCdrMessage } from '../input/cdr-json.js';
import type { Logger } from '../ops/log.js';
import type { Registry, Counter, Gauge } from '../ops/metrics.js';
import { murmur2Partition } from './murmur2.js';

/**
 * `clonewatch route`: Kafka Streams' selectKey + repartition for a CDR topic keyed any other way (or not at
 * all). Its own consumer group reads the raw topic; each value goes unchanged to the keyed topic with the
 * 14-digit IMEI key and Kafka's murmur2 partition of it; a value without a readable IMEI goes to the
 * dead-letter topic with its reason. Offsets are committed only after the produce is acknowledged
 * (at-least-once: a redelivered CDR becomes a duplicate_record downstream).
 *
 * Event-time order across the raw partitions it reads (an unkeyed feed spreads every hour over every
 * partition): the buffered heads of the partitions are merged by event time, like Kafka Streams' timestamp
 * synchronisation. An empty partition holds the merge while it is known to have more data (up to
 * maxLagWaitMs), or for maxIdleMs after it emptied when it is caught up (Kafka Streams' max.task.idle.ms); a
 * partition whose buffer is full is paused until the merge catches up. A row late in its own partition is
 * not moved: it stays late.
 */
export interface RouteOptions {
  fromTopic: string;
  toTopic: string;
  rejectsTopic: string;
  groupId: string;
  sessionTimeoutMs: number;
  commitIntervalMs: number;
  fromBeginning: boolean;
  maxIdleMs: number;
  maxLagWaitMs: number;
  bufferPerPartition: number;
  tzOffsetMin: number;
  bounds: TimeBounds;
}

export interface RouteDeps {
  kafka: Kafka;
  producer: Producer;
  log: Logger;
  metrics: RouteMetrics;
  clock?: () => number;
}

/** Messages produced in one request (the merge goes on while nothing is ready, so this is a cap, not a wait). */
const SEND_BATCH = 2000;
/** How often the merge looks again at partitions it waits for, and refreshes their high watermarks (ms). */
const TICK_MS = 100;
const WATERMARK_REFRESH_MS = 1000;

/** One raw message on its way: ordered by `t` (event time; -Infinity = pass at once). */
interface Item {
  offset: number;
  t: number;
  key: string | null;
  value: Buffer | null;
  timestamp: string;
  headers?: IHeaders;
  reason?: RejectReason;
  detail?: string;
}

/** One assigned raw partition: its buffered messages and where it stands. */
class Lane {
  items: Item[] = [];
  head = 0;
  /** Next offset the consumer will deliver (-1 until known). */
  next = -1;
  /** High watermark as last seen (-1 until known). */
  hw = -1;
  /** Wall clock since when this empty lane holds back a merge that has other rows to give (-1 = not holding). */
  blockedSinceMs = -1;
  paused = false;
  /** Offset after the last message whose produce was acknowledged (the commit position), -1 = none yet. */
  acked = -1;
  committed = -1;
  lagWarned = false;

  constructor(readonly partition: number) {}

  get size(): number {
    return this.items.length - this.head;
  }

  peek(): Item {
    return this.items[this.head];
  }

  shift(): Item {
    const it = this.items[this.head++];
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return it;
  }
}

export class RouteMetrics {
  readonly recordsIn: Counter;
  readonly produced: Counter;
  readonly deadLettered: Counter;
  readonly commits: Counter;
  readonly enforced: Counter;
  readonly buffered: Gauge;
  readonly paused: Gauge;
  readonly lag: Gauge;
  readonly eventTime: Gauge;
  readonly partitions: Gauge;

  constructor(readonly registry: Registry) {
    const r = registry;
    this.recordsIn = r.counter('clonewatch_route_records_in_total', 'Raw CDR messages consumed by route');
    this.produced = r.counter('clonewatch_route_records_out_total', 'CDR messages produced to the keyed topic (acknowledged)');
    this.deadLettered = r.counter('clonewatch_route_dead_letter_total', 'Raw messages without a readable IMEI sent to the dead-letter topic, by reason');
    this.commits = r.counter('clonewatch_route_commits_total', 'Offset commits of the raw topic (each after the produce was acknowledged)');
    this.enforced = r.counter(
      'clonewatch_route_enforced_merges_total',
      'Times the event-time merge went on without a partition that had data but delivered none within maxLagWaitMs',
    );
    this.buffered = r.gauge('clonewatch_route_buffered_records', 'Raw messages waiting in the event-time merge');
    this.paused = r.gauge('clonewatch_route_paused_partitions', 'Raw partitions paused because they ran ahead in event time');
    this.lag = r.gauge('clonewatch_route_consumer_lag', 'Messages behind the raw partition high watermark, by partition');
    this.eventTime = r.gauge('clonewatch_route_event_time_seconds', 'Event time of the last CDR produced (epoch seconds)');
    this.partitions = r.gauge('clonewatch_route_assigned_partitions', 'Raw partitions assigned to this instance');
  }
}

export class RouteJob {
  readonly consumer: Consumer;
  private readonly admin: Admin;
  private lanes = new Map<number, Lane>();
  private generation = 0;
  private toPartitions = 0;
  private pumping: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private lastCommitMs = 0;
  private lastRefreshMs = 0;
  private refreshing = false;
  private stopping: Promise<void> | null = null;
  /** Set by stop(): the merge ends at its next step. */
  private halt = false;
  private failure: Error | null = null;
  private failed: (err: Error) => void = () => {};
  /** Resolves when the job stops; rejects when it fails. */
  readonly done: Promise<void>;
  private resolveDone: () => void = () => {};
  private readonly clock: () => number;
  state: 'starting' | 'running' | 'stopping' | 'stopped' | 'failed' = 'starting';
  lastSendMs = 0;

  constructor(
    private readonly o: RouteOptions,
    private readonly d: RouteDeps,
  ) {
    this.clock = d.clock ?? Date.now;
    this.consumer = d.kafka.consumer({
      groupId: o.groupId,
      sessionTimeout: o.sessionTimeoutMs,
      heartbeatInterval: Math.max(100, Math.floor(o.sessionTimeoutMs / 3)),
      rebalanceTimeout: Math.max(o.sessionTimeoutMs * 2, 10000),
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
    });
    this.admin = d.kafka.admin();
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.failed = reject;
    });
    this.done.catch(() => {});
  }

  get error(): Error | null {
    return this.failure;
  }

  assignedPartitions(): number[] {
    return [...this.lanes.keys()].sort((a, b) => a - b);
  }

  bufferedRecords(): number {
    let n = 0;
    for (const l of this.lanes.values()) n += l.size;
    return n;
  }

  async start(): Promise<void> {
    const { consumer, o } = this;
    await this.admin.connect();
    const meta = await this.admin.fetchTopicMetadata({ topics: [o.toTopic] });
    this.toPartitions = meta.topics[0]?.partitions.length ?? 0;
    if (this.toPartitions === 0) throw new Error(`the keyed topic ${o.toTopic} has no partitions (does it exist?)`);
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      // kafkajs re-reads every assigned partition from its committed offset after a join: start afresh.
      this.generation++;
      const mine: number[] = e.payload.memberAssignment[o.fromTopic] ?? [];
      this.lanes = new Map(mine.map((p) => [p, new Lane(p)]));
      this.d.metrics.partitions.set(mine.length);
      this.d.log.info('joined the route consumer group', { groupId: o.groupId, generation: this.generation, partitions: [...mine].sort((a, b) => a - b) });
      void this.resolveStarts(this.generation);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (e.payload.restart) {
        this.d.log.warn('route consumer crashed; kafkajs restarts it', { error: e.payload.error.message });
        return;
      }
      this.fail(new Error(`the route consumer stopped: ${e.payload.error.message}`));
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [o.fromTopic], fromBeginning: o.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (p) => this.onBatch(p),
    });
    this.state = 'running';
    this.lastCommitMs = this.clock();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** Where each newly assigned partition starts and ends, so the merge knows which are caught up. */
  private async resolveStarts(gen: number): Promise<void> {
    const o = this.o;
    try {
      const [committed, ends] = await Promise.all([this.admin.fetchOffsets({ groupId: o.groupId, topics: [o.fromTopic] }), this.admin.fetchTopicOffsets(o.fromTopic)]);
      if (gen !== this.generation) return;
      const c = new Map<number, number>();
      for (const t of committed) for (const p of t.partitions) c.set(p.partition, Number(p.offset));
      for (const e of ends) {
        const lane = this.lanes.get(e.partition);
        if (!lane) continue;
        const high = Number(e.high);
        if (lane.next < 0) {
          const cm = c.get(e.partition) ?? -1;
          lane.next = cm >= 0 ? cm : o.fromBeginning ? Number(e.low) : high;
          lane.committed = cm;
        }
        lane.hw = Math.max(lane.hw, high);
      }
      this.trigger();
    } catch (err) {
      this.d.log.warn('cannot read the raw topic offsets; partitions without data wait at most maxLagWaitMs', { error: (err as Error).message });
    }
  }

  private async refreshWatermarks(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    this.lastRefreshMs = this.clock();
    try {
      for (const e of await this.admin.fetchTopicOffsets(this.o.fromTopic)) {
        const lane = this.lanes.get(e.partition);
        if (lane) lane.hw = Math.max(lane.hw, Number(e.high));
      }
    } catch {
      /* the next tick tries again */
    } finally {
      this.refreshing = false;
    }
  }

  private async onBatch({ batch, resolveOffset }: EachBatchPayload): Promise<void> {
    if (this.failure || this.stopping) return;
    const lane = this.lanes.get(batch.partition);
    if (!lane || batch.messages.length === 0) return;
    const now = this.clock();
    let last = -1;
    let n = 0;

    for (const msg of batch.messages) {
      const offset = Number(msg.offset);
      if (lane.next >= 0 && offset < lane.next) continue; // already buffered (a re-fetch)
      lane.items.push(this.classify(msg.value, offset, msg.timestamp, msg.headers, now));
      last = offset;
      n++;
    }
    this.d.metrics.recordsIn.inc(undefined, n);
    if (last >= 0) {
      resolveOffset(String(last));
      lane.next = last + 1;
      lane.blockedSinceMs = -1;
    }
    const hw = Number(batch.highWatermark);
    if (Number.isFinite(hw)) lane.hw = Math.max(lane.hw, hw);
    this.d.metrics.lag.set(Math.max(0, lane.hw - lane.next), { partition: lane.partition });
    if (!lane.paused && lane.size >= this.o.bufferPerPartition) {
      lane.paused = true;
      this.consumer.pause([{ topic: this.o.fromTopic, partitions: [lane.partition] }]);
    }
    this.trigger();
  }

  /** Key and event time of a raw value; a value without a readable IMEI is bound for the dead-letter topic. */
  private classify(value: Buffer | null, offset: number, timestamp: string, headers: IHeaders | undefined, nowMs: number): Item {
    const base = { offset, value, timestamp, headers };
    if (value === null || value.length === 0) return { ...base, t: -Infinity, key: null, reason: 'malformed_row', detail: 'empty message value' };
    const v = validateCdrMessage(value, this.o.tzOffsetMin);
    if (v.ok) {
      // An implausible time is passed on at once (run rejects it as invalid_time): it must hold nothing back.
      const t = implausibleTime(v.cdr.startMs, nowMs, this.o.bounds) === null ? v.cdr.startMs : -Infinity;
      return { ...base, t, key: imeiKeyText(v.cdr.key) };
    }
    // Invalid for another reason: still routed by its IMEI when that is readable (run gives the reject).
    const imei = readImei(value);
    if (typeof imei === 'string') return { ...base, t: -Infinity, key: imei };
    return { ...base, t: -Infinity, key: null, reason: imei.reason, detail: imei.detail };
  }

  private tick(): void {
    if (this.state !== 'running' || this.failure) return;
    const now = this.clock();
    let waiting = false;
    for (const l of this.lanes.values()) if (l.size === 0) waiting = true;
    if (waiting && now - this.lastRefreshMs >= WATERMARK_REFRESH_MS) void this.refreshWatermarks();
    this.d.metrics.buffered.set(this.bufferedRecords());
    this.trigger();
    if (now - this.lastCommitMs >= this.o.commitIntervalMs) void this.commit();
  }

  private trigger(): void {
    if (this.failure || this.halt) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = (async () => {
      try {
        do {
          this.again = false;
          await this.merge();
        } while (this.again && !this.failure && !this.halt);
      } catch (err) {
        this.fail(err as Error);
      } finally {
        this.pumping = null;
      }
    })();
  }

  /**
   * Does an empty lane hold the merge back now? Its wait starts when the merge first has rows of other
   * partitions to give (Kafka Streams' max.task.idle.ms), and ends when it delivers data.
   */
  private holds(l: Lane, now: number): boolean {
    if (l.blockedSinceMs < 0) l.blockedSinceMs = now;
    const waited = now - l.blockedSinceMs;
    const lagging = l.next < 0 || l.hw < 0 || l.next < l.hw;
    if (lagging) {
      if (waited < this.o.maxLagWaitMs) return true;
      if (!l.lagWarned) {
        l.lagWarned = true;
        this.d.metrics.enforced.inc();
        this.d.log.warn('a raw partition with data delivered none within maxLagWaitMs; merging without it (its rows may arrive late)', { partition: l.partition, next: l.next, highWatermark: l.hw });
      }
      return false;
    }
    l.lagWarned = false;
    return waited < this.o.maxIdleMs;
  }

  /** Produce, in event-time order, everything the partition heads allow. */
  private async merge(): Promise<void> {
    const gen = this.generation;
    const lanes = [...this.lanes.values()];
    let cdrs: Message[] = [];
    let dlq: Message[] = [];
    let taken: Array<{ lane: Lane; offset: number }> = [];
    let lastT = NaN;
    const flush = async () => {
      if (taken.length === 0) return;
      await this.send(cdrs, dlq, taken, gen, lastT);
      cdrs = [];
      dlq = [];
      taken = [];
    };
    for (;;) {
      if (this.failure || this.halt || gen !== this.generation) break;
      const now = this.clock();
      let best: Lane | null = null;
      for (const l of lanes) if (l.size > 0 && (best === null || l.peek().t < best.peek().t)) best = l;
      if (best === null) break;
      // Every empty lane is asked (not only the first), so their waits run together.
      let blocked = false;
      if (best.peek().t !== -Infinity) for (const l of lanes) if (l.size === 0 && this.holds(l, now)) blocked = true;
      if (blocked) break;
      const it = best.shift();
      if (it.key === null) {
        const reject: Reject = { source: `${this.o.fromTopic}/${best.partition}/${it.offset}`, line: null, reason: it.reason!, detail: it.detail!, raw: it.value === null ? '' : it.value.toString('utf8') };
        dlq.push({ key: reject.source, value: JSON.stringify(reject), headers: { reason: reject.reason } });
        this.d.metrics.deadLettered.inc({ reason: reject.reason });
      } else {
        cdrs.push({ key: it.key, value: it.value, partition: murmur2Partition(it.key, this.toPartitions), timestamp: it.timestamp, headers: it.headers });
        if (Number.isFinite(it.t)) lastT = it.t;
      }
      taken.push({ lane: best, offset: it.offset });
      if (best.paused && best.size <= this.o.bufferPerPartition / 2) {
        best.paused = false;
        this.consumer.resume([{ topic: this.o.fromTopic, partitions: [best.partition] }]);
      }
      if (taken.length >= SEND_BATCH) await flush();
    }
    await flush();
    this.d.metrics.paused.set(lanes.filter((l) => l.paused).length);
  }

  private async send(cdrs: Message[], dlq: Message[], taken: Array<{ lane: Lane; offset: number }>, gen: number, lastT: number): Promise<void> {
    const topicMessages = [];
    if (cdrs.length) topicMessages.push({ topic: this.o.toTopic, messages: cdrs });
    if (dlq.length) topicMessages.push({ topic: this.o.rejectsTopic, messages: dlq });
    await this.d.producer.sendBatch({ topicMessages, acks: -1 });
    this.lastSendMs = this.clock();
    this.d.metrics.produced.inc(undefined, cdrs.length);
    if (Number.isFinite(lastT)) this.d.metrics.eventTime.set(lastT / 1000);
    // A rebalance since: the new generation re-reads from the last commit (these become duplicates downstream).
    if (gen !== this.generation) return;
    for (const { lane, offset } of taken) if (offset + 1 > lane.acked) lane.acked = offset + 1;
  }

  /** Commit what was produced and acknowledged. */
  private async commit(): Promise<void> {
    this.lastCommitMs = this.clock();
    const dirty = [...this.lanes.values()].filter((l) => l.acked > l.committed);
    if (dirty.length === 0) return;
    const offsets = dirty.map((l) => ({ topic: this.o.fromTopic, partition: l.partition, offset: String(l.acked) }));
    try {
      await this.consumer.commitOffsets(offsets);
      for (const l of dirty) l.committed = Math.max(l.committed, Number(offsets.find((x) => x.partition === l.partition)!.offset));
      this.d.metrics.commits.inc();
    } catch (err) {
      this.d.log.warn('route offset commit failed; the next owner re-reads from the previous commit', { error: (err as Error).message });
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.state = 'failed';
    this.d.log.error('route failed; stopping without committing further', { error: err.message });
    this.failed(err);
  }

  /** Graceful stop: no more fetches, the produce under way finishes, its offsets are committed. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const wasFailed = this.failure !== null;
      if (!wasFailed) this.state = 'stopping';
      if (this.timer) clearInterval(this.timer);
      await this.consumer.stop().catch((err) => this.d.log.warn('route consumer stop failed', { error: (err as Error).message }));
      this.halt = true; // the merge stops at its next step; what it already produced is acknowledged below
      await this.pumping?.catch(() => {});
      if (!this.failure) await this.commit();
      await this.consumer.disconnect().catch(() => {});
      await this.admin.disconnect().catch(() => {});
      if (this.state !== 'failed') this.state = 'stopped';
      this.resolveDone();
    })();
    return this.stopping;
  }
}

/** The 14-digit IMEI key of a value that failed validation for some reason, or why there is none. */
function readImei(value: Buffer): string | { reason: RejectReason; detail: string } {
  let obj: unknown;
  try {
    obj = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return { reason: 'malformed_row', detail: `message value is not JSON: ${(err as Error).message}` };
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return { reason: 'malformed_row', detail: 'message value is not a JSON object' };
  const raw = (obj as Record<string, unknown>).imei;
  if (raw === undefined || raw === null || raw === '') return { reason: 'missing_field', detail: 'imei is missing: route cannot key the CDR' };
  const imei = typeof raw === 'number' && Number.isInteger(raw) ? String(raw) : raw;
  if (typeof imei !== 'string' || !/^\d{14,16}$/.test(imei) || /^0{14}/.test(imei)) {
    return { reason: 'invalid_imei', detail: `imei ${JSON.stringify(raw).slice(0, 40)} is not 14, 15 or 16 digits with a non-zero 14-digit key: route cannot key the CDR` };
  }
  return imei.slice(0, 14);
}
