import type { BlockCandidate, Finding, PipelineRun, Reject } from '../../src/domain/types.js';
import { emptyCounters } from '../../src/domain/types.js';

/** Deterministic output records with the awkward cases: nulls, ms, quotes, unicode, many days. */

const DAY_MS = 86_400_000;
const BASE = Date.UTC(2025, 0, 1, 5, 0, 0, 123);

export function sampleFindings(n: number, opts: { days?: number; seed?: number } = {}): Finding[] {
  const days = opts.days ?? 3;
  const seed = opts.seed ?? 1;
  const out: Finding[] = [];
  for (let i = 0; i < n; i++) {
    const unknown = i % 7 === 3;
    const simultaneity = i % 3 === 0;
    const t = BASE + (i % days) * DAY_MS + i * 1_017 + (i % 1000);
    const imei = String(35_000_000_000_000 + ((i * 7919 + seed) % 1_000_000)).slice(0, 14);
    const latA = -12.0464 + (i % 50) * 0.0137;
    const lonA = -77.0428 + (i % 31) * 0.0213;
    const latB = -16.409 + (i % 13) * 0.011 + 1e-12 * i;
    const lonB = -71.5375 - (i % 17) * 0.007;
    const dist = 765.4321987654321 + i / 3;
    const gap = simultaneity ? 0 : 600 + (i % 3600) + 0.25;
    out.push({
      imei,
      imei_reported_a: imei + '0',
      imei_reported_b: i % 5 === 0 ? imei + '12' : imei + '7',
      rule: simultaneity ? 'simultaneity' : 'time_distance',
      imsi_a: String(716_100_000_000_000 + i),
      imsi_b: String(716_100_900_000_000 + i),
      msisdn_a: i % 4 === 0 ? '' : `+5199${String(i).padStart(7, '0')}`,
      msisdn_b: `5198${String(i).padStart(7, '0')}`,
      record_a: `r-${seed}-${i}-a`,
      record_b: i % 11 === 0 ? `r'${seed}"\\${i}-b ñ` : `r-${seed}-${i}-b`,
      time_a: new Date(t).toISOString(),
      time_b: new Date(t + 1500).toISOString(),
      cell_a: unknown ? null : `LTE:716:10:${1000 + (i % 50)}:${20000 + i}`,
      cell_b: unknown ? null : `UMTS:716:10:${2000 + (i % 13)}:${30000 + i}`,
      lat_a: unknown ? null : latA,
      lon_a: unknown ? null : lonA,
      lat_b: unknown ? null : latB,
      lon_b: unknown ? null : lonB,
      distance_km: unknown ? null : dist,
      gap_s: gap,
      overlap_s: simultaneity ? 12.5 + (i % 10) : 0,
      speed_kmh: unknown || gap === 0 ? null : dist / (gap / 3600),
      exempt_imsis: i % 6 === 0 ? [String(716_100_000_000_000 + i)] : [],
      detected_at: new Date(Date.UTC(2026, 10, 24, 18, 0, 0, i % 1000)).toISOString(),
      finding_id: `f${seed.toString(16)}${i.toString(16).padStart(12, '0')}`,
    });
    // Some findings of the Art. 22(c) criteria, with the fields only they carry.
    const f = out[out.length - 1];
    if (i % 9 === 4) Object.assign(f, { rule: 'shared_imei', imsi_count: 5 + (i % 4) });
    else if (i % 9 === 7) Object.assign(f, { rule: 'inconsistent_rat', imsi_b: f.imsi_a, record_b: f.record_a, radio: 'LTE', tac_radios: 'GSM|UMTS' });
    else if (i % 9 === 8) Object.assign(f, { rule: 'unknown_tac', imsi_b: f.imsi_a, record_b: f.record_a });
  }
  return out;
}

export function sampleCandidates(findings: Finding[]): BlockCandidate[] {
  const out: BlockCandidate[] = [];
  for (let i = 0; i < findings.length; i += 2) {
    const f = findings[i];
    out.push({
      imei: f.imei,
      imsis: f.exempt_imsis.length ? [f.imsi_b] : [f.imsi_a, f.imsi_b],
      imsi_count: f.exempt_imsis.length ? 1 : 2,
      exempt_imsis: f.exempt_imsis,
      rules: i % 4 === 0 ? [f.rule] : ['simultaneity', 'time_distance'],
      first_evidence_at: f.time_b,
      findings: 1 + (i % 5),
      emitted_at: f.detected_at,
      likely_genuine_imsi: f.exempt_imsis[0] ?? f.imsi_a,
      likely_genuine_reason: f.exempt_imsis.length ? 'exception_list' : i % 8 === 0 ? 'most_traffic' : 'first_seen',
      notify_msisdns: i % 3 === 0 ? [] : [f.msisdn_b, `5197${String(i).padStart(7, '0')}`],
    });
  }
  return out;
}

export function sampleRejects(n: number): Reject[] {
  const reasons: Reject['reason'][] = ['invalid_imei', 'late_record', 'duplicate_record', 'malformed_row', 'invalid_cell'];
  return Array.from({ length: n }, (_, i) => ({
    source: i % 10 === 9 ? `cdrs/0/${i}` : 'fixtures/x/cdrs.csv',
    line: i % 10 === 9 ? null : i + 2,
    reason: reasons[i % reasons.length],
    detail: `detail ${i} "quoted" ñ`,
    raw: `r${i},voice_mo,12345,"a,b",\ttab`,
  }));
}

export function sampleRun(runId: string): PipelineRun {
  const counters = emptyCounters();
  counters.recordsRead = 1000;
  counters.recordsAccepted = 990;
  counters.rejectsByReason = { invalid_imei: 6, late_record: 4 };
  counters.findingsByRule = { ...counters.findingsByRule, simultaneity: 3, time_distance: 2, shared_imei: 1 };
  counters.candidates = 2;
  return {
    run_id: runId,
    mode: 'detect',
    started_at: '2026-11-24T18:00:00.000Z',
    finished_at: '2026-11-24T18:00:05.250Z',
    inputs: 'fixtures/x',
    counters,
    config_json: JSON.stringify({ windowS: 7200, clickhouse: { password: 'hunter2', target: 'http://analyst:hunter2@ch.example:8123/db' }, kafka: { sasl: { password: 's3cret' } } }),
    notes: [],
  };
}
