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

/** Where a partition's new state starts: offsets [from, rebuildUntil) are re-read with outputs discarded. */
export interface PartitionStart {
  from: number;
  rebuildUntil: number;
  /** Event-time watermark in force at `from` (null: none known). */
  wmMs: number | null;
  /** Drain the buffer once the rebuild reaches rebuildUntil (the original had drained before its commit). */
  drained: boolean;
}

/**
 * What to do with a partition when a new group generation hands it a batch:
 * - `reuse`: the state held continues exactly where the commit stands; keep it.
 * - `rebuild`: the commit carries rebuild metadata; a new state re-reads the log from its `from` up to the
 *   committed offset, outputs discarded.
 * - `start`: no usable metadata; a new, empty window state starts at the committed offset (or at the
 *   batch, when nothing is committed). `metadataMissing`: a commit exists without metadata (worth a warning).
 * `seekTo` (not null) says the batch is not where the new state starts: seek there and skip this batch.
 */
export type PartitionPlan =
  | { action: 'reuse' }
  | { action: 'rebuild'; start: PartitionStart; seekTo: number | null }
  | { action: 'start'; start: PartitionStart; seekTo: number | null; metadataMissing: boolean };

/**
 * Pure: decide from the committed offset (-1: none) and its metadata, the state held for the partition
 * (null: none), and the first offset of the batch at hand.
 */
export function planPartition(
  committed: number,
  metadata: string | null,
  current: { nextOffset: number; dirty: boolean } | null,
  firstOffset: number,
  /** The latest plausible event time now (wall clock + maxFutureS): a watermark past it is ignored. */
  plausibleMaxMs = Infinity,
): PartitionPlan {
  if (current && committed === current.nextOffset && !current.dirty) return { action: 'reuse' };
  const meta = parseRebuildMeta(metadata);
  // A watermark moved by an implausible time (committed by a version without the plausible-time check)
  // would make every later CDR late_record, restart after restart: forget it, the window re-read rebuilds one.
  if (meta && meta.wm !== null && meta.wm > plausibleMaxMs) meta.wm = null;
  if (committed >= 0 && meta && meta.from < committed) {
    return {
      action: 'rebuild',
      start: { from: meta.from, rebuildUntil: committed, wmMs: meta.wm, drained: meta.drained },
      seekTo: firstOffset !== meta.from ? meta.from : null,
    };
  }
  const from = committed >= 0 ? committed : firstOffset;
  return {
    action: 'start',
    start: { from, rebuildUntil: from, wmMs: meta?.wm ?? null, drained: true },
    seekTo: firstOffset < from ? from : null,
    metadataMissing: committed > 0 && !meta,
  };
}
