import type { RejectReason } from '../domain/types.js';
import { implausibleTime, type TimeBounds } from '../domain/time.js';
import { admissionDetail } from '../engine/admission.js';
import { validateCdrMessage } from '../input/cdr-json.js';
import type { StreamPartition } from './stream-partition.js';

/** Why a CDR message is rejected, as a reject record says it. */
export interface MessageReject {
  reason: RejectReason;
  detail: string;
}

/**
 * One CDR message of a partition: validate it and offer it to the partition's engine. Returns null when
 * it is accepted, else the reject's reason and detail (the same wording as `detect` for duplicates and
 * late records).
 */
export function admitMessage(st: StreamPartition, value: Buffer | null, tzOffsetMin: number, nowMs: number, latenessS: number, bounds: TimeBounds): MessageReject | null {
  if (value === null || value.length === 0) return { reason: 'malformed_row', detail: 'empty message value' };
  const v = validateCdrMessage(value, tzOffsetMin);
  if (!v.ok) return { reason: v.reason, detail: v.detail };
  // Plausible times before admission: a corrupt timestamp never moves the watermark (nor its commit metadata).
  const implausible = implausibleTime(v.cdr.startMs, nowMs, bounds);
  if (implausible !== null) return { reason: 'invalid_time', detail: implausible };
  // Behind the watermark the partition had before the rebuild start: late in the original run (kept out of
  // the rebuilt state), and late now.
  const why = st.lateInReplay(v.cdr.startMs) ? 'late_record' : st.engine.offer(v.cdr, nowMs);
  if (why === null) {
    st.accepted();
    return null;
  }
  return { reason: why, detail: admissionDetail(why, v.cdr.recordId, st.watermarkMs(), latenessS) };
}
