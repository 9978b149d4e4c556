import type { RuleConfig } from '../config/schema.js';
import type { Engine } from '../engine/engine.js';
import type { BlockCandidate, Finding } from '../domain/types.js';
import type { PartitionStart, RebuildMeta } from './partition-plan.js';

/** Messages left before the high watermark after a batch beyond which the partition is reading a backlog. */
export const BACKLOG_MESSAGES = 1000;

/**
 * The state of one assigned partition of the CDR topic: its engine and where it stands. The stream job
 * changes it only through these methods.
 */
export class StreamPartition {
  private next: number;
  /** Offsets below this were already delivered before the (re)assignment: re-read with outputs discarded. */
  readonly rebuildUntil: number;
  /** Watermark at the rebuild start: replayed CDRs further behind were late_record originally. */
  private readonly seedWmMs: number;
  private drainAfterRebuild: boolean;
  /** (offset, watermark before it) at batch starts: the candidates for the next rebuild start. */
  private checkpoints: Array<{ offset: number; wmMs: number }> = [];
  private lastLiveMs = 0;
  private isDrained = true;
  private isDirty = false;
  /** Bumped by every change a commit must cover, so a commit taken earlier does not clear a later change. */
  private changes = 0;
  private gen: number;
  private isSeeking = false;
  private lastSnapshotAtMs = 0;
  private isBehind = false;

  constructor(
    readonly partition: number,
    readonly engine: Engine,
    private readonly rules: RuleConfig,
    start: PartitionStart,
    generation: number,
  ) {
    this.next = start.from;
    this.rebuildUntil = start.rebuildUntil;
    this.seedWmMs = start.wmMs ?? -Infinity;
    this.drainAfterRebuild = start.drained;
    this.gen = generation;
    this.checkpoints.push({ offset: start.from, wmMs: this.seedWmMs });
  }

  /** Next offset to process. */
  get nextOffset(): number {
    return this.next;
  }
  /** Processed offsets not yet committed. */
  get dirty(): boolean {
    return this.isDirty;
  }
  /** Nothing accepted since the last drain. */
  get drained(): boolean {
    return this.isDrained;
  }
  /** Group generation that verified this state against the committed offset. */
  get generation(): number {
    return this.gen;
  }
  /** A seek to nextOffset is under way; batches before it are skipped. */
  get seeking(): boolean {
    return this.isSeeking;
  }
  /** Wall clock of the last live message, for idle drain. */
  get lastMessageMs(): number {
    return this.lastLiveMs;
  }
  /** Wall clock of the last dedup snapshot written for this partition. */
  get lastSnapshotMs(): number {
    return this.lastSnapshotAtMs;
  }

  get rebuilding(): boolean {
    return this.next < this.rebuildUntil;
  }
  /**
   * A backlog is being read: after the last batch more than BACKLOG_MESSAGES messages were left before the
   * partition's high watermark of its fetch. A few record batches behind is live traffic, not a backlog.
   */
  get behind(): boolean {
    return this.isBehind;
  }

  /** After a batch: where the partition's log ended when it was fetched. */
  highWatermark(hw: number): void {
    this.isBehind = hw - this.next > BACKLOG_MESSAGES;
  }

  /** A new group generation found this state continuing exactly at the committed offset. */
  verified(generation: number): void {
    this.gen = generation;
  }

  seekStarted(): void {
    this.isSeeking = true;
  }

  /**
   * The first batch after a seek: if the log no longer starts at nextOffset (retention), continue from the
   * batch's first offset. Returns the offset that was wanted when that happened, else null.
   */
  seekDone(firstOffset: number): number | null {
    if (!this.isSeeking) return null;
    this.isSeeking = false;
    if (firstOffset <= this.next) return null;
    const wanted = this.next;
    this.next = firstOffset;
    return wanted;
  }

  /** The message at `offset` is processed. */
  processed(offset: number): void {
    this.next = offset + 1;
  }

  /** The engine accepted a CDR: the buffer is no longer drained. */
  accepted(): void {
    this.isDrained = false;
  }

  /** Offsets were resolved to the consumer: they need a commit. */
  resolved(): void {
    this.isDirty = true;
    this.changes++;
  }

  /** Identifies the state a commit is taken of (see committed). */
  get changeCount(): number {
    return this.changes;
  }

  liveMessageAt(nowMs: number): void {
    this.lastLiveMs = nowMs;
  }

  /** A commit taken at `changeCount` went through: clean, unless something changed since it was taken. */
  committed(changeCount: number): void {
    if (changeCount === this.changes) this.isDirty = false;
  }

  snapshotSaved(nowMs: number): void {
    this.lastSnapshotAtMs = nowMs;
  }

  /** Idle: match what waits in the buffer; the commit metadata records the drain. */
  drainIdle(nowMs: number): { findings: Finding[]; candidates: BlockCandidate[] } {
    this.engine.drain(nowMs);
    this.isDrained = true;
    this.isDirty = true;
    this.changes++;
    return this.engine.take();
  }

  /** Event-time watermark: the newest accepted start, never behind the rebuild seed. */
  watermarkMs(): number {
    return Math.max(this.seedWmMs, this.engine.maxEventTimeMs);
  }

  /** During a rebuild: was this CDR late in the original run (so it must stay out of the state)? */
  lateInReplay(startMs: number): boolean {
    return startMs < this.seedWmMs - this.rules.allowedLatenessS * 1000;
  }

  /** Called when the rebuild reached the committed offset: drain like the original did before its commit. */
  rebuildDone(nowMs: number): void {
    if (this.drainAfterRebuild) this.engine.drain(nowMs);
    this.drainAfterRebuild = false;
    this.engine.take(); // already delivered before the commit
    this.isDrained = true;
  }

  noteBatchStart(offset: number): void {
    const last = this.checkpoints[this.checkpoints.length - 1];
    if (last.offset !== offset) this.checkpoints.push({ offset, wmMs: this.watermarkMs() });
  }

  /**
   * Metadata for a commit at `nextOffset`: the latest checkpoint whose records can all no longer match
   * (their starts are at most its watermark, which is older than the engine's retention of
   * windowS + allowedLatenessS). Older checkpoints are forgotten.
   */
  rebuildMeta(): RebuildMeta {
    const horizon = this.watermarkMs() - (this.rules.windowS + this.rules.allowedLatenessS) * 1000;
    let k = 0;
    for (let i = 1; i < this.checkpoints.length; i++) if (this.checkpoints[i].wmMs < horizon) k = i;
    if (k > 0) this.checkpoints = this.checkpoints.slice(k);
    const cp = this.checkpoints[0];
    return { v: 1, from: cp.offset, wm: Number.isFinite(cp.wmMs) ? cp.wmMs : null, drained: this.isDrained };
  }
}
