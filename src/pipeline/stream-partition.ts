import type { RuleConfig } from '../config/schema.js';
import type { Engine } from '../engine/engine.js';

/**
 * What a commit stores in the Kafka offset metadata (a short JSON string) so that whoever takes the
 * partition over can rebuild the window state: re-read from `from` (whose records before it can no longer
 * match anything), with the event-time watermark `wm` that was in force there, up to the committed offset,
 * discarding the outputs (they were already delivered). `drained`: the buffer had been drained at the commit.
 */
export interface RebuildMeta {
  v: 1;
  from: number;
  wm: number | null;
  drained: boolean;
}

export function parseRebuildMeta(s: string | null | undefined): RebuildMeta | null {
  if (!s) return null;
  try {
    const m = JSON.parse(s) as RebuildMeta;
    if (m && m.v === 1 && Number.isSafeInteger(m.from) && m.from >= 0 && (m.wm === null || Number.isFinite(m.wm)) && typeof m.drained === 'boolean') return m;
  } catch {
    /* not ours */
  }
  return null;
}

/** The state of one assigned partition of the CDR topic: its engine and where it stands. */
export class StreamPartition {
  /** Next offset to process. */
  nextOffset: number;
  /** Offsets below this were already delivered before the (re)assignment: re-read with outputs discarded. */
  readonly rebuildUntil: number;
  /** Watermark at the rebuild start: replayed CDRs further behind were late_record originally. */
  private readonly seedWmMs: number;
  private drainAfterRebuild: boolean;
  /** (offset, watermark before it) at batch starts: the candidates for the next rebuild start. */
  private checkpoints: Array<{ offset: number; wmMs: number }> = [];
  /** Wall clock of the last live message, for idle drain. */
  lastMessageMs = 0;
  /** Nothing accepted since the last drain. */
  drained = true;
  /** Processed offsets not yet committed. */
  dirty = false;
  /** Group generation that verified this state against the committed offset. */
  generation: number;
  seeking = false;
  /** Wall clock of the last dedup snapshot written for this partition. */
  lastSnapshotMs = 0;

  constructor(
    readonly partition: number,
    readonly engine: Engine,
    private readonly rules: RuleConfig,
    start: { from: number; rebuildUntil: number; wmMs: number | null; drained: boolean; generation: number },
  ) {
    this.nextOffset = start.from;
    this.rebuildUntil = start.rebuildUntil;
    this.seedWmMs = start.wmMs ?? -Infinity;
    this.drainAfterRebuild = start.drained;
    this.generation = start.generation;
    this.checkpoints.push({ offset: start.from, wmMs: this.seedWmMs });
  }

  get rebuilding(): boolean {
    return this.nextOffset < this.rebuildUntil;
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
    this.drained = true;
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
    return { v: 1, from: cp.offset, wm: Number.isFinite(cp.wmMs) ? cp.wmMs : null, drained: this.drained };
  }
}
