// Field-by-field checks of the three outputs against SPEC.md ("Output 1/2/3"). Each returns a list of
// problems (empty = fine) so a test can show them all at once.

export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
export const CELL_ID = /^(GSM|UMTS|LTE|NR):\d+:\d+:\d+:\d+$/;
export const RULE_NAMES = ['simultaneity', 'time_distance', 'shared_imei', 'inconsistent_rat', 'unknown_tac'];
/** Criteria whose evidence is one CDR (`b` repeats `a`). */
export const ONE_CDR_RULES = ['inconsistent_rat', 'unknown_tac'];
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
];

export const FINDING_FIELDS = [
  'imei', 'imei_reported_a', 'imei_reported_b', 'rule', 'imsi_a', 'imsi_b', 'msisdn_a', 'msisdn_b',
  'record_a', 'record_b', 'time_a', 'time_b', 'cell_a', 'cell_b', 'lat_a', 'lon_a', 'lat_b', 'lon_b',
  'distance_km', 'gap_s', 'overlap_s', 'speed_kmh', 'exempt_imsis', 'detected_at', 'finding_id',
] as const;
export const CANDIDATE_FIELDS = [
  'imei', 'imsis', 'imsi_count', 'exempt_imsis', 'rules', 'first_evidence_at', 'findings', 'emitted_at',
  'likely_genuine_imsi', 'likely_genuine_reason', 'notify_msisdns',
] as const;
export const REJECT_FIELDS = ['source', 'line', 'reason', 'detail', 'raw'] as const;

type Obj = Record<string, unknown>;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function missing(o: Obj, fields: readonly string[]): string[] {
  return fields.filter((f) => !(f in o)).map((f) => `missing field ${f}`);
}

export function findingProblems(f: Obj): string[] {
  const p = missing(f, FINDING_FIELDS);
  if (typeof f.imei !== 'string' || !/^\d{14}$/.test(f.imei)) p.push(`imei ${JSON.stringify(f.imei)} is not a 14-digit key`);
  for (const s of ['a', 'b']) {
    const rep = f[`imei_reported_${s}`];
    if (typeof rep !== 'string' || !/^\d{14,16}$/.test(rep) || rep.slice(0, 14) !== f.imei)
      p.push(`imei_reported_${s} ${JSON.stringify(rep)} does not start with the key`);
    const cell = f[`cell_${s}`];
    const lat = f[`lat_${s}`];
    const lon = f[`lon_${s}`];
    if (cell === null) {
      if (lat !== null || lon !== null) p.push(`cell_${s} is null but lat/lon are not`);
      if (f.distance_km !== null) p.push(`cell_${s} is null but distance_km is not`);
    } else {
      if (typeof cell !== 'string' || !CELL_ID.test(cell)) p.push(`cell_${s} ${JSON.stringify(cell)} is not RADIO:mcc:mnc:lac:ci`);
      if (!isNum(lat) || lat < -90 || lat > 90) p.push(`lat_${s} ${JSON.stringify(lat)} is not a latitude`);
      if (!isNum(lon) || lon < -180 || lon > 180) p.push(`lon_${s} ${JSON.stringify(lon)} is not a longitude`);
    }
    const t = f[`time_${s}`];
    if (typeof t !== 'string' || !ISO_UTC.test(t)) p.push(`time_${s} ${JSON.stringify(t)} is not ISO-8601 UTC`);
    if (typeof f[`msisdn_${s}`] !== 'string') p.push(`msisdn_${s} is not a string ("" when empty)`);
    if (typeof f[`record_${s}`] !== 'string' || f[`record_${s}`] === '') p.push(`record_${s} is empty`);
    if (typeof f[`imsi_${s}`] !== 'string' || !/^\d{6,15}$/.test(f[`imsi_${s}`] as string)) p.push(`imsi_${s} is not an IMSI`);
  }
  if (!RULE_NAMES.includes(f.rule as string)) p.push(`rule ${JSON.stringify(f.rule)} unknown`);
  if (ONE_CDR_RULES.includes(f.rule as string)) {
    if (f.record_a !== f.record_b || f.imsi_a !== f.imsi_b) p.push(`${String(f.rule)} has one CDR of evidence: b must repeat a`);
  } else if (f.imsi_a === f.imsi_b) p.push('imsi_a equals imsi_b');
  if (f.rule === 'shared_imei' && (!Number.isInteger(f.imsi_count) || (f.imsi_count as number) < 2)) p.push(`shared_imei imsi_count ${JSON.stringify(f.imsi_count)} is not a count >= 2`);
  if (f.rule === 'inconsistent_rat' && (typeof f.radio !== 'string' || typeof f.tac_radios !== 'string' || (f.tac_radios as string).split('|').includes(f.radio as string)))
    p.push(`inconsistent_rat radio ${JSON.stringify(f.radio)} / tac_radios ${JSON.stringify(f.tac_radios)} do not disagree`);
  if (typeof f.time_a === 'string' && typeof f.time_b === 'string' && Date.parse(f.time_a) > Date.parse(f.time_b))
    p.push('time_a is after time_b (a must be the one that starts first)');
  if (!isNum(f.gap_s) || f.gap_s < 0) p.push(`gap_s ${JSON.stringify(f.gap_s)} is not a number >= 0`);
  if (!isNum(f.overlap_s) || f.overlap_s < 0) p.push(`overlap_s ${JSON.stringify(f.overlap_s)} is not a number >= 0`);
  if (f.distance_km !== null && (!isNum(f.distance_km) || f.distance_km < 0)) p.push(`distance_km ${JSON.stringify(f.distance_km)} invalid`);
  // A pair rule's speed is > 0 when defined; shared_imei's two CDRs may be on one cell (0 km/h).
  if (f.speed_kmh !== null && (!isNum(f.speed_kmh) || f.speed_kmh < 0 || (f.speed_kmh === 0 && f.rule !== 'shared_imei'))) p.push(`speed_kmh ${JSON.stringify(f.speed_kmh)} invalid`);
  if (f.gap_s === 0 && f.speed_kmh !== null) p.push('gap_s is 0 but speed_kmh is not null');
  if (f.rule === 'time_distance') {
    if (f.distance_km === null) p.push('time_distance finding without distance_km');
    if (f.gap_s !== 0 && f.speed_kmh === null) p.push('time_distance finding with gap > 0 but no speed');
  }
  if (!isStrArray(f.exempt_imsis)) p.push('exempt_imsis is not an array of strings');
  else if (f.exempt_imsis.some((i) => i !== f.imsi_a && i !== f.imsi_b)) p.push('exempt_imsis holds an IMSI outside the pair');
  if (typeof f.detected_at !== 'string' || !ISO_UTC.test(f.detected_at)) p.push(`detected_at ${JSON.stringify(f.detected_at)} is not ISO-8601 UTC`);
  if (typeof f.finding_id !== 'string' || f.finding_id === '') p.push('finding_id is empty');
  return p;
}

export function candidateProblems(c: Obj): string[] {
  const p = missing(c, CANDIDATE_FIELDS);
  if (typeof c.imei !== 'string' || !/^\d{14}$/.test(c.imei)) p.push(`imei ${JSON.stringify(c.imei)} is not a 14-digit key`);
  if (!isStrArray(c.imsis) || c.imsis.length === 0) p.push('imsis is not a non-empty array of strings');
  if (!isStrArray(c.exempt_imsis)) p.push('exempt_imsis is not an array of strings');
  if (isStrArray(c.imsis) && (!Number.isInteger(c.imsi_count) || (c.imsi_count as number) < c.imsis.length || c.imsis.length > 1000))
    p.push(`imsi_count ${JSON.stringify(c.imsi_count)} does not count the ${c.imsis.length} listed IMSIs (at most 1,000 listed)`);
  if (isStrArray(c.imsis) && isStrArray(c.exempt_imsis) && c.imsis.some((i) => (c.exempt_imsis as string[]).includes(i)))
    p.push('an exempt IMSI is in imsis');
  if (!Array.isArray(c.rules) || c.rules.length === 0 || c.rules.some((r) => !RULE_NAMES.includes(r))) p.push(`rules ${JSON.stringify(c.rules)} invalid`);
  if (typeof c.first_evidence_at !== 'string' || !ISO_UTC.test(c.first_evidence_at)) p.push(`first_evidence_at ${JSON.stringify(c.first_evidence_at)} is not ISO-8601 UTC`);
  if (!Number.isInteger(c.findings) || (c.findings as number) < 1) p.push(`findings ${JSON.stringify(c.findings)} is not a count >= 1`);
  if (typeof c.emitted_at !== 'string' || !ISO_UTC.test(c.emitted_at)) p.push(`emitted_at ${JSON.stringify(c.emitted_at)} is not ISO-8601 UTC`);
  if (typeof c.likely_genuine_imsi !== 'string' || !/^\d{6,15}$/.test(c.likely_genuine_imsi)) p.push(`likely_genuine_imsi ${JSON.stringify(c.likely_genuine_imsi)} is not an IMSI`);
  if (c.likely_genuine_reason !== 'exception_list' && (isStrArray(c.exempt_imsis) ? c.exempt_imsis : []).length > 0) p.push('an exempt IMSI is on the candidate but likely_genuine_reason is not exception_list');
  if (!['exception_list', 'first_seen', 'most_traffic'].includes(c.likely_genuine_reason as string)) p.push(`likely_genuine_reason ${JSON.stringify(c.likely_genuine_reason)} unknown`);
  if (!isStrArray(c.notify_msisdns) || c.notify_msisdns.some((m) => !/^\d{6,15}$/.test(m))) p.push(`notify_msisdns ${JSON.stringify(c.notify_msisdns)} is not a list of MSISDN digits`);
  return p;
}

export function rejectProblems(r: Obj): string[] {
  const p = missing(r, REJECT_FIELDS);
  if (typeof r.source !== 'string' || r.source === '') p.push('source is empty');
  if (!Number.isInteger(r.line) || (r.line as number) < 1) p.push(`line ${JSON.stringify(r.line)} is not a line number`);
  if (!REJECT_REASONS.includes(r.reason as string)) p.push(`reason ${JSON.stringify(r.reason)} unknown`);
  if (typeof r.detail !== 'string') p.push('detail is not a string');
  if (typeof r.raw !== 'string') p.push('raw is not a string');
  return p;
}
