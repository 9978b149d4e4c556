import type { BlockCandidate, Rule } from '../domain/types.js';
import { isoUtc } from '../domain/time.js';

/** How often (event time) expired suppression periods and candidate states are swept. */
const SWEEP_EVERY_MS = 3_600_000;

/** SPEC: a candidate's `imsis` lists at most this many IMSIs; `imsi_count` counts them all. */
export const MAX_CANDIDATE_IMSIS = 1000;

interface CandidateState {
  imsis: Set<string>;
  exempt: Set<string>;
  rules: Set<Rule>;
  firstEvidenceMs: number;
  findings: number;
  lastFindingMs: number;
}

/** Suppression and candidate state (JSON-serialisable), so a restarted stream emits no finding twice. */
export interface DedupState {
  suppression: Array<[string, number]>;
  candidates: Array<{ imei: string; imsis: string[]; exempt: string[]; rules: Rule[]; firstEvidenceMs: number; findings: number; lastFindingMs: number }>;
}

/** A block candidate as the ledger knows it; the engine adds what the IMEI's history tells (likely genuine IMSI, MSISDNs). */
export type CandidateCore = Omit<BlockCandidate, 'likely_genuine_imsi' | 'likely_genuine_reason' | 'notify_msisdns'>;

/** One finding's contribution to its IMEI's block candidate. */
export interface CandidateUpdate {
  imeiKey: string;
  rule: Rule;
  /** Start of the earlier CDR of the pair (first evidence). */
  startAMs: number;
  /** Start of the later CDR of the pair (when the finding happened, in event time). */
  eventMs: number;
  imsiA: string;
  imsiB: string;
  exemptA: boolean;
  exemptB: boolean;
  /** More IMSIs a finding puts on the candidate (shared_imei: every IMSI it counted). */
  more?: Array<{ imsi: string; exempt: boolean }>;
}

/**
 * What the engine remembers about findings once they are made: the suppression period of each
 * (IMEI key, IMSI pair, rule), and per IMEI key the block candidate being built (Art. 22, 24-25).
 * Both expire in event time; both are exported into and imported from a stream's snapshot.
 */
export class CandidateLedger {
  /** (IMEI key, IMSI pair, rule) -> event time of the finding that opened its suppression period. */
  private readonly suppression = new Map<string, number>();
  private readonly candidates = new Map<string, CandidateState>();
  /** IMEI key -> the pair-finding period (opened by its first finding) and the findings in it. */
  private readonly pairPeriods = new Map<string, { startMs: number; findings: number }>();
  private lastSweepMs = -Infinity;
  /** At least the most findings any pair-finding period holds (recomputed at each sweep). */
  private peakPeriodFindings = 0;

  constructor(
    private readonly suppressionMs: number,
    private readonly candidateRetentionMs: number,
    private readonly latenessMs: number,
    private readonly maxPairFindingsPerImei = Infinity,
    /** Longest suppression period of any criterion (shared_imei has its own): how long entries are kept. */
    private readonly longestPeriodMs: number = suppressionMs,
  ) {}

  /** False when no IMEI key can be at maxPairFindingsPerImei: pairFindingAllowed is then true for every key. */
  get mayBeAtCap(): boolean {
    return this.peakPeriodFindings >= this.maxPairFindingsPerImei;
  }

  /** May the IMEI have one more pair finding at `eventMs` (below maxPairFindingsPerImei in its period)? */
  pairFindingAllowed(imeiKey: string, eventMs: number): boolean {
    const p = this.pairPeriods.get(imeiKey);
    return p === undefined || eventMs - p.startMs >= this.suppressionMs || p.findings < this.maxPairFindingsPerImei;
  }

  /**
   * Count a pair finding in its IMEI's period (a new period opens suppressionS after the last one did).
   * Returns whether the IMEI has now reached maxPairFindingsPerImei in this period.
   */
  countPairFinding(imeiKey: string, eventMs: number): boolean {
    let p = this.pairPeriods.get(imeiKey);
    if (p === undefined) {
      p = { startMs: eventMs, findings: 1 };
      this.pairPeriods.set(imeiKey, p);
    } else if (eventMs - p.startMs >= this.suppressionMs) {
      p.startMs = eventMs;
      p.findings = 1;
    } else p.findings++;
    if (p.findings > this.peakPeriodFindings) this.peakPeriodFindings = p.findings;
    return p.findings >= this.maxPairFindingsPerImei;
  }

  get suppressionEntries(): number {
    return this.suppression.size;
  }

  get candidateStates(): number {
    return this.candidates.size;
  }

  /**
   * Is a match of this IMSI pair on this IMEI by this rule inside the suppression period of an earlier
   * finding? If not, the match becomes a finding and opens a new period at `eventMs`.
   */
  suppressed(imeiKey: string, imsiA: string, imsiB: string, rule: Rule, eventMs: number): boolean {
    const lo = imsiA < imsiB ? imsiA : imsiB;
    const hi = imsiA < imsiB ? imsiB : imsiA;
    const triple = `${imeiKey}|${lo}|${hi}|${rule}`;
    const anchor = this.suppression.get(triple);
    if (anchor !== undefined && Math.abs(eventMs - anchor) < this.suppressionMs) return true;
    this.suppression.set(triple, eventMs);
    return false;
  }

  /**
   * The same for a criterion that finds per IMEI key rather than per IMSI pair (`id` names the key, the rule and
   * whatever else it dedups on), with its own period.
   */
  suppressedId(id: string, eventMs: number, periodMs: number): boolean {
    const anchor = this.suppression.get(id);
    if (anchor !== undefined && Math.abs(eventMs - anchor) < periodMs) return true;
    this.suppression.set(id, eventMs);
    return false;
  }

  /**
   * Art. 24-25: a listed IMEI-IMSI pair is never blocked; findings on it still reach analysts.
   * Returns whether the candidate's list of non-exempt IMSIs changed (a new one joined, or one became exempt).
   */
  update(u: CandidateUpdate): boolean {
    let c = this.candidates.get(u.imeiKey);
    if (c === undefined) {
      c = { imsis: new Set(), exempt: new Set(), rules: new Set(), firstEvidenceMs: u.startAMs, findings: 0, lastFindingMs: u.eventMs };
      this.candidates.set(u.imeiKey, c);
    }
    c.findings++;
    c.rules.add(u.rule);
    if (u.startAMs < c.firstEvidenceMs) c.firstEvidenceMs = u.startAMs;
    if (u.eventMs > c.lastFindingMs) c.lastFindingMs = u.eventMs;
    let joined = this.join(c, u.imsiA, u.exemptA);
    if (this.join(c, u.imsiB, u.exemptB)) joined = true;
    if (u.more) for (const m of u.more) if (this.join(c, m.imsi, m.exempt)) joined = true;
    return joined;
  }

  private join(c: CandidateState, imsi: string, exempt: boolean): boolean {
    if (exempt) {
      c.exempt.add(imsi);
      return c.imsis.delete(imsi); // became exempt: the registry must see the list without it
    }
    if (c.imsis.has(imsi)) return false;
    c.imsis.add(imsi);
    return true;
  }

  /** The IMEI's block candidate as of now; null while no non-exempt IMSI is involved. */
  candidate(imeiKey: string, emittedAt: string): CandidateCore | null {
    const c = this.candidates.get(imeiKey);
    if (c === undefined || c.imsis.size === 0) return null;
    // The first MAX_CANDIDATE_IMSIS to join (a Set keeps joining order), so the list an emission carries
    // costs the same however many IMSIs share the IMEI.
    let imsis: string[];
    if (c.imsis.size <= MAX_CANDIDATE_IMSIS) imsis = [...c.imsis];
    else {
      imsis = [];
      for (const i of c.imsis) {
        imsis.push(i);
        if (imsis.length === MAX_CANDIDATE_IMSIS) break;
      }
    }
    return {
      imei: imeiKey,
      imsis: imsis.sort(),
      imsi_count: c.imsis.size,
      exempt_imsis: [...c.exempt].sort(),
      rules: [...c.rules].sort(),
      first_evidence_at: isoUtc(c.firstEvidenceMs),
      findings: c.findings,
      emitted_at: emittedAt,
    };
  }

  /**
   * Forget what can no longer matter: suppression periods live suppressionS past their finding, candidate
   * states candidateRetentionS past their last finding (plus the lateness). Runs at most hourly in event time.
   */
  sweep(maxEventMs: number): void {
    if (maxEventMs - this.lastSweepMs <= SWEEP_EVERY_MS) return;
    this.lastSweepMs = maxEventMs;
    const horizon = maxEventMs - this.longestPeriodMs - this.latenessMs;
    for (const [k, at] of this.suppression) if (at < horizon) this.suppression.delete(k);
    let peak = 0;
    for (const [k, p] of this.pairPeriods) {
      if (p.startMs < horizon) this.pairPeriods.delete(k);
      else if (p.findings > peak) peak = p.findings;
    }
    this.peakPeriodFindings = peak;
    const candidateHorizon = maxEventMs - this.candidateRetentionMs - this.latenessMs;
    for (const [k, c] of this.candidates) if (c.lastFindingMs < candidateHorizon) this.candidates.delete(k);
  }

  export(): DedupState {
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

  /** Merge an exported state: the later suppression anchor wins, and the candidate with more findings. */
  import(state: DedupState): void {
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
}
