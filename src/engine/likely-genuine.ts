import type { LikelyGenuineReason } from '../domain/types.js';
import { imsiTextOf, msisdnDigitsOf, type ImsiSeen } from './imei-history.js';

/**
 * Which IMSI is most likely the original device's (SPEC "Block candidates"; ITU-T Q.5052 section 8 asks to
 * tell the genuine device from the clones), among every IMSI seen on the IMEI key (the candidate's, and those
 * the history remembers: the owner of a copied 3G phone is in no inconsistent_rat finding, yet seen first):
 * an IMSI exempt on the key by the exception list first; else the one seen first on the IMEI key; a tie (same
 * first CDR time) goes to the one with more CDRs, then to the smaller IMSI so the answer never depends on
 * arrival order.
 */
export function likelyGenuine(
  imsis: readonly string[],
  exemptImsis: readonly string[],
  seen: readonly ImsiSeen[],
  isExempt: (imsi: string) => boolean,
): { imsi: string; reason: LikelyGenuineReason } {
  const byText = new Map<string, ImsiSeen>();
  for (const e of seen) byText.set(imsiTextOf(e), e);
  const all = new Set([...imsis, ...exemptImsis, ...byText.keys()]);
  const exempt = [...all].filter((x) => exemptImsis.includes(x) || isExempt(x));
  const pool = exempt.length > 0 ? exempt : [...all].filter((x) => !exempt.includes(x));
  const first = (x: string) => byText.get(x)?.firstSeenMs ?? Infinity;
  const count = (x: string) => byText.get(x)?.count ?? 0;
  let best = pool[0];
  let tiedOnFirst = false;
  for (let i = 1; i < pool.length; i++) {
    const x = pool[i];
    const d = first(x) - first(best);
    if (d < 0) {
      best = x;
      tiedOnFirst = false;
    } else if (d === 0) {
      tiedOnFirst = true;
      if (count(x) > count(best) || (count(x) === count(best) && x < best)) best = x;
    }
  }
  if (exempt.length > 0) return { imsi: best, reason: 'exception_list' };
  // A tie on the first CDR is only broken by traffic when best really has more CDRs than every other tied IMSI.
  if (tiedOnFirst) return { imsi: best, reason: 'most_traffic' };
  return { imsi: best, reason: 'first_seen' };
}

/** The MSISDNs (digits, no +; sorted, distinct) seen with these IMSIs on the IMEI key: whom to notify before blocking. */
export function notifyMsisdns(imsis: readonly string[], seen: readonly ImsiSeen[]): string[] {
  const want = new Set(imsis);
  const out = new Set<string>();
  for (const e of seen) if (want.has(imsiTextOf(e))) for (const m of msisdnDigitsOf(e)) out.add(m);
  return [...out].sort();
}
