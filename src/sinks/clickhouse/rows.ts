import { createHash } from 'node:crypto';
import { redactJsonText, redactText } from '../../config/redact.js';
import type { BlockCandidate, Finding, PipelineRun, Radio, Reject, Rule } from '../../domain/types.js';
import { requireCjs } from '../../domain/cjs.js';

const { latLngToCell } = requireCjs('h3-js') as typeof import('h3-js');

/**
 * Output records <-> ClickHouse rows. Rows are JSONEachRow objects in the form every ClickHouse from 18.16
 * accepts: DateTime as 'YYYY-MM-DD hh:mm:ss' (UTC), UInt64 as decimal strings, Enums by name, null only in
 * Nullable columns, no unknown fields.
 */

export const H3_RESOLUTION = 7;

export type Row = Record<string, unknown>;

/** 'YYYY-MM-DD hh:mm:ss' of an epoch-ms instant, clamped to DateTime's range (1970 .. 2105). */
export function chDateTime(ms: number): string {
  const clamped = Math.min(Math.max(ms, 0), 4294967295000);
  return new Date(clamped).toISOString().slice(0, 19).replace('T', ' ');
}

const CANONICAL_UTC = /^(19[7-9]\d|20\d\d)-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** epoch ms and the DateTime text of an ISO time (fast path for the engine's own `toISOString()` form). */
function timeParts(iso: string, field: string): [number, string] {
  const ms = epochMs(iso, field);
  return [ms, CANONICAL_UTC.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : chDateTime(ms)];
}

function epochMs(iso: string, field: string): number {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`${field} is not an ISO-8601 time: ${JSON.stringify(iso)}`);
  return ms;
}

/** H3 index at resolution 7 as a UInt64 decimal string; '0' when the position is unknown. */
export function h3Index(lat: number | null, lon: number | null): string {
  if (lat === null || lon === null || !Number.isFinite(lat) || !Number.isFinite(lon)) return '0';
  // Findings name a few thousand cell sites over and over: remember their indexes (bounded).
  const key = `${lat},${lon}`;
  let h = h3Cache.get(key);
  if (h === undefined) {
    if (h3Cache.size >= 100_000) h3Cache.clear();
    h = BigInt('0x' + latLngToCell(lat, lon, H3_RESOLUTION)).toString();
    h3Cache.set(key, h);
  }
  return h;
}

const h3Cache = new Map<string, string>();

/** The day partition a row's insert belongs to (inserts are split so one block never spans 100 partitions). */
export function dayOf(ms: number): string {
  return chDateTime(ms).slice(0, 10);
}

export function findingRow(f: Finding, runId: string): Row {
  const [timeA, timeAText] = timeParts(f.time_a, 'time_a');
  const [timeB, timeBText] = timeParts(f.time_b, 'time_b');
  const [detected, detectedText] = timeParts(f.detected_at, 'detected_at');
  return {
    imei: f.imei,
    imei_reported_a: f.imei_reported_a,
    imei_reported_b: f.imei_reported_b,
    rule: f.rule,
    imsi_a: f.imsi_a,
    imsi_b: f.imsi_b,
    msisdn_a: f.msisdn_a,
    msisdn_b: f.msisdn_b,
    record_a: f.record_a,
    record_b: f.record_b,
    time_a: timeAText,
    time_b: timeBText,
    time_a_ms: String(timeA),
    time_b_ms: String(timeB),
    cell_a: f.cell_a,
    cell_b: f.cell_b,
    lat_a: f.lat_a,
    lon_a: f.lon_a,
    lat_b: f.lat_b,
    lon_b: f.lon_b,
    h3_a: h3Index(f.lat_a, f.lon_a),
    h3_b: h3Index(f.lat_b, f.lon_b),
    distance_km: f.distance_km,
    gap_s: f.gap_s,
    overlap_s: f.overlap_s,
    speed_kmh: f.speed_kmh !== null && Number.isFinite(f.speed_kmh) ? f.speed_kmh : null,
    exempt_imsis: f.exempt_imsis,
    detected_at: detectedText,
    detected_at_ms: String(detected),
    finding_id: f.finding_id,
    run_id: runId,
    imsi_count: f.imsi_count === undefined ? null : String(f.imsi_count),
    radio: f.radio ?? null,
    tac_radios: f.tac_radios ?? null,
  };
}

/** A stable id of one candidate emission: its content, not its wall-clock time. */
export function candidateId(c: BlockCandidate): string {
  return createHash('sha256')
    .update(JSON.stringify([c.imei, c.imsis, c.exempt_imsis, c.rules, c.first_evidence_at, c.findings]))
    .digest('hex')
    .slice(0, 32);
}

export function candidateRow(c: BlockCandidate, runId: string): Row {
  const first = epochMs(c.first_evidence_at, 'first_evidence_at');
  const emitted = epochMs(c.emitted_at, 'emitted_at');
  return {
    imei: c.imei,
    imsis: c.imsis,
    exempt_imsis: c.exempt_imsis,
    rules: c.rules,
    first_evidence_at: chDateTime(first),
    first_evidence_at_ms: String(first),
    findings: String(c.findings),
    emitted_at: chDateTime(emitted),
    emitted_at_ms: String(emitted),
    candidate_id: candidateId(c),
    run_id: runId,
    imsi_count: String(c.imsi_count),
    likely_genuine_imsi: c.likely_genuine_imsi,
    likely_genuine_reason: c.likely_genuine_reason,
    notify_msisdns: c.notify_msisdns,
  };
}

export function rejectRow(r: Reject, runId: string, nowMs: number): Row {
  return {
    run_id: runId,
    source: r.source,
    line: r.line === null ? null : String(r.line),
    reason: r.reason,
    detail: r.detail,
    raw: r.raw,
    rejected_at: chDateTime(nowMs),
    rejected_at_ms: String(nowMs),
  };
}

export function runRow(run: PipelineRun, extraNotes: string[], outageS: number): Row {
  const started = epochMs(run.started_at, 'started_at');
  const finished = epochMs(run.finished_at, 'finished_at');
  const c = run.counters;
  const reasons = Object.entries(c.rejectsByReason).filter(([, n]) => (n ?? 0) > 0) as [string, number][];
  reasons.sort((a, b) => a[0].localeCompare(b[0]));
  return {
    run_id: run.run_id,
    mode: run.mode,
    started_at: chDateTime(started),
    started_at_ms: String(started),
    finished_at: chDateTime(finished),
    finished_at_ms: String(finished),
    inputs: run.inputs,
    records_read: String(c.recordsRead),
    records_accepted: String(c.recordsAccepted),
    rejected: String(reasons.reduce((s, [, n]) => s + n, 0)),
    reject_reasons: reasons.map(([r]) => r),
    reject_counts: reasons.map(([, n]) => String(n)),
    findings_simultaneity: String(c.findingsByRule.simultaneity ?? 0),
    findings_time_distance: String(c.findingsByRule.time_distance ?? 0),
    suppressed_simultaneity: String(c.suppressedByRule.simultaneity ?? 0),
    suppressed_time_distance: String(c.suppressedByRule.time_distance ?? 0),
    candidates: String(c.candidates),
    unknown_cell: String(c.unknownCell),
    clickhouse_outage_s: outageS,
    notes: [...run.notes, ...extraNotes].map(redactText),
    counters_json: JSON.stringify(c),
    config_json: redactJsonText(run.config_json),
  };
}

// ---- reading back (tests, tools) ----

function iso(ms: unknown): string {
  return new Date(Number(ms)).toISOString();
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}

/** A suspected_clones row (read with output_format_json_quote_64bit_integers=1) back as a Finding. */
export function rowToFinding(r: Row): Finding {
  return {
    imei: String(r.imei),
    imei_reported_a: String(r.imei_reported_a),
    imei_reported_b: String(r.imei_reported_b),
    rule: r.rule as Rule,
    imsi_a: String(r.imsi_a),
    imsi_b: String(r.imsi_b),
    msisdn_a: String(r.msisdn_a),
    msisdn_b: String(r.msisdn_b),
    record_a: String(r.record_a),
    record_b: String(r.record_b),
    time_a: iso(r.time_a_ms),
    time_b: iso(r.time_b_ms),
    cell_a: (r.cell_a as string | null) ?? null,
    cell_b: (r.cell_b as string | null) ?? null,
    lat_a: numOrNull(r.lat_a),
    lon_a: numOrNull(r.lon_a),
    lat_b: numOrNull(r.lat_b),
    lon_b: numOrNull(r.lon_b),
    distance_km: numOrNull(r.distance_km),
    gap_s: num(r.gap_s),
    overlap_s: num(r.overlap_s),
    speed_kmh: numOrNull(r.speed_kmh),
    exempt_imsis: r.exempt_imsis as string[],
    detected_at: iso(r.detected_at_ms),
    finding_id: String(r.finding_id),
    // Fields of the Art. 22(c) criteria: present only on the rules that fill them, as in clones.ndjson.
    ...(r.imsi_count === null || r.imsi_count === undefined ? {} : { imsi_count: num(r.imsi_count) }),
    ...(r.radio === null || r.radio === undefined ? {} : { radio: r.radio as Radio }),
    ...(r.tac_radios === null || r.tac_radios === undefined ? {} : { tac_radios: String(r.tac_radios) }),
  };
}

export function rowToCandidate(r: Row): BlockCandidate {
  return {
    imei: String(r.imei),
    imsis: r.imsis as string[],
    imsi_count: num(r.imsi_count),
    exempt_imsis: r.exempt_imsis as string[],
    rules: r.rules as Rule[],
    first_evidence_at: iso(r.first_evidence_at_ms),
    findings: num(r.findings),
    emitted_at: iso(r.emitted_at_ms),
    likely_genuine_imsi: String(r.likely_genuine_imsi ?? ''),
    likely_genuine_reason: r.likely_genuine_reason as BlockCandidate['likely_genuine_reason'],
    notify_msisdns: (r.notify_msisdns as string[]) ?? [],
  };
}

export function rowToReject(r: Row): Reject {
  return {
    source: String(r.source),
    line: numOrNull(r.line),
    reason: r.reason as Reject['reason'],
    detail: String(r.detail),
    raw: String(r.raw),
  };
}
