import type { Finding } from '../domain/types.js';

/**
 * What one IMEI key's findings say about its evidence CDRs, cells and IMSIs: the model the explain page
 * draws. Pure: findings in, model out.
 *
 * Findings keep each CDR's start but not its duration. What they do pin down (a starts first):
 * - the overlap of a and b is exactly [start_b, start_b + overlap_s];
 * - when gap_s > 0, a ended exactly at start_b - gap_s;
 * - otherwise a lasted at least until start_b + overlap_s, and b at least overlap_s.
 * A bar on the timeline is the part of a CDR's interval that its findings prove (`endExact` says whether
 * its end is known); the CDR may have lasted longer. No duration is guessed.
 */

export interface EvidenceCdr {
  record: string;
  imsi: string;
  msisdn: string;
  imeiReported: string;
  startMs: number;
  /** End of the proven part of the interval. */
  knownEndMs: number;
  /** True when a finding fixes the end (a gap after it), false when the CDR may have lasted longer. */
  endExact: boolean;
  cell: string | null;
  lat: number | null;
  lon: number | null;
  findingIds: string[];
}

export interface Lane {
  imsi: string;
  msisdns: string[];
  exempt: boolean;
}

/** A stretch of time when two IMSIs used the IMEI at once (simultaneity evidence, or any overlap). */
export interface Overlap {
  findingId: string;
  rule: string;
  startMs: number;
  endMs: number;
  imsiA: string;
  imsiB: string;
}

/** The time between a's end and b's start (time-distance evidence). */
export interface Gap {
  findingId: string;
  rule: string;
  fromMs: number;
  toMs: number;
  imsiA: string;
  imsiB: string;
}

export interface EvidenceCell {
  id: string;
  lat: number;
  lon: number;
  imsis: string[];
  records: string[];
}

export interface EvidenceModel {
  lanes: Lane[];
  cdrs: EvidenceCdr[];
  overlaps: Overlap[];
  gaps: Gap[];
  /** Evidence cells with a known position, in order of first use. */
  cells: EvidenceCell[];
  /** Evidence CDRs whose cell is not in the catalogue (no position). */
  unknownCellRecords: string[];
  startMs: number;
  endMs: number;
}

export function evidenceModel(findings: readonly Finding[]): EvidenceModel {
  const cdrs = new Map<string, EvidenceCdr>();
  const exempt = new Set<string>();
  const overlaps: Overlap[] = [];
  const gaps: Gap[] = [];
  const sorted = [...findings].sort((x, y) => Date.parse(x.time_a) - Date.parse(y.time_a) || x.finding_id.localeCompare(y.finding_id));

  const note = (f: Finding, side: 'a' | 'b', knownEndMs: number, exact: boolean) => {
    const record = side === 'a' ? f.record_a : f.record_b;
    const startMs = Date.parse(side === 'a' ? f.time_a : f.time_b);
    let c = cdrs.get(record);
    if (!c) {
      c = {
        record,
        imsi: side === 'a' ? f.imsi_a : f.imsi_b,
        msisdn: side === 'a' ? f.msisdn_a : f.msisdn_b,
        imeiReported: side === 'a' ? f.imei_reported_a : f.imei_reported_b,
        startMs,
        knownEndMs: startMs,
        endExact: false,
        cell: side === 'a' ? f.cell_a : f.cell_b,
        lat: side === 'a' ? f.lat_a : f.lat_b,
        lon: side === 'a' ? f.lon_a : f.lon_b,
        findingIds: [],
      };
      cdrs.set(record, c);
    }
    if (!c.findingIds.includes(f.finding_id)) c.findingIds.push(f.finding_id);
    if (exact) {
      c.knownEndMs = knownEndMs;
      c.endExact = true;
    } else if (!c.endExact) {
      c.knownEndMs = Math.max(c.knownEndMs, knownEndMs);
    }
  };

  for (const f of sorted) {
    for (const imsi of f.exempt_imsis) exempt.add(imsi);
    const startA = Date.parse(f.time_a);
    const startB = Date.parse(f.time_b);
    const overlapMs = Math.round(f.overlap_s * 1000);
    const gapMs = Math.round(f.gap_s * 1000);
    if (f.record_a === f.record_b) {
      // A criterion with one CDR of evidence (b repeats a): only its start is known.
      note(f, 'a', startA, false);
      continue;
    }
    if (gapMs > 0) note(f, 'a', startB - gapMs, true);
    else note(f, 'a', startB + overlapMs, false);
    note(f, 'b', startB + overlapMs, false);
    if (overlapMs > 0 || f.rule === 'simultaneity') {
      overlaps.push({ findingId: f.finding_id, rule: f.rule, startMs: startB, endMs: startB + overlapMs, imsiA: f.imsi_a, imsiB: f.imsi_b });
    }
    if (gapMs > 0) {
      gaps.push({ findingId: f.finding_id, rule: f.rule, fromMs: startB - gapMs, toMs: startB, imsiA: f.imsi_a, imsiB: f.imsi_b });
    }
  }

  const list = [...cdrs.values()].sort((x, y) => x.startMs - y.startMs || x.record.localeCompare(y.record));
  const lanes: Lane[] = [];
  const laneOf = new Map<string, Lane>();
  const cells: EvidenceCell[] = [];
  const cellOf = new Map<string, EvidenceCell>();
  const unknownCellRecords: string[] = [];
  for (const c of list) {
    let lane = laneOf.get(c.imsi);
    if (!lane) {
      lane = { imsi: c.imsi, msisdns: [], exempt: exempt.has(c.imsi) };
      laneOf.set(c.imsi, lane);
      lanes.push(lane);
    }
    if (c.msisdn !== '' && !lane.msisdns.includes(c.msisdn)) lane.msisdns.push(c.msisdn);
    if (c.cell === null || c.lat === null || c.lon === null) {
      unknownCellRecords.push(c.record);
      continue;
    }
    let cell = cellOf.get(c.cell);
    if (!cell) {
      cell = { id: c.cell, lat: c.lat, lon: c.lon, imsis: [], records: [] };
      cellOf.set(c.cell, cell);
      cells.push(cell);
    }
    if (!cell.imsis.includes(c.imsi)) cell.imsis.push(c.imsi);
    cell.records.push(c.record);
  }
  const startMs = list.length ? Math.min(...list.map((c) => c.startMs)) : 0;
  const endMs = list.length ? Math.max(...list.map((c) => c.knownEndMs)) : 0;
  return { lanes, cdrs: list, overlaps, gaps, cells, unknownCellRecords, startMs, endMs };
}
