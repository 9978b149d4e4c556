// Domain types shared by every stage. Output records use SPEC.md's field names verbatim (snake_case),
// so sinks write them as they are.

export const EVENT_TYPES = ['voice_mo', 'voice_mt', 'sms_mo', 'sms_mt', 'data'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const RADIOS = ['GSM', 'UMTS', 'LTE', 'NR'] as const;
export type Radio = (typeof RADIOS)[number];

/** Every criterion clonewatch knows: the two of Art. 22(a)/(b), then the Art. 22(c) extras (off by default). */
export const RULES = ['simultaneity', 'time_distance', 'shared_imei', 'inconsistent_rat', 'unknown_tac'] as const;
export type Rule = (typeof RULES)[number];
/** What runs when no `rules` are configured: the two criteria Art. 22 requires. */
export const DEFAULT_RULES: readonly Rule[] = ['simultaneity', 'time_distance'];
/** Criteria that compare two CDRs of different IMSIs on one IMEI key. */
export const PAIR_RULES: readonly Rule[] = ['simultaneity', 'time_distance'];
/** Criteria that need a TAC database. */
export const TAC_RULES: readonly Rule[] = ['inconsistent_rat', 'unknown_tac'];

export const REJECT_REASONS = [
  'missing_field',
  'invalid_record_id',
  'invalid_imei',
  'invalid_imsi',
  'invalid_msisdn',
  'invalid_time',
  'invalid_duration',
  'invalid_event_type',
  'invalid_cell',
  'duplicate_record',
  'late_record',
  'malformed_row',
  'invalid_exception',
  'invalid_tac',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** A cell site of the catalogue (OpenCelliD layout), range already defaulted and capped. */
export interface CellSite {
  /** `RADIO:mcc:mnc:lac:ci` */
  id: string;
  lat: number;
  lon: number;
  rangeM: number;
}

/** A validated CDR, as the engine sees it. */
export interface Cdr {
  recordId: string;
  /** Hash of record_id's UTF-8 bytes (domain/identity.ts idHashBytes), for the duplicate check. */
  idHash: number;
  eventType: EventType;
  /** The IMEI key, first 14 digits (TAC + serial number), as a number (exact: < 2^53). */
  key: number;
  /** Digit count of the IMEI as received (14, 15 or 16) and the digits after the key (check digit or SV). */
  imeiLen: number;
  imeiSuffix: number;
  /** IMSI digits as a number, with their count (leading zeros survive through the count). */
  imsi: number;
  imsiLen: number;
  /** MSISDN digits as a number; msisdnLen is the digit count, | MSISDN_PLUS when written with +, 0 when empty. */
  msisdn: number;
  msisdnLen: number;
  startMs: number;
  endMs: number;
  /** The serving cell: radio, mcc, mnc, lac (LAC or TAC), ci. Looked up by number, no string per row. */
  radio: Radio;
  mcc: number;
  mnc: number;
  lac: number;
  ci: number;
}

/** A CDR with every field empty, for readers that write row after row into one object. */
export function blankCdr(): Cdr {
  return { recordId: '', idHash: 0, eventType: 'data', key: 0, imeiLen: 0, imeiSuffix: 0, imsi: 0, imsiLen: 0, msisdn: 0, msisdnLen: 0, startMs: 0, endMs: 0, radio: 'GSM', mcc: 0, mnc: 0, lac: 0, ci: 0 };
}

/** Output 1: a suspected clone. */
export interface Finding {
  imei: string;
  imei_reported_a: string;
  imei_reported_b: string;
  rule: Rule;
  imsi_a: string;
  imsi_b: string;
  msisdn_a: string;
  msisdn_b: string;
  record_a: string;
  record_b: string;
  time_a: string;
  time_b: string;
  cell_a: string | null;
  cell_b: string | null;
  lat_a: number | null;
  lon_a: number | null;
  lat_b: number | null;
  lon_b: number | null;
  distance_km: number | null;
  gap_s: number;
  overlap_s: number;
  speed_kmh: number | null;
  exempt_imsis: string[];
  detected_at: string;
  finding_id: string;
  // Fields added by the Art. 22(c) criteria (SPEC "Extra criteria": added, never renamed), present only on
  // findings of the rule that fills them, so the outputs of the two Art. 22 rules stay as they were.
  /** shared_imei: distinct non-exempt IMSIs seen on the IMEI key in the period. */
  imsi_count?: number;
  /** inconsistent_rat: the radio of the CDR (also when its cell is not in the catalogue). */
  radio?: Radio;
  /** inconsistent_rat: the radios the TAC's model supports, as a |-list. */
  tac_radios?: string;
}

/** Output 2: a block candidate for the registry. */
export interface BlockCandidate {
  imei: string;
  /** The non-exempt IMSIs of its findings, at most 1,000 (the first to join); imsi_count counts them all. */
  imsis: string[];
  imsi_count: number;
  exempt_imsis: string[];
  rules: Rule[];
  first_evidence_at: string;
  findings: number;
  emitted_at: string;
  /** The IMSI most likely to be the original device's (SPEC "Block candidates: what the operator needs to act"). */
  likely_genuine_imsi: string;
  likely_genuine_reason: LikelyGenuineReason;
  /** MSISDNs seen with the candidate's non-exempt IMSIs: the lines to notify by SMS before blocking. */
  notify_msisdns: string[];
}

export const LIKELY_GENUINE_REASONS = ['exception_list', 'first_seen', 'most_traffic'] as const;
export type LikelyGenuineReason = (typeof LIKELY_GENUINE_REASONS)[number];

/** Output 3: a reject. `line` is the physical line (header = 1) for files, null for Kafka. */
export interface Reject {
  source: string;
  line: number | null;
  reason: RejectReason;
  detail: string;
  raw: string;
}

/** Counters of one run (or one streaming interval): the audit trail. */
export interface RunCounters {
  recordsRead: number;
  recordsAccepted: number;
  rejectsByReason: Partial<Record<RejectReason, number>>;
  findingsByRule: Record<Rule, number>;
  /** Matches that were suppressed because the (IMEI, IMSI pair, rule) already had a finding. */
  suppressedByRule: Record<Rule, number>;
  candidates: number;
  unknownCell: number;
  /** Matches counted in suppressedByRule because their IMEI had maxPairFindingsPerImei findings in the period. */
  pairFindingsOverCap?: number;
  /** CDRs of an IMEI at maxPairFindingsPerImei in the period, not compared further (SPEC: bounded work per IMEI). */
  cdrsOverPairCap?: number;
  /** detect: rejects counted in rejectsByReason but not written, past maxRejectsPerReason of their reason. */
  rejectsNotWritten?: number;
  /** Accepted CDRs whose UMTS short key several catalogue cells share: their cell is unknown (never a guess). */
  ambiguousCell: number;
}

function perRule(): Record<Rule, number> {
  return { simultaneity: 0, time_distance: 0, shared_imei: 0, inconsistent_rat: 0, unknown_tac: 0 };
}

export function emptyCounters(): RunCounters {
  return {
    recordsRead: 0,
    recordsAccepted: 0,
    rejectsByReason: {},
    findingsByRule: perRule(),
    suppressedByRule: perRule(),
    candidates: 0,
    unknownCell: 0,
    ambiguousCell: 0,
  };
}

/** A finished run, as written to `pipeline_runs`. */
export interface PipelineRun {
  run_id: string;
  mode: 'detect' | 'run';
  started_at: string;
  finished_at: string;
  inputs: string;
  counters: RunCounters;
  config_json: string;
  /** Free text, e.g. outages seen by a sink. */
  notes: string[];
}
