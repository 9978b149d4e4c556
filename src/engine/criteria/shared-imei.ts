import { imsiTextOf, type ImsiSeen } from '../imei-history.js';
import type { KeyCriterion } from './criterion.js';

/**
 * Art. 22(c) shared_imei: at least `minImsis` distinct non-exempt IMSIs on one IMEI key within `periodMs` of
 * event time (DIRBS-Core's duplicate_threshold, in a stream). One finding per IMEI key per period; `a` is the
 * first CDR (in the period) of the IMSI seen first, `b` the CDR that brought the count to the threshold.
 * It is only evaluated when a CDR's IMSI (re)joins the count, the only moment the count can grow.
 */
export function sharedImei(o: { minImsis: number; periodMs: number }): KeyCriterion {
  return {
    kind: 'key',
    name: 'shared_imei',
    needsTac: false,
    examine(s) {
      if (!s.joined) return null;
      const from = s.startMs - o.periodMs;
      const counted: ImsiSeen[] = [];
      for (const e of s.seen()) if (e.lastSeenMs >= from && !s.exempt(imsiTextOf(e))) counted.push(e);
      if (counted.length < o.minImsis) return null;
      let first = counted[0];
      for (const e of counted) if ((e.since?.startMs ?? Infinity) < (first.since?.startMs ?? Infinity)) first = e;
      return {
        a: first.since,
        suppressionKey: `${s.key}|shared_imei`,
        periodMs: o.periodMs,
        imsis: counted.map(imsiTextOf),
        extra: { imsi_count: counted.length },
      };
    },
  };
}
