import { createHash } from 'node:crypto';
import type { RuleConfig } from '../config/schema.js';
import type { BlockCandidate, Cdr, CellSite, Finding, Rule, RunCounters } from '../domain/types.js';
import { emptyCounters, imeiKeyOf } from '../domain/types.js';
import { isoUtc } from '../domain/time.js';
import type { CellCatalogue } from '../input/cell-catalogue.js';
import type { ExceptionList } from '../input/exception-list.js';
import { msisdnDigits } from '../input/exception-list.js';
import { MinHeap } from './min-heap.js';
import { ReorderBuffer } from './reorder-buffer.js';
import { firedRules, measurePair, type PairMeasures, type RuleThresholds } from './rules.js';

/** A CDR held in an IMEI's window, with its cell resolved when it was matched. */
type Held = Cdr & { win: Held[] | null };

/** A record still alive this long past the release threshold leaves the FIFO for the long-lived heap. */
const LONG_LIVED_MS = 60_000;

interface CandidateState {
  imsis: Set<string>;
  exempt: Set<string>;
  rules: Set<Rule>;
  firstEvidenceMs: number;
  findings: number;
  lastFindingMs: number;
}

export interface EngineOptions {
  /**
   * How long (event time) an accepted CDR waits before it is matched. With the default,
   * allowedLatenessS, CDRs are matched in event-time order, so any row order within the lateness bound
   * gives the same findings (file runs). 0 matches on arrival (lowest latency for streams); the set of
   * (IMEI, IMSI pair, rule) found is the same, only which two CDRs serve as evidence may differ.
   */
  orderingDelayMs?: number;
}

export type OfferResult = 'duplicate_record' | 'late_record' | null;

export interface DedupState {
  suppression: Array<[string, number]>;
  candidates: Array<{ imei: string; imsis: string[]; exempt: string[]; rules: Rule[]; firstEvidenceMs: number; findings: number; lastFindingMs: number }>;
}

/**
 * Estimated heap bytes of one windowed CDR (object, its strings, window/FIFO/id-map slots) and of one IMEI
 * entry (map entry and array), measured with bench/ heap snapshots; used for the state-bytes gauge.
 */
const BYTES_PER_RECORD = 360;
const BYTES_PER_IMEI = 120;

export interface EngineStats {
  /** Rough heap bytes of the window state (see BYTES_PER_RECORD). */
  approxStateBytes: number;
  activeImeis: number;
  windowRecords: number;
  bufferedRecords: number;
  trackedRecordIds: number;
  suppressionEntries: number;
  candidateStates: number;
}

const byStartThenId = (x: Cdr, y: Cdr): boolean => x.startMs < y.startMs || (x.startMs === y.startMs && x.recordId < y.recordId);
const compareStartThenId = (x: Cdr, y: Cdr): number => x.startMs - y.startMs || (x.recordId < y.recordId ? -1 : x.recordId > y.recordId ? 1 : 0);

/** Stable id of a finding: the same input always gives the same id. */
export function findingId(imeiKey: string, rule: Rule, recordA: string, recordB: string): string {
  return createHash('sha256').update(`${imeiKey}|${rule}|${recordA}|${recordB}`).digest('hex').slice(0, 32);
}

const round = (v: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

/**
 * The detection core (RENTESEG Art. 22 (a) and (b)). Pure and synchronous: no I/O, no clock; the caller
 * passes the wall-clock time used for `detected_at`/`emitted_at`. Holds a window of CDRs per IMEI key in
 * event time and releases what can no longer match.
 */
export class Engine {
  readonly counters: RunCounters = emptyCounters();

  private readonly t: RuleThresholds;
  private readonly latenessMs: number;
  private readonly retentionMs: number;
  private readonly suppressionMs: number;
  private readonly candidateRetentionMs: number;
  private readonly orderingDelayMs: number;

  private maxEventMs = -Infinity;
  /** CDRs waiting to be matched in event-time order. */
  private readonly waiting = new ReorderBuffer<Held>(1000, compareStartThenId);
  /** record_ids accepted within windowS + allowedLatenessS; expired in acceptance order (idQueue). */
  private readonly seenIds = new Set<string>();
  private idQueue: Cdr[] = [];
  private idHead = 0;

  private readonly windows = new Map<number, Held[]>();
  private fifo: Held[] = [];
  private fifoHead = 0;
  private readonly longLived = new MinHeap<Held>((x, y) => x.endMs < y.endMs);
  private windowRecords = 0;

  /** (IMEI key, IMSI pair, rule) -> event time of the finding that opened its suppression period. */
  private readonly suppression = new Map<string, number>();
  private readonly candidates = new Map<string, CandidateState>();
  /** For IMEIs on the exception list: IMSI -> MSISDNs it was seen with, so exemption by MSISDN reaches the IMSI. */
  private readonly seenMsisdns = new Map<string, Map<string, Set<string>>>();
  private lastSweepMs = -Infinity;

  private findings: Finding[] = [];
  private emitted: BlockCandidate[] = [];
  /** Wall clock of the current offer; formatted only when a finding or candidate needs it. */
  private nowMs = 0;
  private nowIsoMs = NaN;
  private nowIsoText = '';

  constructor(
    rules: RuleConfig,
    private refs: { cells: CellCatalogue; exceptions: ExceptionList },
    opts: EngineOptions = {},
  ) {
    this.t = {
      overlapToleranceMs: rules.overlapToleranceS * 1000,
      windowMs: rules.windowS * 1000,
      minDistanceKm: rules.minDistanceKm,
      maxSpeedKmh: rules.maxSpeedKmh,
    };
    this.latenessMs = rules.allowedLatenessS * 1000;
    this.retentionMs = this.t.windowMs + this.latenessMs;
    this.suppressionMs = rules.suppressionS * 1000;
    this.candidateRetentionMs = Math.max(rules.candidateRetentionS, rules.suppressionS) * 1000;
    this.orderingDelayMs = Math.min(opts.orderingDelayMs ?? this.latenessMs, this.latenessMs);
  }

  setCells(cells: CellCatalogue): void {
    this.refs = { ...this.refs, cells };
  }

  setExceptions(exceptions: ExceptionList): void {
    this.refs = { ...this.refs, exceptions };
  }

  /** Newest event time accepted so far (ms), -Infinity before the first CDR. */
  get maxEventTimeMs(): number {
    return this.maxEventMs;
  }

  /**
   * Offer a validated CDR. Returns null when it is accepted, or why it is rejected: a record_id accepted
   * within the last windowS + allowedLatenessS is a duplicate delivery; a start more than allowedLatenessS
   * behind the newest accepted event time is late.
   */
  offer(cdr: Cdr, nowMs: number): OfferResult {
    if (this.seenIds.has(cdr.recordId)) return 'duplicate_record';
    if (cdr.startMs < this.maxEventMs - this.latenessMs) return 'late_record';
    this.counters.recordsAccepted++;
    this.seenIds.add(cdr.recordId);
    this.idQueue.push(cdr);
    const held = cdr as Held;
    if (cdr.startMs > this.maxEventMs) this.maxEventMs = cdr.startMs;
    if (this.orderingDelayMs === 0 || !this.waiting.push(held)) {
      // Its turn has come already (streams, or a CDR behind what was matched): match it now.
      this.nowMs = nowMs;
      this.match(held);
    }
    this.advance(this.maxEventMs - this.orderingDelayMs, nowMs);
    return null;
  }

  /**
   * End of input: match everything still waiting. The engine stays usable: later CDRs are matched against
   * the window as usual (late ones are still rejected), so a stream calls this when a partition goes idle.
   */
  finish(nowMs: number): void {
    this.advance(Infinity, nowMs);
  }

  /** Match everything buffered without ending the input (same as finish; the name streams use). */
  drain(nowMs: number): void {
    this.advance(Infinity, nowMs);
  }

  /** Suppression and candidate state (JSON-serialisable), so a restarted stream emits no finding twice. */
  exportDedupState(): DedupState {
    return {
      suppression: [...this.suppression],
      candidates: [...this.candidates].map(([k, c]) => ({
        imei: k,
        imsis: [...c.imsis],
        exempt: [...c.exempt],
        rules: [...c.rules],
        firstEvidenceMs: c.firstEvidenceMs,
        findings: c.findings,
        lastFindingMs: c.lastFindingMs,
      })),
    };
  }

  /** Merge a state from exportDedupState into this engine (before replaying the window). */
  importDedupState(state: DedupState): void {
    for (const [k, at] of state.suppression) {
      const cur = this.suppression.get(k);
      if (cur === undefined || at > cur) this.suppression.set(k, at);
    }
    for (const c of state.candidates) {
      const cur = this.candidates.get(c.imei);
      if (cur === undefined || cur.findings <= c.findings) {
        this.candidates.set(c.imei, {
          imsis: new Set(c.imsis),
          exempt: new Set(c.exempt),
          rules: new Set(c.rules),
          firstEvidenceMs: c.firstEvidenceMs,
          findings: c.findings,
          lastFindingMs: c.lastFindingMs,
        });
      }
    }
  }

  /** Findings and candidates produced since the last call. */
  take(): { findings: Finding[]; candidates: BlockCandidate[] } {
    const out = { findings: this.findings, candidates: this.emitted };
    this.findings = [];
    this.emitted = [];
    return out;
  }

  stats(): EngineStats {
    return {
      approxStateBytes: this.windowRecords * BYTES_PER_RECORD + this.windows.size * BYTES_PER_IMEI,
      activeImeis: this.windows.size,
      windowRecords: this.windowRecords,
      bufferedRecords: this.waiting.size,
      trackedRecordIds: this.seenIds.size,
      suppressionEntries: this.suppression.size,
      candidateStates: this.candidates.size,
    };
  }

  private advance(untilMs: number, nowMs: number): void {
    const next = this.waiting.peekBucketStartMs();
    if (next !== undefined && next < untilMs) {
      this.nowMs = nowMs;
      this.waiting.release(untilMs, this.matchFn);
    }
    this.release();
  }

  private readonly matchFn = (h: Held): void => this.match(h);

  private nowIso(): string {
    if (this.nowMs !== this.nowIsoMs) {
      this.nowIsoMs = this.nowMs;
      this.nowIsoText = isoUtc(this.nowMs);
    }
    return this.nowIsoText;
  }

  /** Compare a CDR with the window of its IMEI key, then add it to the window. */
  private match(b: Held): void {
    const cell = this.refs.cells.lookup(b.radio, b.mcc, b.mnc, b.lac, b.ci);
    if (cell === undefined) this.counters.unknownCell++;
    else b.cell = cell;
    if (b.msisdn !== '' && this.refs.exceptions.size > 0 && this.refs.exceptions.hasKeyNumber(b.key)) this.noteMsisdn(b);
    const recs = this.windows.get(b.key);
    if (recs === undefined) {
      const win = [b];
      b.win = win;
      this.windows.set(b.key, win);
    } else {
      b.win = recs;
      // Share the strings of the IMEI's previous CDR (usually the same SIM): less memory, and the IMSI
      // comparisons below become pointer comparisons.
      const prev = recs[recs.length - 1];
      if (prev !== undefined) {
        if (prev.imsi === b.imsi) b.imsi = prev.imsi;
        if (prev.imei === b.imei) b.imei = prev.imei;
        if (prev.msisdn === b.msisdn) b.msisdn = prev.msisdn;
      }
      for (let i = 0; i < recs.length; i++) {
        const o = recs[i];
        if (o.imsi !== b.imsi) {
          if (byStartThenId(o, b)) this.compare(o, b);
          else this.compare(b, o);
        }
      }
      recs.push(b);
    }
    this.windowRecords++;
    this.fifo.push(b);
  }

  private compare(a: Held, b: Held): void {
    // Cheap exits first: neither overlapping nor within the window in time.
    if (b.startMs - a.endMs > this.t.windowMs) return;
    const m: PairMeasures = measurePair(a, b);
    const rules = firedRules(a, b, this.t, m);
    if (rules.length === 0) return;
    // Both rules of one pair update the candidate before it is emitted, so it names every rule.
    let joined = false;
    for (let i = 0; i < rules.length; i++) if (this.report(rules[i], a, b, m)) joined = true;
    if (joined) this.emitCandidate(imeiKeyOf(a));
  }

  /** Emit a finding unless suppressed; returns whether a new non-exempt IMSI joined the IMEI's candidate. */
  private report(rule: Rule, a: Held, b: Held, m: PairMeasures): boolean {
    const key = imeiKeyOf(a);
    const lo = a.imsi < b.imsi ? a.imsi : b.imsi;
    const hi = a.imsi < b.imsi ? b.imsi : a.imsi;
    const triple = `${key}|${lo}|${hi}|${rule}`;
    const eventMs = b.startMs;
    const anchor = this.suppression.get(triple);
    if (anchor !== undefined && Math.abs(eventMs - anchor) < this.suppressionMs) {
      this.counters.suppressedByRule[rule]++;
      return false;
    }
    this.suppression.set(triple, eventMs);
    const exemptA = this.isExemptImsi(key, a.imsi);
    const exemptB = this.isExemptImsi(key, b.imsi);
    const exemptImsis: string[] = [];
    if (exemptA) exemptImsis.push(a.imsi);
    if (exemptB) exemptImsis.push(b.imsi);
    const f: Finding = {
      imei: key,
      imei_reported_a: a.imei,
      imei_reported_b: b.imei,
      rule,
      imsi_a: a.imsi,
      imsi_b: b.imsi,
      msisdn_a: a.msisdn,
      msisdn_b: b.msisdn,
      record_a: a.recordId,
      record_b: b.recordId,
      time_a: isoUtc(a.startMs),
      time_b: isoUtc(b.startMs),
      cell_a: a.cell ? a.cell.id : null,
      cell_b: b.cell ? b.cell.id : null,
      lat_a: a.cell ? a.cell.lat : null,
      lon_a: a.cell ? a.cell.lon : null,
      lat_b: b.cell ? b.cell.lat : null,
      lon_b: b.cell ? b.cell.lon : null,
      distance_km: m.distanceKm === null ? null : round(m.distanceKm, 3),
      gap_s: m.gapS,
      overlap_s: m.overlapS,
      speed_kmh: m.speedKmh === null ? null : round(m.speedKmh, 1),
      exempt_imsis: exemptImsis,
      detected_at: this.nowIso(),
      finding_id: findingId(key, rule, a.recordId, b.recordId),
    };
    this.findings.push(f);
    this.counters.findingsByRule[rule]++;
    return this.updateCandidate(key, rule, a, b, exemptA, exemptB, eventMs);
  }

  /** Art. 24-25: a listed IMEI-IMSI pair is never blocked; findings on it still reach analysts. */
  private updateCandidate(key: string, rule: Rule, a: Held, b: Held, exemptA: boolean, exemptB: boolean, eventMs: number): boolean {
    let c = this.candidates.get(key);
    if (c === undefined) {
      c = { imsis: new Set(), exempt: new Set(), rules: new Set(), firstEvidenceMs: a.startMs, findings: 0, lastFindingMs: eventMs };
      this.candidates.set(key, c);
    }
    c.findings++;
    c.rules.add(rule);
    if (a.startMs < c.firstEvidenceMs) c.firstEvidenceMs = a.startMs;
    if (eventMs > c.lastFindingMs) c.lastFindingMs = eventMs;
    let joined = false;
    for (const [imsi, exempt] of [
      [a.imsi, exemptA],
      [b.imsi, exemptB],
    ] as const) {
      if (exempt) {
        c.exempt.add(imsi);
        if (c.imsis.delete(imsi)) joined = true; // became exempt: the registry must see the list without it
      } else if (!c.imsis.has(imsi)) {
        c.imsis.add(imsi);
        joined = true;
      }
    }
    return joined;
  }

  /** A block candidate: only while at least one non-exempt IMSI is involved. */
  private emitCandidate(key: string): void {
    const c = this.candidates.get(key);
    if (c === undefined || c.imsis.size === 0) return;
    this.emitted.push({
      imei: key,
      imsis: [...c.imsis].sort(),
      exempt_imsis: [...c.exempt].sort(),
      rules: [...c.rules].sort(),
      first_evidence_at: isoUtc(c.firstEvidenceMs),
      findings: c.findings,
      emitted_at: this.nowIso(),
    });
    this.counters.candidates++;
  }

  private noteMsisdn(b: Held): void {
    const key = imeiKeyOf(b);
    let byImsi = this.seenMsisdns.get(key);
    if (!byImsi) this.seenMsisdns.set(key, (byImsi = new Map()));
    let set = byImsi.get(b.imsi);
    if (!set) byImsi.set(b.imsi, (set = new Set()));
    set.add(msisdnDigits(b.msisdn));
  }

  /** An IMSI is exempt on an IMEI when it is listed with it, or a CDR of it carried a listed MSISDN. */
  private isExemptImsi(key: string, imsi: string): boolean {
    const list = this.refs.exceptions;
    if (!list.hasKey(key)) return false;
    if (list.listsImsi(key, imsi)) return true;
    const msisdns = this.seenMsisdns.get(key)?.get(imsi);
    if (msisdns) for (const m of msisdns) if (list.isExempt(key, '', m)) return true;
    return false;
  }

  /** Release what can no longer match: older than the window plus the lateness. */
  private release(): void {
    const threshold = this.maxEventMs - this.retentionMs;
    const fifo = this.fifo;
    // The FIFO is in matching order (about start order). A short record whose end is still ahead waits
    // at the head a little; a long one (a data session) moves to the heap ordered by end.
    while (this.fifoHead < fifo.length) {
      const h = fifo[this.fifoHead];
      if (h.endMs < threshold) this.prune(h, threshold);
      else if (h.startMs < threshold && h.endMs - threshold > LONG_LIVED_MS) this.longLived.push(h);
      else break;
      fifo[this.fifoHead++] = undefined as unknown as Held;
    }
    if (this.fifoHead > 4096 && this.fifoHead * 2 > fifo.length) {
      this.fifo = fifo.slice(this.fifoHead);
      this.fifoHead = 0;
    }
    let l = this.longLived.peek();
    while (l !== undefined && l.endMs < threshold) {
      this.longLived.pop();
      this.prune(l, threshold);
      l = this.longLived.peek();
    }
    const q = this.idQueue;
    while (this.idHead < q.length && q[this.idHead].startMs < threshold) {
      this.seenIds.delete(q[this.idHead].recordId);
      q[this.idHead++] = undefined as unknown as Cdr;
    }
    if (this.idHead > 4096 && this.idHead * 2 > q.length) {
      this.idQueue = q.slice(this.idHead);
      this.idHead = 0;
    }
    // Suppression periods live suppressionS past their finding, candidate states candidateRetentionS; sweep hourly.
    if (this.maxEventMs - this.lastSweepMs > 3_600_000) {
      this.lastSweepMs = this.maxEventMs;
      const horizon = this.maxEventMs - this.suppressionMs - this.latenessMs;
      for (const [k, at] of this.suppression) if (at < horizon) this.suppression.delete(k);
      const candidateHorizon = this.maxEventMs - this.candidateRetentionMs - this.latenessMs;
      for (const [k, c] of this.candidates) if (c.lastFindingMs < candidateHorizon) this.candidates.delete(k);
    }
  }

  /** Drop the expired records of h's IMEI window (h among them). */
  private prune(h: Held, threshold: number): void {
    const recs = h.win;
    if (recs === null || recs.length === 0) return;
    let keep = 0;
    for (let i = 0; i < recs.length; i++) {
      const r = recs[i];
      if (r.endMs >= threshold) recs[keep++] = r;
    }
    this.windowRecords -= recs.length - keep;
    // A window is removed from the map exactly when it empties (an empty one returned above), so a
    // non-empty one is still the IMEI's entry.
    if (keep === 0) {
      recs.length = 0;
      this.windows.delete(h.key);
    } else recs.length = keep;
  }
}
