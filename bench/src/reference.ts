// SPEC's two rules, written plainly for the generator's ground truth. The generator runs them over every
// planted device (a few dozen CDRs each) so the truth is what the rules say, not what we meant to plant, and
// it redraws any device with a pair close to a threshold, so float details cannot flip an answer.

import { haversineKm } from './geo.js';

export interface RuleParams {
  overlapToleranceS: number;
  windowS: number;
  minDistanceKm: number;
  maxSpeedKmh: number;
}

export const DEFAULT_RULES: RuleParams = { overlapToleranceS: 2, windowS: 7200, minDistanceKm: 1, maxSpeedKmh: 900 };

export interface RefCdr {
  imeiKey: string;
  imsi: string;
  startMs: number;
  endMs: number;
  /** null when the engine does not know the cell. */
  cell: { lat: number; lon: number; rangeM: number } | null;
}

export type RuleName = 'simultaneity' | 'time_distance';

export interface PairOutcome {
  simultaneity: boolean;
  timeDistance: boolean;
  /** Some quantity lies too close to a threshold for the answer to be robust. */
  ambiguous: boolean;
}

export function comparePair(a: RefCdr, b: RefCdr, p: RuleParams = DEFAULT_RULES): PairOutcome {
  const tolMs = p.overlapToleranceS * 1000;
  let ambiguous = false;
  let sim = false;
  const aZero = a.endMs === a.startMs;
  const bZero = b.endMs === b.startMs;
  let inside: number | null = null;
  if (aZero && bZero) inside = null;
  else if (aZero) inside = Math.min(a.startMs - b.startMs, b.endMs - a.startMs);
  else if (bZero) inside = Math.min(b.startMs - a.startMs, a.endMs - b.startMs);
  else inside = Math.min(a.endMs, b.endMs) - Math.max(a.startMs, b.startMs);
  if (inside !== null) {
    sim = inside > tolMs;
    if (Math.abs(inside - tolMs) < 1000) ambiguous = true;
  }

  let td = false;
  if (a.cell && b.cell) {
    const [e, l] = a.startMs <= b.startMs ? [a, b] : [b, a];
    const gapS = Math.max(0, l.startMs - e.endMs) / 1000;
    const d = Math.max(0, haversineKm(a.cell.lat, a.cell.lon, b.cell.lat, b.cell.lon) - a.cell.rangeM / 1000 - b.cell.rangeM / 1000);
    const speed = gapS === 0 ? Infinity : d / (gapS / 3600);
    const fastEnough = speed > p.maxSpeedKmh;
    td = gapS <= p.windowS && d >= p.minDistanceKm && fastEnough;
    // Borderline only where the answer could flip.
    if (Math.abs(gapS - p.windowS) < 60 && d >= p.minDistanceKm && d / (p.windowS / 3600) > 0.97 * p.maxSpeedKmh) ambiguous = true;
    if (Math.abs(d - p.minDistanceKm) < 0.05 && gapS <= p.windowS && (gapS === 0 || speed > 0.97 * p.maxSpeedKmh)) ambiguous = true;
    if (gapS > 0 && gapS <= p.windowS + 60 && d >= p.minDistanceKm * 0.95 && Math.abs(speed - p.maxSpeedKmh) < 0.03 * p.maxSpeedKmh) ambiguous = true;
  }
  return { simultaneity: sim, timeDistance: td, ambiguous };
}

export interface RefFinding {
  imeiKey: string;
  /** Sorted pair. */
  imsis: [string, string];
  rule: RuleName;
}

/** All (IMEI key, IMSI pair, rule) triples the rules give over these CDRs, and whether any is borderline. */
export function referenceFindings(cdrs: readonly RefCdr[], p: RuleParams = DEFAULT_RULES): { findings: RefFinding[]; ambiguous: boolean } {
  const seen = new Map<string, RefFinding>();
  let ambiguous = false;
  for (let i = 0; i < cdrs.length; i++) {
    for (let j = i + 1; j < cdrs.length; j++) {
      const a = cdrs[i];
      const b = cdrs[j];
      if (a.imeiKey !== b.imeiKey || a.imsi === b.imsi) continue;
      const o = comparePair(a, b, p);
      if (o.ambiguous) ambiguous = true;
      const pair: [string, string] = a.imsi < b.imsi ? [a.imsi, b.imsi] : [b.imsi, a.imsi];
      for (const [rule, hit] of [
        ['simultaneity', o.simultaneity],
        ['time_distance', o.timeDistance],
      ] as const) {
        if (!hit) continue;
        const k = `${a.imeiKey}|${pair[0]}|${pair[1]}|${rule}`;
        if (!seen.has(k)) seen.set(k, { imeiKey: a.imeiKey, imsis: pair, rule });
      }
    }
  }
  return { findings: [...seen.values()], ambiguous };
}
