import { doubleArray, objectArray } from '../domain/arrays.js';
import { IdSet } from './id-set.js';

/** Why a CDR is not admitted (null: admitted). */
export type OfferResult = 'duplicate_record' | 'late_record' | null;

/** The detail of a duplicate_record or late_record reject, the same for files and streams. */
export function admissionDetail(why: 'duplicate_record' | 'late_record', recordId: string, maxEventMs: number, latenessS: number): string {
  return why === 'late_record'
    ? `starts more than ${latenessS} s before the newest accepted event time ${new Date(maxEventMs).toISOString()}`
    : `record_id ${recordId} was already accepted`;
}

/** Expired entries at the head of a queue before it is copied down (admission's ids, the engine's release FIFO). */
export const COMPACT_AFTER = 4096;

/**
 * Which accepted-or-not decisions SPEC makes before matching: a record_id accepted within the last
 * windowS + allowedLatenessS is a duplicate delivery; a start more than allowedLatenessS behind the newest
 * accepted event time is late. A rejected CDR does not move event time.
 */
export class Admission {
  private maxEventMs = -Infinity;
  private readonly seenIds = new IdSet();
  // Arrays of their final kind from the start (domain/arrays.ts): a new Admission's first push otherwise met
  // code compiled for the warm-up's arrays ("wrong map").
  private idQueue: string[] = objectArray();
  private idStart: number[] = doubleArray();
  private idHashes: number[] = doubleArray();
  private idHead = 0;

  /**
   * `compactAfter`: how many expired ids the queue's head may hold before the queue is copied down (a JIT
   * warm-up makes it small, so that the copy runs there too: pipeline/batch-admitter.ts warmUpAdmission).
   */
  constructor(
    private readonly latenessMs: number,
    private readonly retentionMs: number,
    private readonly compactAfter = COMPACT_AFTER,
  ) {}

  /** Newest accepted event time, -Infinity before the first. */
  get maxEventTimeMs(): number {
    return this.maxEventMs;
  }

  get trackedIds(): number {
    return this.seenIds.size;
  }

  /**
   * Decide on a CDR; null = accepted (and remembered). `checkId` false: the caller knows that no other CDR
   * of its input has this record_id (a file run's first pass), so it can be no duplicate and is not
   * remembered.
   */
  admit(recordId: string, idHash: number, startMs: number, checkId = true): OfferResult {
    if (!checkId) {
      if (startMs < this.maxEventMs - this.latenessMs) return 'late_record';
      if (startMs > this.maxEventMs) this.maxEventMs = startMs;
      return null;
    }
    this.expire();
    if (this.seenIds.has(recordId, idHash)) return 'duplicate_record';
    if (startMs < this.maxEventMs - this.latenessMs) return 'late_record';
    this.seenIds.add(recordId, idHash);
    this.idQueue.push(recordId);
    this.idStart.push(startMs);
    this.idHashes.push(idHash);
    if (startMs > this.maxEventMs) this.maxEventMs = startMs;
    return null;
  }

  /** Forget the ids that left the dedup horizon (start older than the window plus the lateness); admit() calls it. */
  private expire(): void {
    const threshold = this.maxEventMs - this.retentionMs;
    const q = this.idQueue;
    const qs = this.idStart;
    const qh = this.idHashes;
    let h = this.idHead;
    while (h < q.length && qs[h] < threshold) {
      this.seenIds.delete(q[h], qh[h]);
      q[h] = '';
      h++;
    }
    this.idHead = h;
    if (h > this.compactAfter && h * 2 > q.length) {
      this.idQueue = q.slice(h);
      this.idStart = qs.slice(h);
      this.idHashes = qh.slice(h);
      this.idHead = 0;
    }
  }
}
