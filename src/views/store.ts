import type { BlockCandidate, Finding } from '../domain/types.js';
import type { ClickHouseStore } from '../sinks/clickhouse/connect.js';
import { sqlString } from '../sinks/clickhouse/connect.js';
import { readFindings, selectRows } from '../sinks/clickhouse/read-back.js';
import { rowToCandidate, type Row } from '../sinks/clickhouse/rows.js';

/**
 * What the analysts' views read from ClickHouse. Plain SELECTs with literals (ClickHouse 18.16 has no query
 * parameters), always FINAL, so a retried insert is counted once; the same queries run on chDB and on a server.
 */

/** A block candidate emission, with the fields SPEC's "what the operator needs to act" adds when the store has them. */
type ActFields = 'likely_genuine_imsi' | 'likely_genuine_reason' | 'notify_msisdns' | 'imsi_count';
export interface CandidateView extends Omit<BlockCandidate, ActFields> {
  likely_genuine_imsi?: string | null;
  likely_genuine_reason?: string | null;
  notify_msisdns?: string[];
  imsi_count?: number;
}

export function rowToCandidateView(r: Row): CandidateView {
  const c: CandidateView = { ...(rowToCandidate(r) as CandidateView) };
  if ('likely_genuine_imsi' in r) c.likely_genuine_imsi = r.likely_genuine_imsi === null ? null : String(r.likely_genuine_imsi);
  if ('likely_genuine_reason' in r) c.likely_genuine_reason = r.likely_genuine_reason === null ? null : String(r.likely_genuine_reason);
  if ('notify_msisdns' in r && Array.isArray(r.notify_msisdns)) c.notify_msisdns = (r.notify_msisdns as unknown[]).map(String);
  if ('imsi_count' in r && r.imsi_count !== null && r.imsi_count !== undefined) c.imsi_count = Number(r.imsi_count);
  return c;
}

/** Emissions of one IMEI's candidate, oldest first (the last is its current state). */
export async function readCandidateHistory(store: ClickHouseStore, imei: string): Promise<CandidateView[]> {
  const rows = await selectRows(
    store,
    `SELECT * FROM ${store.database}.block_candidates FINAL WHERE imei = ${sqlString(imei)} ORDER BY emitted_at_ms, findings`,
  );
  return rows.map(rowToCandidateView).sort(emissionOrder);
}

/** Emission order: a later emission has more findings or more IMSIs (wall-clock ties are common in a file run). */
export function emissionOrder(a: CandidateView, b: CandidateView): number {
  return (
    Date.parse(a.emitted_at) - Date.parse(b.emitted_at) || a.findings - b.findings || a.imsis.length - b.imsis.length
  );
}

export interface ExplainInput {
  /** The latest `maxFindings` findings, oldest first. */
  findings: Finding[];
  /** All findings of the IMEI key in the store. */
  totalFindings: number;
  candidates: CandidateView[];
}

function findingOrder(a: Finding, b: Finding): number {
  return Date.parse(a.time_a) - Date.parse(b.time_a) || Date.parse(a.time_b) - Date.parse(b.time_b) || a.finding_id.localeCompare(b.finding_id);
}

/**
 * The latest `max` findings in event order. Pair findings are capped per IMEI key per suppression period, not
 * over its whole history: a clone active for a month can have thousands, and one page must stay small.
 */
export function latestFindings(findings: Finding[], max: number): Finding[] {
  const sorted = [...findings].sort(findingOrder);
  return sorted.length > max ? sorted.slice(sorted.length - max) : sorted;
}

export async function readExplainInput(store: ClickHouseStore, imei: string, maxFindings: number): Promise<ExplainInput> {
  const all = await readFindings(store, `imei = ${sqlString(imei)}`);
  const candidates = all.length ? await readCandidateHistory(store, imei) : [];
  return { findings: latestFindings(all, maxFindings), totalFindings: all.length, candidates };
}

// ---- report ----

/** A half-open range of event time [fromMs, toMs), either end open. */
export interface DayRange {
  fromMs: number | null;
  toMs: number | null;
}

function timeWhere(column: string, range: DayRange): string {
  const parts: string[] = [];
  // toDateTime(unix seconds): the same instant on every server time zone, and partition pruning still applies.
  if (range.fromMs !== null) parts.push(`${column} >= toDateTime(${Math.floor(range.fromMs / 1000)})`);
  if (range.toMs !== null) parts.push(`${column} < toDateTime(${Math.floor(range.toMs / 1000)})`);
  return parts.length ? parts.join(' AND ') : '1';
}

export interface ReportInput {
  findingsPerDay: { day: string; rule: string; n: number }[];
  /** Findings per H3 index (resolution 7) of their `a` cell, else their `b` cell; '0' = no position. */
  findingsPerH3: { h3: string; n: number }[];
  /** Current state (latest emission) of every candidate with a finding in the range. */
  candidates: CandidateView[];
  rejectsByReason: { reason: string; n: number }[];
  runs: Row[];
  runsTotal: number;
}

/** Runs shown at most (a streaming `run` writes one row per interval). */
export const MAX_RUNS = 500;

export async function readReportInput(store: ClickHouseStore, range: DayRange): Promise<ReportInput> {
  const db = store.database;
  const inRange = timeWhere('time_a', range);
  const perDay = await selectRows(
    store,
    `SELECT toString(toDate(time_a)) AS day, toString(rule) AS rule_name, count() AS n FROM ${db}.suspected_clones FINAL WHERE ${inRange} GROUP BY day, rule_name ORDER BY day, rule_name`,
  );
  const perH3 = await selectRows(
    store,
    `SELECT toString(if(h3_a != 0, h3_a, h3_b)) AS h3, count() AS n FROM ${db}.suspected_clones FINAL WHERE ${inRange} GROUP BY h3 ORDER BY n DESC, h3`,
  );
  const candRows = await selectRows(
    store,
    `SELECT * FROM ${db}.block_candidates FINAL WHERE imei IN (SELECT imei FROM ${db}.suspected_clones FINAL WHERE ${inRange})`,
  );
  const latest = new Map<string, CandidateView>();
  for (const r of candRows) {
    const c = rowToCandidateView(r);
    const cur = latest.get(c.imei);
    if (!cur || emissionOrder(cur, c) < 0) latest.set(c.imei, c);
  }
  const candidates = [...latest.values()].sort((a, b) => Date.parse(a.first_evidence_at) - Date.parse(b.first_evidence_at) || a.imei.localeCompare(b.imei));
  // Aliases never reuse a column's name (ClickHouse 18.16 reads `toString(x) AS x` as a cyclic alias).
  // Rejects and runs are facts of processing, not of events: the range selects the runs that wrote a finding
  // in it and the runs started in it, and the rejects of those runs.
  const runWhere =
    range.fromMs === null && range.toMs === null
      ? '1'
      : `(run_id IN (SELECT run_id FROM ${db}.suspected_clones FINAL WHERE ${inRange}) OR ${timeWhere('started_at', range)})`;
  const rejects = await selectRows(
    store,
    `SELECT toString(reason) AS reason_name, count() AS n FROM ${db}.rejected_cdrs FINAL WHERE ${
      runWhere === '1' ? '1' : `run_id IN (SELECT run_id FROM ${db}.pipeline_runs FINAL WHERE ${runWhere})`
    } GROUP BY reason_name ORDER BY n DESC, reason_name`,
  );
  const runsTotal = await selectRows(store, `SELECT count() AS n FROM ${db}.pipeline_runs FINAL WHERE ${runWhere}`);
  const runs = await selectRows(
    store,
    `SELECT run_id, toString(mode) AS mode_name, started_at_ms, finished_at_ms, inputs, records_read, records_accepted, rejected, candidates, unknown_cell, clickhouse_outage_s, notes, counters_json FROM ${db}.pipeline_runs FINAL WHERE ${runWhere} ORDER BY started_at_ms DESC LIMIT ${MAX_RUNS}`,
  );
  return {
    findingsPerDay: perDay.map((r) => ({ day: String(r.day), rule: String(r.rule_name), n: Number(r.n) })),
    findingsPerH3: perH3.map((r) => ({ h3: String(r.h3), n: Number(r.n) })),
    candidates,
    rejectsByReason: rejects.map((r) => ({ reason: String(r.reason_name), n: Number(r.n) })),
    runs,
    runsTotal: Number(runsTotal[0]?.n ?? 0),
  };
}
