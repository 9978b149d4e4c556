// The ClickHouse-SQL twin: SPEC's two rules and the exception list as one ClickHouse query, run by chDB
// straight over the generated CSV files. It is the peer an operator's engineer would build on ClickHouse:
// validate with regexes, drop late rows with a running max in file order, keep only IMEI keys that carry more
// than one IMSI, self-join those per key, and deduplicate per (IMEI key, IMSI pair, rule).
//
// Rejects are not reported row by row (the twin only has to exclude invalid rows), and a finding's
// evidence is the earliest-completing matching pair, not necessarily the pair the streaming engine saw first.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_RULES, type RuleParams } from './reference.js';

const lit = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Statement 1: the valid, on-time, deduplicated CDRs of IMEI keys with more than one IMSI, with cells and exemption. */
export function twinSql(dataDir: string, latenessS = 600, cdrGlob = 'cdrs/*.csv*'): string {
  const dir = path.resolve(dataDir);
  const cdrs = lit(path.join(dir, cdrGlob));
  const cells = lit(path.join(dir, 'cells.csv'));
  const exc = lit(path.join(dir, 'exceptions.csv'));
  return `
WITH
raw AS (
  SELECT _file AS f, _row_number AS rn, record_id, event_type, imei, imsi, msisdn, start_time, duration_s, radio, mcc, mnc, lac, ci,
    match(start_time, '^[0-9]{1,15}$') AS is_epoch
  FROM file(${cdrs}, 'CSVWithNames',
    'record_id String, event_type String, imei String, imsi String, msisdn String, start_time String, duration_s String, radio String, mcc String, mnc String, lac String, ci String')
),
valid AS (
  SELECT f, rn, record_id, imei, imsi, msisdn, radio, mcc, mnc, lac, ci,
    substring(imei, 1, 14) AS key,
    -- strict shape, a real calendar date and clock time (no roll-over), then ClickHouse's own parser for the
    -- zone (Z, +-hh:mm, or none = the configured -05:00, i.e. Etc/GMT+5)
    if(is_epoch, toInt64(start_time), toUnixTimestamp64Milli(parseDateTime64BestEffortOrZero(start_time, 3, 'Etc/GMT+5'))) AS s,
    s + toInt64(round(toFloat64OrZero(duration_s) * 1000)) AS e
  FROM raw
  WHERE lengthUTF8(record_id) BETWEEN 1 AND 64
    AND event_type IN ('voice_mo', 'voice_mt', 'sms_mo', 'sms_mt', 'data')
    AND match(imei, '^[0-9]{14,16}$') AND substring(imei, 1, 14) != '00000000000000'
    AND match(imsi, '^[0-9]{6,15}$')
    AND (msisdn = '' OR match(msisdn, '^[+]?[0-9]{6,15}$'))
    AND (is_epoch OR (match(start_time, '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})?$')
      AND parseDateTimeOrNull(concat(substring(start_time, 1, 10), ' ', substring(start_time, 12, 8)), '%Y-%m-%d %H:%i:%s', 'UTC') IS NOT NULL))
    AND match(duration_s, '^[0-9]+([.][0-9]+)?$') AND toFloat64(duration_s) <= 86400
    AND radio IN ('GSM', 'UMTS', 'LTE', 'NR')
    AND match(mcc, '^[0-9]+$') AND match(mnc, '^[0-9]+$') AND match(lac, '^[0-9]+$') AND match(ci, '^[0-9]+$')
),
-- late_record: more than the lateness behind the newest event time read so far (file order).
-- The window needs every valid row's time, but only rows of multi-IMSI keys carry their other columns
-- through the sort (the rest are blanked), which keeps the sort narrow.
ontime AS (
  SELECT f, rn, s, e, okey AS key, orid AS record_id, oimei AS imei, oimsi AS imsi, omsisdn AS msisdn,
    oradio AS radio, omcc AS mcc, omnc AS mnc, olac AS lac, oci AS ci
  FROM (
    SELECT *, max(s) OVER (ORDER BY f, rn ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS newest
    FROM (
      SELECT f, rn, s, e, key IN (SELECT key FROM multi) AS m,
        if(m, key, '') AS okey, if(m, record_id, '') AS orid, if(m, imei, '') AS oimei, if(m, imsi, '') AS oimsi,
        if(m, msisdn, '') AS omsisdn, if(m, radio, '') AS oradio, if(m, mcc, '') AS omcc, if(m, mnc, '') AS omnc,
        if(m, lac, '') AS olac, if(m, ci, '') AS oci
      FROM valid
    )
  ) WHERE m AND s >= newest - ${latenessS * 1000}
),
-- IMEI keys with more than one IMSI among valid rows (late rows included: a superset, so one scan without the window)
multi AS (SELECT key FROM valid GROUP BY key HAVING min(imsi) != max(imsi)),
cells AS (
  SELECT radio, toUInt64(mcc) AS mcc_n, toUInt64(net) AS mnc_n, toUInt64(area) AS lac_n, toUInt64(cell) AS ci_n,
    toFloat64(lat) AS clat, toFloat64(lon) AS clon,
    least(if(toFloat64OrZero(range) <= 0, 1000., toFloat64OrZero(range)), 10000.) AS range_m
  FROM file(${cells}, 'CSVWithNames', 'radio String, mcc String, net String, area String, cell String, lon String, lat String, range String')
  WHERE radio IN ('GSM', 'UMTS', 'LTE', 'NR') AND match(mcc, '^[0-9]+$') AND match(net, '^[0-9]+$') AND match(area, '^[0-9]+$') AND match(cell, '^[0-9]+$')
    AND toFloat64OrNull(lat) BETWEEN -90 AND 90 AND toFloat64OrNull(lon) BETWEEN -180 AND 180
),
exc AS (
  SELECT substring(imei, 1, 14) AS key, imsi, replaceOne(msisdn, '+', '') AS msd
  FROM file(${exc}, 'CSVWithNames', 'imei String, imsi String, msisdn String')
  WHERE match(imei, '^[0-9]{14,16}$') AND substring(imei, 1, 14) != '00000000000000'
    AND (imsi = '' OR match(imsi, '^[0-9]{6,15}$')) AND (msisdn = '' OR match(msisdn, '^[+]?[0-9]{6,15}$'))
    AND NOT (imsi = '' AND msisdn = '')
),
c AS (
  SELECT o.key AS key, o.imei AS imei, o.imsi AS imsi, o.record_id AS record_id, o.s AS s, o.e AS e,
    cl.clat AS lat, cl.clon AS lon, cl.range_m AS range_m, cl.clat IS NOT NULL AS known,
    (o.key, o.imsi) IN (SELECT key, imsi FROM exc WHERE imsi != '')
      OR (o.msisdn != '' AND (o.key, replaceOne(o.msisdn, '+', '')) IN (SELECT key, msd FROM exc WHERE msd != '')) AS exempt
  FROM (SELECT * FROM ontime ORDER BY f, rn LIMIT 1 BY record_id) AS o
  LEFT JOIN cells AS cl
    ON cl.radio = o.radio AND cl.mcc_n = toUInt64(o.mcc) AND cl.mnc_n = toUInt64(o.mnc) AND cl.lac_n = toUInt64(o.lac) AND cl.ci_n = toUInt64(o.ci)
  SETTINGS join_use_nulls = 1
)
SELECT * FROM c
SETTINGS input_format_skip_unknown_fields = 1, input_format_csv_allow_variable_number_of_columns = 1
`;
}

/** Statement 2: the rules over the materialized rows of multi-IMSI IMEI keys. */
export function twinRulesSql(p: RuleParams = DEFAULT_RULES): string {
  const tolMs = p.overlapToleranceS * 1000;
  return `
WITH
pairs AS (
  SELECT a.key AS key, a.imsi AS ia, b.imsi AS ib,
    a.s AS a_s, a.e AS a_e, b.s AS b_s, b.e AS b_e, a.record_id AS ra, b.record_id AS rb,
    multiIf(a_e = a_s AND b_e = b_s, -1,
            a_e = a_s, least(a_s - b_s, b_e - a_s),
            b_e = b_s, least(b_s - a_s, a_e - b_s),
            least(a_e, b_e) - greatest(a_s, b_s)) AS inside_ms,
    greatest(0, if(a_s <= b_s, b_s - a_e, a_s - b_e)) / 1000 AS gap_s,
    a.known AND b.known AS both_known,
    greatest(0, 2 * 6371.0088 * asin(sqrt(pow(sin(radians(b.lat - a.lat) / 2), 2) + cos(radians(a.lat)) * cos(radians(b.lat)) * pow(sin(radians(b.lon - a.lon) / 2), 2)))
      - (a.range_m + b.range_m) / 1000) AS dist_km,
    inside_ms > ${tolMs} AS sim,
    both_known AND gap_s <= ${p.windowS} AND dist_km >= ${p.minDistanceKm} AND (gap_s = 0 OR dist_km / (gap_s / 3600) > ${p.maxSpeedKmh}) AS td
  FROM c AS a INNER JOIN c AS b ON a.key = b.key
  WHERE a.imsi < b.imsi
),
hits AS (
  SELECT key, ia, ib, rule, a_s, a_e, b_s, b_e, ra, rb
  FROM pairs ARRAY JOIN [if(sim, 'simultaneity', ''), if(td, 'time_distance', '')] AS rule
  WHERE rule != ''
),
exempt_imsis AS (SELECT key, groupUniqArray(imsi) AS ex FROM c WHERE exempt GROUP BY key)
SELECT h.key AS imei, h.rule AS rule, h.ia AS imsi_a, h.ib AS imsi_b,
  argMin(tuple(h.ra, h.rb, h.a_s, h.b_s), greatest(h.a_s, h.b_s)) AS ev,
  arrayFilter(x -> x = h.ia OR x = h.ib, any(x.ex)) AS exempt_imsis
FROM hits AS h LEFT JOIN exempt_imsis AS x ON x.key = h.key
GROUP BY h.key, h.rule, h.ia, h.ib
ORDER BY imei, rule, imsi_a, imsi_b
`;
}

export interface TwinFinding {
  imei: string;
  rule: string;
  imsi_a: string;
  imsi_b: string;
  exempt_imsis: string[];
  record_a: string;
  record_b: string;
  time_a: string;
  time_b: string;
}

/** Runs the twin over a generated data directory and writes clones.ndjson and block-candidates.ndjson to outDir. */
export async function runTwin(dataDir: string, outDir: string): Promise<{ findings: number; candidates: number; queryS: number; multiImsiRows: number }> {
  const { Session } = await import('chdb');
  const session = new Session();
  const t0 = performance.now();
  let text: string;
  let multiImsiRows: number;
  try {
    session.query(`CREATE TABLE c ENGINE = Memory AS ${twinSql(dataDir)}`);
    multiImsiRows = Number(session.query('SELECT count() FROM c', 'CSV').trim());
    text = session.query(twinRulesSql(), 'JSONEachRow');
  } finally {
    session.cleanup();
  }
  const queryS = (performance.now() - t0) / 1000;
  const rows = text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { imei: string; rule: string; imsi_a: string; imsi_b: string; ev: [string, string, number | string, number | string]; exempt_imsis: string[] });
  const findings: TwinFinding[] = rows.map((r) => {
    const [ra, rb, as, bs] = r.ev;
    const aFirst = Number(as) <= Number(bs);
    return {
      imei: r.imei,
      rule: r.rule,
      imsi_a: aFirst ? r.imsi_a : r.imsi_b,
      imsi_b: aFirst ? r.imsi_b : r.imsi_a,
      exempt_imsis: r.exempt_imsis.slice().sort(),
      record_a: aFirst ? ra : rb,
      record_b: aFirst ? rb : ra,
      time_a: new Date(Math.min(Number(as), Number(bs))).toISOString(),
      time_b: new Date(Math.max(Number(as), Number(bs))).toISOString(),
    };
  });
  // Block candidates: per IMEI, the non-exempt IMSIs of its findings.
  const byImei = new Map<string, { imsis: Set<string>; exempt: Set<string>; rules: Set<string>; n: number }>();
  for (const f of findings) {
    let c = byImei.get(f.imei);
    if (!c) byImei.set(f.imei, (c = { imsis: new Set(), exempt: new Set(), rules: new Set(), n: 0 }));
    for (const x of [f.imsi_a, f.imsi_b]) (f.exempt_imsis.includes(x) ? c.exempt : c.imsis).add(x);
    c.rules.add(f.rule);
    c.n++;
  }
  const cands = [...byImei].filter(([, c]) => c.imsis.size > 0);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'clones.ndjson'), findings.map((f) => JSON.stringify({ ...f, gap_s: 0, overlap_s: 0 })).join('\n') + (findings.length ? '\n' : ''));
  fs.writeFileSync(
    path.join(outDir, 'block-candidates.ndjson'),
    cands.map(([imei, c]) => JSON.stringify({ imei, imsis: [...c.imsis].sort(), exempt_imsis: [...c.exempt].sort(), rules: [...c.rules].sort(), findings: c.n })).join('\n') + (cands.length ? '\n' : ''),
  );
  fs.writeFileSync(path.join(outDir, 'rejects.ndjson'), '');
  return { findings: findings.length, candidates: cands.length, queryS, multiImsiRows };
}
