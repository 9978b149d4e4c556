import type { Cdr, CellSite } from '../domain/types.js';
import { digitsText, msisdnDigitsText } from '../domain/identity.js';
import { movesIntoHole } from './key-index.js';

/** One CDR kept as evidence beyond the matching window (shared_imei's `a`): the CDR's identity fields and its cell. */
export type EvidenceCdr = Pick<Cdr, 'recordId' | 'startMs' | 'endMs' | 'key' | 'imeiLen' | 'imeiSuffix' | 'imsi' | 'imsiLen' | 'msisdn' | 'msisdnLen'> & {
  cell: CellSite | null;
};

/** What the history knows of one IMSI on one IMEI key. */
export interface ImsiSeen {
  imsi: number;
  imsiLen: number;
  firstSeenMs: number;
  lastSeenMs: number;
  count: number;
  /** MSISDNs seen with it (digits as numbers, with their length flags), at most maxMsisdnsPerImsi. */
  msisdns: number[];
  msisdnLens: number[];
  /** First CDR since the IMSI last (re)joined the IMEI's period count; only kept when evidence is wanted. */
  since: EvidenceCdr | null;
}

export interface ImeiHistoryOptions {
  /**
   * An IMSI is forgotten on an IMEI key this long after its last CDR there (event time): a later CDR of the key
   * finds it gone. What the history says therefore depends on the CDRs of the key only, never on when a sweep ran.
   */
  horizonMs: number;
  /**
   * How far the newest event time may run ahead of the CDR being matched (the lateness): sweeps free memory
   * only this much later, so they never drop what a CDR still being matched would find.
   */
  slackMs?: number;
  /** A CDR of an IMSI whose last CDR is older than this (re)joins the count (shared_imei's period). */
  periodMs: number;
  /** IMSIs remembered per IMEI key; more are counted in `untrackedImsis` and left out. */
  maxImsisPerImei?: number;
  /** MSISDNs remembered per IMSI on an IMEI key. */
  maxMsisdnsPerImsi?: number;
  /** Keep the first CDR of each IMSI's period as evidence (shared_imei needs it; it costs an object per IMEI). */
  keepEvidence?: boolean;
}

/** How often (event time) forgotten IMEIs are swept out. */
const SWEEP_EVERY_MS = 3_600_000;
const NO_MULTI = -1;

// Row layout: one Float64Array, ROW fields a row (64 bytes, one cache line), so a CDR touches one line of
// the index and one of its row.
const ROW = 8;
const F_KEY = 0;
const F_IMSI = 1;
const F_FIRST = 2;
const F_LAST = 3;
const F_COUNT = 4;
const F_MSISDN = 5;
/** imsiLen + 256 * msisdnLen (the length flags of the MSISDN). */
const F_LENS = 6;
/** Index into `multis`, or NO_MULTI. */
const F_MULTI = 7;

/**
 * A little history per IMEI key beyond the matching window (SPEC "Block candidates: what the operator needs
 * to act" and shared_imei): per IMSI, when it was first and last seen on the key, how many CDRs it had, and
 * the MSISDNs it was seen with. Nearly every IMEI key has one IMSI and one MSISDN: that case is one 64-byte
 * row of a typed array (no object per IMEI; with the index about 90 bytes per IMEI key); a key with a second
 * IMSI or MSISDN gets a list of ImsiSeen objects, capped at maxImsisPerImei. An IMSI is forgotten on a key
 * horizonMs after its last CDR there.
 */
export class ImeiHistory {
  readonly horizonMs: number;
  readonly slackMs: number;
  readonly periodMs: number;
  readonly maxImsisPerImei: number;
  readonly maxMsisdnsPerImsi: number;
  readonly keepEvidence: boolean;
  /** IMSIs left out because their IMEI key had maxImsisPerImei already. */
  untrackedImsis = 0;

  // Open-addressing index: [key, row] pairs.
  private index = new Float64Array(0);
  private mask = 0;
  size = 0;

  private cap = 0;
  private rows = new Float64Array(0);
  private rSince: Array<EvidenceCdr | null> = [];
  private free: number[] = [];
  private multis: Array<ImsiSeen[] | null> = [];
  private freeMulti: number[] = [];
  private lastSweepMs = -Infinity;

  constructor(o: ImeiHistoryOptions) {
    this.horizonMs = o.horizonMs;
    this.slackMs = o.slackMs ?? 0;
    this.periodMs = o.periodMs;
    this.maxImsisPerImei = o.maxImsisPerImei ?? 1000;
    this.maxMsisdnsPerImsi = o.maxMsisdnsPerImsi ?? 4;
    this.keepEvidence = o.keepEvidence ?? false;
    this.resizeIndex(1024);
    this.growRows(1024);
  }

  /**
   * Note a CDR. Returns true when its IMSI (re)joins the key's period count: never seen on the key, or last
   * seen more than periodMs before this CDR. `evidence` is called only when the CDR must be kept as evidence.
   */
  note(key: number, imsi: number, imsiLen: number, msisdn: number, msisdnLen: number, startMs: number, evidence: () => EvidenceCdr): boolean {
    const pos = this.find(key);
    const d = this.rows;
    if (pos < 0) {
      const r = this.allocRow();
      this.fillRow(r, key, imsi, imsiLen, msisdn, msisdnLen, startMs, evidence);
      this.insert(key, r);
      return true;
    }
    const r = this.index[pos + 1];
    const o = r * ROW;
    const forgetBefore = startMs - this.horizonMs;
    const lens = imsiLen + 256 * msisdnLen;
    if (d[o + F_MULTI] === NO_MULTI) {
      if (d[o + F_LAST] < forgetBefore) {
        // The key's only IMSI is past the horizon: start the key over with this CDR.
        this.fillRow(r, key, imsi, imsiLen, msisdn, msisdnLen, startMs, evidence);
        return true;
      }
      const storedLens = d[o + F_LENS];
      // Small integers: bit operations (a % on a number read from a Float64Array is a floating-point remainder).
      const storedMsisdnLen = storedLens >>> 8;
      if (d[o + F_IMSI] === imsi && (storedLens & 255) === imsiLen && (msisdnLen === 0 || storedMsisdnLen === 0 || (storedLens === lens && d[o + F_MSISDN] === msisdn))) {
        if (storedMsisdnLen === 0 && msisdnLen !== 0) {
          d[o + F_MSISDN] = msisdn;
          d[o + F_LENS] = lens;
        }
        const rejoin = startMs - d[o + F_LAST] > this.periodMs;
        d[o + F_COUNT]++;
        if (startMs < d[o + F_FIRST]) d[o + F_FIRST] = startMs;
        if (startMs > d[o + F_LAST]) d[o + F_LAST] = startMs;
        if (rejoin && this.keepEvidence) this.rSince[r] = evidence();
        return rejoin;
      }
      this.toMulti(r);
    }
    const m = d[o + F_MULTI];
    let list = this.multis[m]!;
    if (startMs > d[o + F_LAST]) d[o + F_LAST] = startMs;
    if (list.some((e) => e.lastSeenMs < forgetBefore)) this.multis[m] = list = list.filter((e) => e.lastSeenMs >= forgetBefore);
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      if (e.imsi !== imsi || e.imsiLen !== imsiLen) continue;
      const rejoin = startMs - e.lastSeenMs > this.periodMs;
      e.count++;
      if (startMs < e.firstSeenMs) e.firstSeenMs = startMs;
      if (startMs > e.lastSeenMs) e.lastSeenMs = startMs;
      if (msisdnLen !== 0) this.addMsisdn(e, msisdn, msisdnLen);
      if (rejoin && this.keepEvidence) e.since = evidence();
      return rejoin;
    }
    if (list.length >= this.maxImsisPerImei) {
      this.untrackedImsis++;
      return false;
    }
    const e: ImsiSeen = { imsi, imsiLen, firstSeenMs: startMs, lastSeenMs: startMs, count: 1, msisdns: [], msisdnLens: [], since: this.keepEvidence ? evidence() : null };
    if (msisdnLen !== 0) this.addMsisdn(e, msisdn, msisdnLen);
    list.push(e);
    return true;
  }

  /** The IMSIs remembered on an IMEI key (a fresh array; empty when the key is unknown). */
  imsisOf(key: number): ImsiSeen[] {
    const pos = this.find(key);
    if (pos < 0) return [];
    const r = this.index[pos + 1];
    const m = this.rows[r * ROW + F_MULTI];
    if (m !== NO_MULTI) return this.multis[m]!.slice();
    return [this.compactEntry(r)];
  }

  /** Number of IMSIs remembered on the key (0 when unknown). */
  imsiCount(key: number): number {
    const pos = this.find(key);
    if (pos < 0) return 0;
    const m = this.rows[this.index[pos + 1] * ROW + F_MULTI];
    return m === NO_MULTI ? 1 : this.multis[m]!.length;
  }

  /** Forget IMEI keys (and IMSIs on them) whose last CDR is more than horizonMs (+ slack) behind maxEventMs. Hourly. */
  sweep(maxEventMs: number): void {
    if (maxEventMs - this.lastSweepMs <= SWEEP_EVERY_MS) return;
    this.lastSweepMs = maxEventMs;
    const horizon = maxEventMs - this.horizonMs - this.slackMs;
    const d = this.rows;
    for (let i = 0; i < this.index.length; ) {
      if (this.index[i] === 0) {
        i += 2;
        continue;
      }
      const r = this.index[i + 1];
      if (d[r * ROW + F_LAST] < horizon) {
        this.freeRow(r);
        this.removeAt(i); // an entry may have moved into i: look at i again
        continue;
      }
      const m = d[r * ROW + F_MULTI];
      if (m !== NO_MULTI) {
        const list = this.multis[m]!;
        const kept = list.filter((e) => e.lastSeenMs >= horizon);
        if (kept.length !== list.length) this.multis[m] = kept;
      }
      i += 2;
    }
  }

  /** Bytes of the index and the rows, plus an estimate for the multi-IMSI lists and kept evidence. */
  bytes(): number {
    let multi = 0;
    for (const l of this.multis) if (l) multi += 48 + l.length * 120;
    // A kept evidence CDR: the object, its record_id and the slot in rSince (estimate).
    const evidence = this.keepEvidence ? this.size * 150 : 0;
    return this.index.length * 8 + this.cap * (ROW * 8 + 8) + multi + evidence;
  }

  private fillRow(r: number, key: number, imsi: number, imsiLen: number, msisdn: number, msisdnLen: number, startMs: number, evidence: () => EvidenceCdr): void {
    const d = this.rows;
    const o = r * ROW;
    const m = d[o + F_MULTI];
    if (m !== NO_MULTI && d[o + F_KEY] === key) {
      this.multis[m] = null;
      this.freeMulti.push(m);
    }
    d[o + F_KEY] = key;
    d[o + F_IMSI] = imsi;
    d[o + F_FIRST] = startMs;
    d[o + F_LAST] = startMs;
    d[o + F_COUNT] = 1;
    d[o + F_MSISDN] = msisdn;
    d[o + F_LENS] = imsiLen + 256 * msisdnLen;
    d[o + F_MULTI] = NO_MULTI;
    this.rSince[r] = this.keepEvidence ? evidence() : null;
  }

  private compactEntry(r: number): ImsiSeen {
    const d = this.rows;
    const o = r * ROW;
    const lens = d[o + F_LENS];
    const msisdnLen = lens >>> 8;
    return {
      imsi: d[o + F_IMSI],
      imsiLen: lens & 255,
      firstSeenMs: d[o + F_FIRST],
      lastSeenMs: d[o + F_LAST],
      count: d[o + F_COUNT],
      msisdns: msisdnLen === 0 ? [] : [d[o + F_MSISDN]],
      msisdnLens: msisdnLen === 0 ? [] : [msisdnLen],
      since: this.rSince[r],
    };
  }

  private toMulti(r: number): void {
    const list = [this.compactEntry(r)];
    const m = this.freeMulti.length ? this.freeMulti.pop()! : this.multis.length;
    this.multis[m] = list;
    this.rows[r * ROW + F_MULTI] = m;
    this.rSince[r] = null;
  }

  private addMsisdn(e: ImsiSeen, msisdn: number, msisdnLen: number): void {
    for (let i = 0; i < e.msisdns.length; i++) if (e.msisdns[i] === msisdn && e.msisdnLens[i] === msisdnLen) return;
    if (e.msisdns.length >= this.maxMsisdnsPerImsi) return;
    e.msisdns.push(msisdn);
    e.msisdnLens.push(msisdnLen);
  }

  // ---- rows

  private allocRow(): number {
    if (this.free.length === 0) this.growRows(this.cap * 2);
    return this.free.pop()!;
  }

  private freeRow(r: number): void {
    const o = r * ROW;
    const m = this.rows[o + F_MULTI];
    if (m !== NO_MULTI) {
      this.multis[m] = null;
      this.freeMulti.push(m);
    }
    this.rows[o + F_MULTI] = NO_MULTI;
    this.rows[o + F_KEY] = 0;
    this.rSince[r] = null;
    this.free.push(r);
  }

  private growRows(n: number): void {
    const old = this.cap;
    const rows = new Float64Array(n * ROW);
    rows.set(this.rows);
    for (let r = old; r < n; r++) rows[r * ROW + F_MULTI] = NO_MULTI;
    this.rows = rows;
    for (let r = old; r < n; r++) this.rSince.push(null);
    for (let r = n - 1; r >= old; r--) this.free.push(r);
    this.cap = n;
  }

  // ---- index (linear probing over [key, row] pairs, backward-shift deletion as engine/key-index.ts)

  private slotOf(key: number): number {
    const lo = key >>> 0;
    const hi = (key / 4294967296) | 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1);
    h ^= h >>> 15;
    return (h & this.mask) * 2;
  }

  /** Position (even index into `index`) of key, or -1. */
  private find(key: number): number {
    const idx = this.index;
    const wrap = idx.length - 1;
    let i = this.slotOf(key);
    for (;;) {
      const k = idx[i];
      if (k === key) return i;
      if (k === 0) return -1;
      i = (i + 2) & wrap;
    }
  }

  private insert(key: number, row: number): void {
    if ((this.size + 1) * 4 > this.index.length) this.resizeIndex(this.index.length);
    const idx = this.index;
    const wrap = idx.length - 1;
    let i = this.slotOf(key);
    while (idx[i] !== 0) i = (i + 2) & wrap;
    idx[i] = key;
    idx[i + 1] = row;
    this.size++;
  }

  private removeAt(i: number): void {
    const idx = this.index;
    const wrap = idx.length - 1;
    let hole = i;
    let j = i;
    for (;;) {
      j = (j + 2) & wrap;
      const k = idx[j];
      if (k === 0) break;
      if (movesIntoHole(this.slotOf(k), hole, j)) {
        idx[hole] = k;
        idx[hole + 1] = idx[j + 1];
        hole = j;
      }
    }
    idx[hole] = 0;
    this.size--;
  }

  /** Rebuild the index with `slots` slots (a power of two). */
  private resizeIndex(slots: number): void {
    const old = this.index;
    this.index = new Float64Array(slots * 2);
    this.mask = slots - 1;
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0) this.insert(old[i], old[i + 1]);
  }
}

/** IMSI text of an entry. */
export function imsiTextOf(e: ImsiSeen): string {
  return digitsText(e.imsi, e.imsiLen);
}

/** MSISDN digits (no +) seen with an entry. */
export function msisdnDigitsOf(e: ImsiSeen): string[] {
  return e.msisdns.map((m, i) => msisdnDigitsText(m, e.msisdnLens[i]));
}
