import { createHash } from 'node:crypto';
import type { RuleConfig } from '../config/schema.js';
import type { BlockCandidate, Cdr, Finding, Rule, RunCounters } from '../domain/types.js';
import { emptyCounters } from '../domain/types.js';
import { isoUtc } from '../domain/time.js';
import { objectArray } from '../domain/arrays.js';
import { AMBIGUOUS_CELL, CELL_AMBIGUOUS, CELL_UNKNOWN, cellStatusOf, type CellLookup, type CellStatus, type ExemptionLookup, type TacLookup } from '../domain/lookups.js';
import { digitsText, imeiKeyText, imeiText, msisdnText } from '../domain/identity.js';
import { MinHeap, type HeapOrder } from './min-heap.js';
import { Admission, COMPACT_AFTER, type OfferResult } from './admission.js';
import { CandidateLedger, type DedupState } from './candidate-ledger.js';
import { Exemptions } from './exemption.js';
import { KeyIndex } from './key-index.js';
import { LINKED, RecordStore, UNLINKED } from './record-store.js';
import { ReorderBuffer, type ReorderItems } from './reorder-buffer.js';
import { measurePair, type PairMeasures, type RuleCdr, type RuleThresholds } from './rules.js';
import { buildCriteria, type KeyCriterion, type KeyEvidence, type KeyState, type PairCriterion } from './criteria/index.js';
import { ImeiHistory, type EvidenceCdr } from './imei-history.js';
import { likelyGenuine, notifyMsisdns } from './likely-genuine.js';
import { RADIOS } from '../domain/types.js';

/** A record still alive this long past the release threshold leaves the FIFO for the long-lived heap. */
const LONG_LIVED_MS = 60_000;
/** Width of the reorder buffer's buckets (event time). */
const REORDER_BUCKET_MS = 1000;

export interface EngineOptions {
  /**
   * How long (event time) an accepted CDR waits before it is matched. With the default,
   * allowedLatenessS, CDRs are matched in event-time order, so any row order within the lateness bound
   * gives the same findings (file runs). 0 matches on arrival (lowest latency for streams); the set of
   * (IMEI, IMSI pair, rule) found is the same, only which two CDRs serve as evidence may differ.
   */
  orderingDelayMs?: number;
  /**
   * The caller made the duplicate and late decisions already (a sharded run admits on the main thread,
   * where every record_id is seen); the engine then matches every CDR it is offered.
   */
  admitted?: boolean;
  /**
   * Expired entries at the head of the id and release queues before they are copied down (default
   * COMPACT_AFTER). Only a JIT warm-up sets it, small, so that V8 sees the copying before real traffic
   * does (pipeline/batch-admitter.ts warmUpAdmission); outputs do not depend on it.
   */
  compactAfter?: number;
}

export type { OfferResult } from './admission.js';
export type { DedupState } from './candidate-ledger.js';

/** The reference data the engine looks things up in (input/ provides them; see domain/lookups.ts). */
export interface EngineRefs {
  cells: CellLookup;
  exceptions: ExemptionLookup;
  /** The TAC database; needed only by inconsistent_rat and unknown_tac. */
  tacs?: TacLookup;
}

/** A TAC database that lists nothing (the TAC criteria are off without one: the config requires it). */
const NO_TACS: TacLookup = { size: 0, modelOfKey: () => undefined };

/** What take() returns when there is nothing new (shared and frozen: a stream calls take() once per CDR). */
const NOTHING_TAKEN: { findings: Finding[]; candidates: BlockCandidate[]; candidateAfter: number[] } = Object.freeze({
  findings: Object.freeze([]) as unknown as Finding[],
  candidates: Object.freeze([]) as unknown as BlockCandidate[],
  candidateAfter: Object.freeze([]) as unknown as number[],
});

/** Heap bytes of a record_id string and its entries in the duplicate set and queue (estimate). */
const BYTES_PER_RECORD_ID = 88;

export interface EngineStats {
  /** Bytes of the window state: the record columns, the IMEI index, and an estimate for record_ids. */
  approxStateBytes: number;
  activeImeis: number;
  windowRecords: number;
  bufferedRecords: number;
  trackedRecordIds: number;
  suppressionEntries: number;
  candidateStates: number;
  /** IMEI keys whose history (first seen, CDRs and MSISDNs per IMSI) is kept. */
  historyImeis: number;
  /** Bytes of that history (included in approxStateBytes). */
  historyBytes: number;
}

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
 * event time and releases what can no longer match. The CDRs live in a column store (RecordStore) and
 * the windows are linked lists of its slots, indexed by the numeric IMEI key (KeyIndex).
 */
export class Engine {
  readonly counters: RunCounters = emptyCounters();

  private readonly t: RuleThresholds;
  private readonly retentionMs: number;
  private readonly orderingDelayMs: number;
  private readonly releaseSlackMs: number;
  private readonly compactAfter: number;

  private maxEventMs = -Infinity;
  /** Duplicate and late decisions; null when the caller admitted the CDRs already (sharded runs). */
  private readonly admission: Admission | null;
  private readonly store = new RecordStore();
  private readonly windows = new KeyIndex();
  /** Slots waiting to be matched in event-time order. */
  private readonly waiting: ReorderBuffer<number>;

  /** Matched slots in matching order, for release; long-lived ones move to a heap by end time. */
  private fifo: number[] = [];
  private fifoHead = 0;
  private readonly longLived: MinHeap<number>;
  private windowRecords = 0;

  /** Suppression periods and block candidates. */
  private readonly ledger: CandidateLedger;
  private cells: CellLookup;
  private readonly exemptions: Exemptions;
  private tacs: TacLookup;
  /** The enabled criteria (SPEC "The rules" and "Extra criteria"), as plug-ins. */
  private readonly pairCriteria: PairCriterion[];
  private readonly keyCriteria: KeyCriterion[];
  private readonly needTac: boolean;
  /** First/last seen, CDR count and MSISDNs per IMSI per IMEI key, beyond the window. */
  private readonly history: ImeiHistory;
  /** The slot history.note() may ask evidence of (set just before each call; no closure per CDR). */
  private evidenceSlot = -1;
  private readonly evidenceOfSlot = (): EvidenceCdr => this.evidence(this.evidenceSlot);

  /** The IMEI being matched reached maxPairFindingsPerImei: stop comparing its CDR. */
  private capReached = false;
  private findings: Finding[] = objectArray();
  private emitted: BlockCandidate[] = objectArray();
  private candidateAfter: number[] = [];
  /** Wall clock of the current offer; formatted only when a finding or candidate needs it. */
  private nowMs = 0;
  private nowIsoMs = NaN;
  private nowIsoText = '';

  constructor(rules: RuleConfig, refs: EngineRefs, opts: EngineOptions = {}) {
    this.t = {
      overlapToleranceMs: rules.overlapToleranceS * 1000,
      windowMs: rules.windowS * 1000,
      minDistanceKm: rules.minDistanceKm,
      maxSpeedKmh: rules.maxSpeedKmh,
    };
    const latenessMs = rules.allowedLatenessS * 1000;
    this.retentionMs = this.t.windowMs + latenessMs;
    this.orderingDelayMs = Math.min(opts.orderingDelayMs ?? latenessMs, latenessMs);
    this.compactAfter = opts.compactAfter ?? COMPACT_AFTER;
    this.admission = opts.admitted ? null : new Admission(latenessMs, this.retentionMs, this.compactAfter);
    const candidateRetentionMs = Math.max(rules.candidateRetentionS, rules.suppressionS) * 1000;
    const suppressionMs = rules.suppressionS * 1000;
    const sharedPeriodMs = rules.sharedImeiPeriodS * 1000;
    const criteria = buildCriteria(rules);
    this.pairCriteria = criteria.pair;
    this.keyCriteria = criteria.key;
    this.needTac = criteria.key.some((c) => c.needsTac);
    const longestPeriodMs = rules.rules.includes('shared_imei') ? Math.max(suppressionMs, sharedPeriodMs) : suppressionMs;
    this.ledger = new CandidateLedger(suppressionMs, candidateRetentionMs, latenessMs, rules.maxPairFindingsPerImei, longestPeriodMs);
    this.cells = refs.cells;
    this.exemptions = new Exemptions(refs.exceptions);
    this.tacs = refs.tacs ?? NO_TACS;
    // An IMEI key's history lives a period past its last CDR: long enough for shared_imei's count and for
    // "seen first" to reach back over a day of traffic (SPEC's likely_genuine_imsi).
    this.history = new ImeiHistory({
      horizonMs: Math.max(suppressionMs, sharedPeriodMs) + latenessMs,
      slackMs: latenessMs,
      periodMs: sharedPeriodMs,
      keepEvidence: rules.rules.includes('shared_imei'),
    });
    // A CDR still waiting to be matched may start up to one bucket before the ordering horizon, so release
    // keeps that much more: what is released can never match, however the CDRs around it were filtered.
    this.releaseSlackMs = this.orderingDelayMs > 0 ? REORDER_BUCKET_MS : 0;
    this.waiting = new ReorderBuffer<number>(REORDER_BUCKET_MS, new WaitingSlots(this.store, this));
    this.longLived = new MinHeap<number>(new EndOrder(this.store));
  }

  setCells(cells: CellLookup): void {
    this.cells = cells;
  }

  setExceptions(exceptions: ExemptionLookup): void {
    this.exemptions.setList(exceptions);
  }

  /** A reloaded TAC database applies to CDRs matched from now on. */
  setTacs(tacs: TacLookup): void {
    this.tacs = tacs;
  }

  /** Newest event time accepted so far (ms), -Infinity before the first CDR. */
  get maxEventTimeMs(): number {
    return this.maxEventMs;
  }

  /**
   * Offer a validated CDR. Returns null when it is accepted, or why it is rejected: a record_id accepted
   * within the last windowS + allowedLatenessS is a duplicate delivery; a start more than allowedLatenessS
   * behind the newest accepted event time is late. The cell is looked up in the catalogue in force now.
   * `match` false: a CDR that can be in no finding (see below); `checkId` false: a CDR whose record_id no
   * other CDR of the input has (see Admission.admit).
   */
  offer(cdr: Cdr, nowMs: number, match = true, checkId = true): OfferResult {
    if (!match) {
      const cell = cellStatusOf(this.cells.lookup(cdr.radio, cdr.mcc, cdr.mnc, cdr.lac, cdr.ci));
      return this.offerUnmatched(cdr.startMs, cdr.recordId, cdr.idHash, checkId, cell, nowMs);
    }
    const why = this.admit(cdr.recordId, cdr.idHash, cdr.startMs, checkId);
    if (why !== null) return why;
    const cell = this.cells.lookup(cdr.radio, cdr.mcc, cdr.mnc, cdr.lac, cdr.ci);
    this.countAccepted(cellStatusOf(cell));
    const s = this.store.put(cdr, cell === undefined || cell === AMBIGUOUS_CELL ? null : cell);
    if (cdr.startMs > this.maxEventMs) this.maxEventMs = cdr.startMs;
    if (this.orderingDelayMs === 0 || !this.waiting.push(s)) {
      // Its turn has come already (streams, or a CDR behind what was matched): match it now.
      this.nowMs = nowMs;
      this.match(s);
    }
    this.advance(this.maxEventMs - this.orderingDelayMs, nowMs);
    return null;
  }

  /**
   * offer() of a CDR the caller knows can never be in a finding (a file run's IMEI key with one IMSI), given
   * as what admission and the counters need: its start, its record_id (read only when checkId) and what the
   * catalogue says of its cell. It is admitted, counted and moves event time exactly as if it were matched,
   * but is not kept.
   */
  offerUnmatched(startMs: number, recordId: string, idHash: number, checkId: boolean, cell: CellStatus, nowMs: number): OfferResult {
    const why = this.admit(recordId, idHash, startMs, checkId);
    if (why !== null) return why;
    this.countAccepted(cell);
    if (startMs > this.maxEventMs) {
      this.maxEventMs = startMs;
      this.advance(this.maxEventMs - this.orderingDelayMs, nowMs);
    }
    return null;
  }

  /** The duplicate and late decision (none when the caller admitted the CDRs already). */
  private admit(recordId: string, idHash: number, startMs: number, checkId: boolean): OfferResult {
    return this.admission === null ? null : this.admission.admit(recordId, idHash, startMs, checkId);
  }

  /** Count an accepted CDR and what the catalogue said of its cell (SPEC's unknown_cell, ambiguous_cell). */
  private countAccepted(cell: CellStatus): void {
    this.counters.recordsAccepted++;
    if (cell === CELL_UNKNOWN) this.counters.unknownCell++;
    else if (cell === CELL_AMBIGUOUS) this.counters.ambiguousCell++;
  }

  /**
   * Match everything still waiting in the reorder buffer: at the end of a file run's input, and when a
   * stream's partition goes idle. The engine stays usable: later CDRs are matched against the window as
   * usual (late ones are still rejected).
   */
  drain(nowMs: number): void {
    this.advance(Infinity, nowMs);
  }

  /** Suppression and candidate state (JSON-serialisable), so a restarted stream emits no finding twice. */
  exportDedupState(): DedupState {
    return this.ledger.export();
  }

  /** Merge a state from exportDedupState into this engine (before replaying the window). */
  importDedupState(state: DedupState): void {
    this.ledger.import(state);
  }

  /**
   * Findings and candidates produced since the last call. `candidateAfter[i]` is how many of `findings`
   * came before candidate i (so a merge of several engines can keep the order of one).
   */
  take(): { findings: Finding[]; candidates: BlockCandidate[]; candidateAfter: number[] } {
    if (this.findings.length === 0 && this.emitted.length === 0) return NOTHING_TAKEN;
    const out = { findings: this.findings, candidates: this.emitted, candidateAfter: this.candidateAfter };
    this.findings = objectArray();
    this.emitted = objectArray();
    this.candidateAfter = [];
    return out;
  }

  stats(): EngineStats {
    return {
      approxStateBytes: this.store.bytes() + this.windows.bytes() + this.trackedIds() * BYTES_PER_RECORD_ID + this.history.bytes(),
      activeImeis: this.windows.size,
      windowRecords: this.windowRecords,
      bufferedRecords: this.waiting.size,
      trackedRecordIds: this.trackedIds(),
      suppressionEntries: this.ledger.suppressionEntries,
      candidateStates: this.ledger.candidateStates,
      historyImeis: this.history.size,
      historyBytes: this.history.bytes(),
    };
  }

  private advance(untilMs: number, nowMs: number): void {
    const next = this.waiting.peekBucketStartMs();
    if (next !== undefined && next < untilMs) {
      this.nowMs = nowMs;
      this.waiting.release(untilMs);
    }
    this.release();
  }

  private trackedIds(): number {
    return this.admission === null ? 0 : this.admission.trackedIds;
  }

  private nowIso(): string {
    if (this.nowMs !== this.nowIsoMs) {
      this.nowIsoMs = this.nowMs;
      this.nowIsoText = isoUtc(this.nowMs);
    }
    return this.nowIsoText;
  }

  /** Does slot x come before slot y in matching order (start, then record_id)? */
  private before(x: number, y: number): boolean {
    const st = this.store;
    return st.start[x] < st.start[y] || (st.start[x] === st.start[y] && st.recordId[x] < st.recordId[y]);
  }

  /**
   * Compare a CDR with the window of its IMEI key (oldest first), then append it to the window. Called by the
   * reorder buffer as it releases slots (WaitingSlots), and by offer() for a CDR whose turn has come.
   */
  match(b: number): void {
    const st = this.store;
    const key = st.key[b];
    if (st.msisdnLen[b] !== 0 && this.exemptions.watches(key)) this.exemptions.noteMsisdn(st.imeiKeyText(b), st.imsiText(b), st.msisdnDigits(b));
    // History first, so a candidate emitted while matching b already knows b's IMSI and MSISDN.
    this.evidenceSlot = b;
    const joined = this.history.note(key, st.imsi[b], st.imsiLen[b], st.msisdn[b], st.msisdnLen[b], st.start[b], this.evidenceOfSlot);
    st.next[b] = -1;
    st.state[b] = LINKED;
    const pos = this.windows.find(key);
    if (pos < 0) {
      this.windows.insert(key, b, b);
    } else {
      // An IMEI at maxPairFindingsPerImei for this period gets no more pair findings: its CDRs are not
      // compared (the work per CDR stays bounded however many IMSIs share the IMEI), only counted.
      // (No IMEI key at the cap anywhere, the common case: no key text to build for the lookup.)
      this.capReached = this.ledger.mayBeAtCap && !this.ledger.pairFindingAllowed(st.imeiKeyText(b), st.start[b]);
      for (let o = this.windows.heads[pos]; o >= 0 && !this.capReached; o = st.next[o]) {
        if (!st.sameImsi(o, b)) {
          if (this.before(o, b)) this.compare(o, b);
          else this.compare(b, o);
        }
      }
      if (this.capReached) this.counters.cdrsOverPairCap = (this.counters.cdrsOverPairCap ?? 0) + 1;
      // compare() never touches the index, so pos is still the IMEI's entry.
      st.next[this.windows.tails[pos]] = b;
      this.windows.tails[pos] = b;
    }
    this.windowRecords++;
    this.fifo.push(b);
    if (this.keyCriteria.length > 0) this.examineKey(b, joined);
  }

  /** Art. 22(c) criteria over the IMEI key's state, once per CDR. */
  private examineKey(b: number, joined: boolean): void {
    const st = this.store;
    const key = st.key[b];
    const history = this.history;
    let keyText = '';
    const state: KeyState = {
      key,
      radio: RADIOS[st.radio[b]],
      startMs: st.start[b],
      tac: this.needTac ? this.tacs.modelOfKey(key) : undefined,
      joined,
      seen: () => history.imsisOf(key),
      exempt: (imsi) => this.exemptions.isExemptImsi((keyText ||= imeiKeyText(key)), imsi),
    };
    for (const c of this.keyCriteria) {
      const ev = c.examine(state);
      if (ev !== null) this.reportKey(c.name, ev, b);
    }
  }

  private ruleCdr(s: number): RuleCdr {
    const st = this.store;
    return { startMs: st.start[s], endMs: st.end[s], cell: st.cell[s] };
  }

  private compare(a: number, b: number): void {
    const st = this.store;
    // Cheap exit first: too far apart in time for either rule.
    if (st.start[b] - st.end[a] > this.t.windowMs) return;
    const ra = this.ruleCdr(a);
    const rb = this.ruleCdr(b);
    const m: PairMeasures = measurePair(ra, rb);
    // Every rule that fires for the pair updates the candidate before it is emitted, so it names them all.
    let joined = false;
    const criteria = this.pairCriteria;
    for (let i = 0; i < criteria.length; i++) if (criteria[i].fires(ra, rb, m) && this.report(criteria[i].name, a, b, m)) joined = true;
    if (joined) this.emitCandidate(st.key[a]);
  }

  /** A CDR of the store as evidence that outlives its slot. */
  private evidence(s: number): EvidenceCdr {
    const st = this.store;
    return {
      recordId: st.recordId[s],
      startMs: st.start[s],
      endMs: st.end[s],
      key: st.key[s],
      imeiLen: st.imeiLen[s],
      imeiSuffix: st.imeiSuffix[s],
      imsi: st.imsi[s],
      imsiLen: st.imsiLen[s],
      msisdn: st.msisdn[s],
      msisdnLen: st.msisdnLen[s],
      cell: st.cell[s],
    };
  }

  /**
   * A finding of an Art. 22(c) criterion, unless suppressed: `b` is the CDR just matched, `a` the criterion's
   * first CDR of evidence (b itself when it has one: then `b` repeats `a`).
   */
  private reportKey(rule: Rule, ev: KeyEvidence, bSlot: number): void {
    const b = this.evidence(bSlot);
    const key = imeiKeyText(b.key);
    if (this.ledger.suppressedId(`${key}|${ev.suppressionKey}`, b.startMs, ev.periodMs)) {
      this.counters.suppressedByRule[rule]++;
      return;
    }
    const a = ev.a ?? b;
    const imsiA = digitsText(a.imsi, a.imsiLen);
    const imsiB = digitsText(b.imsi, b.imsiLen);
    const exemptA = this.exemptions.isExemptImsi(key, imsiA);
    const exemptB = imsiB === imsiA ? exemptA : this.exemptions.isExemptImsi(key, imsiB);
    const exemptImsis: string[] = [];
    if (exemptA) exemptImsis.push(imsiA);
    if (exemptB && imsiB !== imsiA) exemptImsis.push(imsiB);
    const one = a === b;
    const m = one ? null : measurePair(a, b);
    const ca = a.cell;
    const cb = b.cell;
    const f: Finding = {
      imei: key,
      imei_reported_a: imeiText(a.key, a.imeiLen, a.imeiSuffix),
      imei_reported_b: imeiText(b.key, b.imeiLen, b.imeiSuffix),
      rule,
      imsi_a: imsiA,
      imsi_b: imsiB,
      msisdn_a: msisdnText(a.msisdn, a.msisdnLen),
      msisdn_b: msisdnText(b.msisdn, b.msisdnLen),
      record_a: a.recordId,
      record_b: b.recordId,
      time_a: isoUtc(a.startMs),
      time_b: isoUtc(b.startMs),
      cell_a: ca ? ca.id : null,
      cell_b: cb ? cb.id : null,
      lat_a: ca ? ca.lat : null,
      lon_a: ca ? ca.lon : null,
      lat_b: cb ? cb.lat : null,
      lon_b: cb ? cb.lon : null,
      // One CDR of evidence: no distance, gap or overlap between two CDRs to speak of.
      distance_km: m === null ? (cb ? 0 : null) : m.distanceKm === null ? null : round(m.distanceKm, 3),
      gap_s: m === null ? 0 : m.gapS,
      overlap_s: m === null ? 0 : m.overlapS,
      speed_kmh: m === null || m.speedKmh === null ? null : round(m.speedKmh, 1),
      exempt_imsis: exemptImsis,
      detected_at: this.nowIso(),
      finding_id: findingId(key, rule, a.recordId, b.recordId),
      ...ev.extra,
    };
    this.findings.push(f);
    this.counters.findingsByRule[rule]++;
    const more = ev.imsis.filter((x) => x !== imsiA && x !== imsiB).map((imsi) => ({ imsi, exempt: this.exemptions.isExemptImsi(key, imsi) }));
    if (this.ledger.update({ imeiKey: key, rule, startAMs: a.startMs, eventMs: b.startMs, imsiA, imsiB, exemptA, exemptB, more })) this.emitCandidate(b.key);
  }

  /** Emit a finding unless suppressed; returns whether a new non-exempt IMSI joined the IMEI's candidate. */
  private report(rule: Rule, a: number, b: number, m: PairMeasures): boolean {
    const st = this.store;
    const key = st.imeiKeyText(a);
    const imsiA = st.imsiText(a);
    const imsiB = st.imsiText(b);
    const eventMs = st.start[b];
    // However many IMSIs share the IMEI: at most maxPairFindingsPerImei findings per suppression period.
    // Checked first, so a capped IMEI costs no suppression key per match.
    if (!this.ledger.pairFindingAllowed(key, eventMs)) {
      this.counters.suppressedByRule[rule]++;
      this.counters.pairFindingsOverCap = (this.counters.pairFindingsOverCap ?? 0) + 1;
      return false;
    }
    if (this.ledger.suppressed(key, imsiA, imsiB, rule, eventMs)) {
      this.counters.suppressedByRule[rule]++;
      return false;
    }
    if (this.ledger.countPairFinding(key, eventMs)) this.capReached = true;
    const exemptA = this.exemptions.isExemptImsi(key, imsiA);
    const exemptB = this.exemptions.isExemptImsi(key, imsiB);
    const exemptImsis: string[] = [];
    if (exemptA) exemptImsis.push(imsiA);
    if (exemptB) exemptImsis.push(imsiB);
    const ca = st.cell[a];
    const cb = st.cell[b];
    const recordA = st.recordId[a];
    const recordB = st.recordId[b];
    const f: Finding = {
      imei: key,
      imei_reported_a: st.imeiText(a),
      imei_reported_b: st.imeiText(b),
      rule,
      imsi_a: imsiA,
      imsi_b: imsiB,
      msisdn_a: st.msisdnText(a),
      msisdn_b: st.msisdnText(b),
      record_a: recordA,
      record_b: recordB,
      time_a: isoUtc(st.start[a]),
      time_b: isoUtc(st.start[b]),
      cell_a: ca ? ca.id : null,
      cell_b: cb ? cb.id : null,
      lat_a: ca ? ca.lat : null,
      lon_a: ca ? ca.lon : null,
      lat_b: cb ? cb.lat : null,
      lon_b: cb ? cb.lon : null,
      distance_km: m.distanceKm === null ? null : round(m.distanceKm, 3),
      gap_s: m.gapS,
      overlap_s: m.overlapS,
      speed_kmh: m.speedKmh === null ? null : round(m.speedKmh, 1),
      exempt_imsis: exemptImsis,
      detected_at: this.nowIso(),
      finding_id: findingId(key, rule, recordA, recordB),
    };
    this.findings.push(f);
    this.counters.findingsByRule[rule]++;
    return this.ledger.update({ imeiKey: key, rule, startAMs: st.start[a], eventMs, imsiA, imsiB, exemptA, exemptB });
  }

  /**
   * A block candidate: only while at least one non-exempt IMSI is involved. It names the IMSI most likely
   * the genuine device's and the MSISDNs to notify before blocking, from the IMEI key's history.
   */
  private emitCandidate(key: number): void {
    const c = this.ledger.candidate(imeiKeyText(key), this.nowIso());
    if (c === null) return;
    const seen = this.history.imsisOf(key);
    const keyText = c.imei;
    const genuine = likelyGenuine(c.imsis, c.exempt_imsis, seen, (imsi) => this.exemptions.isExemptImsi(keyText, imsi));
    this.candidateAfter.push(this.findings.length);
    this.emitted.push({ ...c, likely_genuine_imsi: genuine.imsi, likely_genuine_reason: genuine.reason, notify_msisdns: notifyMsisdns(c.imsis, seen) });
    this.counters.candidates++;
  }

  /** Release what can no longer match: older than the window plus the lateness. */
  private release(): void {
    const threshold = this.maxEventMs - this.retentionMs - this.releaseSlackMs;
    const st = this.store;
    const fifo = this.fifo;
    // The FIFO is in matching order (about start order). A short record whose end is still ahead waits
    // at the head a little; a long one (a data session) moves to the heap ordered by end. A slot is freed
    // only here, when the queue that holds it reaches it, so no queue ever points at a reused slot.
    while (this.fifoHead < fifo.length) {
      const s = fifo[this.fifoHead];
      if (st.state[s] === UNLINKED) st.release(s);
      else if (st.end[s] < threshold) {
        this.prune(st.key[s], threshold);
        st.release(s);
      } else if (st.start[s] < threshold && st.end[s] - threshold > LONG_LIVED_MS) this.longLived.push(s);
      else break;
      this.fifoHead++;
    }
    if (this.fifoHead > this.compactAfter && this.fifoHead * 2 > fifo.length) {
      this.fifo = fifo.slice(this.fifoHead);
      this.fifoHead = 0;
    }
    let l = this.longLived.peek();
    while (l !== undefined && st.end[l] < threshold) {
      this.longLived.pop();
      if (st.state[l] === LINKED) this.prune(st.key[l], threshold);
      st.release(l);
      l = this.longLived.peek();
    }
    this.ledger.sweep(this.maxEventMs);
    this.history.sweep(this.maxEventMs);
  }

  /** Unlink the expired records of an IMEI's window (they are freed when the release queue reaches them). */
  private prune(key: number, threshold: number): void {
    const pos = this.windows.find(key);
    if (pos < 0) return;
    const st = this.store;
    let prev = -1;
    let s = this.windows.heads[pos];
    while (s >= 0) {
      const nx = st.next[s];
      if (st.end[s] < threshold) {
        st.state[s] = UNLINKED;
        this.windowRecords--;
        if (prev < 0) this.windows.heads[pos] = nx;
        else st.next[prev] = nx;
      } else prev = s;
      s = nx;
    }
    if (prev < 0) this.windows.removeAt(pos);
    else this.windows.tails[pos] = prev;
  }
}

// The engine's orders are objects of classes, not closures made in its constructor: code compiled for one
// engine's closures (the parallel run's warm-up engine) was thrown away when the next engine's came
// (min-heap.ts).

/**
 * The slots waiting in the reorder buffer: event time, then IMEI key, then record_id, an order that does not
 * depend on arrival. Only the order within one IMEI changes what is found (and that is start, then record_id);
 * the key comes before the record_id so that the many CDRs of one second compare as numbers, not strings.
 */
class WaitingSlots implements ReorderItems<number> {
  constructor(
    private readonly st: RecordStore,
    private readonly engine: Engine,
  ) {}

  startOf(s: number): number {
    return this.st.start[s];
  }

  compare(x: number, y: number): number {
    const st = this.st;
    return st.start[x] - st.start[y] || st.key[x] - st.key[y] || (st.recordId[x] < st.recordId[y] ? -1 : st.recordId[x] > st.recordId[y] ? 1 : 0);
  }

  released(s: number): void {
    this.engine.match(s);
  }
}

/** Matched slots by end time (the long-lived ones, released when they end). */
class EndOrder implements HeapOrder<number> {
  constructor(private readonly st: RecordStore) {}

  less(x: number, y: number): boolean {
    return this.st.end[x] < this.st.end[y];
  }
}
