import type { CellSite } from '../domain/types.js';
import { digitsText, msisdnDigitsText } from '../domain/identity.js';
import { movesIntoHole } from './key-index.js';

/** One CDR kept as evidence beyond the matching window (shared_imei's `a`). */
export interface EvidenceCdr {
  recordId: string;
  startMs: number;
  endMs: number;
  key: number;
  imeiLen: number;
  imeiSuffix: number;
  imsi: number;
  imsiLen: number;
  msisdn: number;
  msisdnLen: number;
  cell: CellSite | null;
}

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

/**
 * A little history per IMEI key beyond the matching window (SPEC "Block candidates: what the operator needs
 * to act" and shared_imei): per IMSI, when it was first and last seen on the key, how many CDRs it had, and
 * the MSISDNs it was seen with. Nearly every IMEI key has one IMSI and one MSISDN: that case lives in typed
 * columns (no object per IMEI, ~70 bytes with the index); a key with a second IMSI or MSISDN gets a list of
 * ImsiSeen objects, capped at maxImsisPerImei. Keys are forgotten horizonMs after their last CDR.
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

  // Open-addressing index: IMEI key -> row.
  private hKeys = new Float64Array(0);
  private hRows = new Int32Array(0);
  private mask = 0;
  size = 0;

  // Rows (struct of arrays) with a free list.
  private cap = 0;
  private rKey = new Float64Array(0);
  private rImsi = new Float64Array(0);
  private rImsiLen = new Uint8Array(0);
  private rFirst = new Float64Array(0);
  private rLast = new Float64Array(0);
  private rCount = new Float64Array(0);
  private rMsisdn = new Float64Array(0);
  private rMsisdnLen = new Uint8Array(0);
  private rMulti = new Int32Array(0);
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
    if (pos < 0) {
      const r = this.allocRow();
      this.rKey[r] = key;
      this.rImsi[r] = imsi;
      this.rImsiLen[r] = imsiLen;
      this.rFirst[r] = startMs;
      this.rLast[r] = startMs;
      this.rCount[r] = 1;
      this.rMsisdn[r] = msisdn;
      this.rMsisdnLen[r] = msisdnLen;
      this.rMulti[r] = NO_MULTI;
      this.rSince[r] = this.keepEvidence ? evidence() : null;
      this.insert(key, r);
      return true;
    }
    const r = this.hRows[pos];
    const forgetBefore = startMs - this.horizonMs;
    if (this.rMulti[r] === NO_MULTI && this.rLast[r] < forgetBefore) {
      // The key's only IMSI is past the horizon: start the key over with this CDR.
      this.rImsi[r] = imsi;
      this.rImsiLen[r] = imsiLen;
      this.rFirst[r] = startMs;
      this.rLast[r] = startMs;
      this.rCount[r] = 1;
      this.rMsisdn[r] = msisdn;
      this.rMsisdnLen[r] = msisdnLen;
      this.rSince[r] = this.keepEvidence ? evidence() : null;
      return true;
    }
    if (this.rMulti[r] === NO_MULTI) {
      if (this.rImsi[r] === imsi && this.rImsiLen[r] === imsiLen && (msisdnLen === 0 || (this.rMsisdn[r] === msisdn && this.rMsisdnLen[r] === msisdnLen))) {
        const rejoin = startMs - this.rLast[r] > this.periodMs;
        this.rCount[r]++;
        if (startMs < this.rFirst[r]) this.rFirst[r] = startMs;
        if (startMs > this.rLast[r]) this.rLast[r] = startMs;
        if (rejoin && this.keepEvidence) this.rSince[r] = evidence();
        return rejoin;
      }
      this.toMulti(r);
    }
    let list = this.multis[this.rMulti[r]]!;
    if (startMs > this.rLast[r]) this.rLast[r] = startMs;
    if (list.some((e) => e.lastSeenMs < forgetBefore)) this.multis[this.rMulti[r]] = list = list.filter((e) => e.lastSeenMs >= forgetBefore);
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
    const r = this.hRows[pos];
    if (this.rMulti[r] !== NO_MULTI) return this.multis[this.rMulti[r]]!.slice();
    return [this.compactEntry(r)];
  }

  /** Number of IMSIs remembered on the key (0 when unknown). */
  imsiCount(key: number): number {
    const pos = this.find(key);
    if (pos < 0) return 0;
    const r = this.hRows[pos];
    return this.rMulti[r] === NO_MULTI ? 1 : this.multis[this.rMulti[r]]!.length;
  }

  /** Forget IMEI keys (and IMSIs on them) whose last CDR is more than horizonMs behind maxEventMs. Hourly. */
  sweep(maxEventMs: number): void {
    if (maxEventMs - this.lastSweepMs <= SWEEP_EVERY_MS) return;
    this.lastSweepMs = maxEventMs;
    const horizon = maxEventMs - this.horizonMs - this.slackMs;
    for (let i = 0; i < this.hKeys.length; ) {
      const k = this.hKeys[i];
      if (k === 0) {
        i++;
        continue;
      }
      const r = this.hRows[i];
      if (this.rLast[r] < horizon) {
        this.freeRow(r);
        this.removeAt(i); // an entry may have moved into i: look at i again
        continue;
      }
      const m = this.rMulti[r];
      if (m !== NO_MULTI) {
        const list = this.multis[m]!;
        const kept = list.filter((e) => e.lastSeenMs >= horizon);
        if (kept.length !== list.length) this.multis[m] = kept;
      }
      i++;
    }
  }

  /** Bytes of the index and the rows, plus an estimate for the multi-IMSI lists and kept evidence. */
  bytes(): number {
    let multi = 0;
    for (const l of this.multis) if (l) multi += 48 + l.length * 120;
    // A kept evidence CDR: the object, its record_id and the slot in rSince (estimate).
    const evidence = this.keepEvidence ? this.size * 150 : 0;
    return this.hKeys.length * 12 + this.cap * (6 * 8 + 2 + 4 + 8) + multi + evidence;
  }

  private compactEntry(r: number): ImsiSeen {
    return {
      imsi: this.rImsi[r],
      imsiLen: this.rImsiLen[r],
      firstSeenMs: this.rFirst[r],
      lastSeenMs: this.rLast[r],
      count: this.rCount[r],
      msisdns: this.rMsisdnLen[r] === 0 ? [] : [this.rMsisdn[r]],
      msisdnLens: this.rMsisdnLen[r] === 0 ? [] : [this.rMsisdnLen[r]],
      since: this.rSince[r],
    };
  }

  private toMulti(r: number): void {
    const list = [this.compactEntry(r)];
    const m = this.freeMulti.length ? this.freeMulti.pop()! : this.multis.length;
    this.multis[m] = list;
    this.rMulti[r] = m;
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
    const m = this.rMulti[r];
    if (m !== NO_MULTI) {
      this.multis[m] = null;
      this.freeMulti.push(m);
    }
    this.rMulti[r] = NO_MULTI;
    this.rSince[r] = null;
    this.rKey[r] = 0;
    this.free.push(r);
  }

  private growRows(n: number): void {
    const old = this.cap;
    const f64 = (a: Float64Array) => {
      const x = new Float64Array(n);
      x.set(a);
      return x;
    };
    const u8 = (a: Uint8Array) => {
      const x = new Uint8Array(n);
      x.set(a);
      return x;
    };
    this.rKey = f64(this.rKey);
    this.rImsi = f64(this.rImsi);
    this.rFirst = f64(this.rFirst);
    this.rLast = f64(this.rLast);
    this.rCount = f64(this.rCount);
    this.rMsisdn = f64(this.rMsisdn);
    this.rImsiLen = u8(this.rImsiLen);
    this.rMsisdnLen = u8(this.rMsisdnLen);
    const multi = new Int32Array(n).fill(NO_MULTI);
    multi.set(this.rMulti);
    this.rMulti = multi;
    for (let r = old; r < n; r++) this.rSince.push(null);
    for (let r = n - 1; r >= old; r--) this.free.push(r);
    this.cap = n;
  }

  // ---- index (linear probing, backward-shift deletion as engine/key-index.ts)

  private slotOf(key: number): number {
    const lo = key >>> 0;
    const hi = (key / 4294967296) | 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1);
    h ^= h >>> 15;
    return h & this.mask;
  }

  private find(key: number): number {
    const keys = this.hKeys;
    let i = this.slotOf(key);
    for (;;) {
      const k = keys[i];
      if (k === key) return i;
      if (k === 0) return -1;
      i = (i + 1) & this.mask;
    }
  }

  private insert(key: number, row: number): void {
    if ((this.size + 1) * 2 > this.hKeys.length) this.resizeIndex(this.hKeys.length * 2);
    let i = this.slotOf(key);
    while (this.hKeys[i] !== 0) i = (i + 1) & this.mask;
    this.hKeys[i] = key;
    this.hRows[i] = row;
    this.size++;
  }

  private removeAt(i: number): void {
    const keys = this.hKeys;
    let hole = i;
    let j = i;
    for (;;) {
      j = (j + 1) & this.mask;
      const k = keys[j];
      if (k === 0) break;
      if (movesIntoHole(this.slotOf(k), hole, j)) {
        keys[hole] = k;
        this.hRows[hole] = this.hRows[j];
        hole = j;
      }
    }
    keys[hole] = 0;
    this.size--;
  }

  private resizeIndex(n: number): void {
    const oldKeys = this.hKeys;
    const oldRows = this.hRows;
    this.hKeys = new Float64Array(n);
    this.hRows = new Int32Array(n);
    this.mask = n - 1;
    this.size = 0;
    for (let i = 0; i < oldKeys.length; i++) if (oldKeys[i] !== 0) this.insert(oldKeys[i], oldRows[i]);
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
