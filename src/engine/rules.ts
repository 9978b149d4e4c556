import type { CellSite, Rule } from '../domain/types.js';
import { effectiveDistanceKm } from '../geo/distance.js';

/** A CDR as the rules see it: its interval in ms and its cell (null when not in the catalogue). */
export interface RuleCdr {
  startMs: number;
  endMs: number;
  cell: CellSite | null;
}

export interface RuleThresholds {
  overlapToleranceMs: number;
  windowMs: number;
  minDistanceKm: number;
  maxSpeedKmh: number;
}

/** Measures of a pair of CDRs, `a` starting no later than `b`. */
export interface PairMeasures {
  overlapS: number;
  gapS: number;
  gapMs: number;
  distanceKm: number | null;
  speedKmh: number | null;
}

/**
 * Art. 22(a) simultaneity: the intervals overlap by more than the tolerance. A zero-length CDR (an SMS)
 * overlaps a call or session when its instant lies more than the tolerance inside it; two zero-length
 * CDRs never overlap. Requires a.startMs <= b.startMs.
 */
export function isSimultaneous(a: RuleCdr, b: RuleCdr, tolMs: number): boolean {
  const aZero = a.endMs === a.startMs;
  const bZero = b.endMs === b.startMs;
  if (aZero && bZero) return false;
  if (aZero) return a.startMs - b.startMs > tolMs && b.endMs - a.startMs > tolMs;
  if (bZero) return b.startMs - a.startMs > tolMs && a.endMs - b.startMs > tolMs;
  return Math.min(a.endMs, b.endMs) - Math.max(a.startMs, b.startMs) > tolMs;
}

/** Overlap, gap, effective distance and implied speed of a pair (a starts first). */
export function measurePair(a: RuleCdr, b: RuleCdr): PairMeasures {
  const overlapMs = Math.max(0, Math.min(a.endMs, b.endMs) - Math.max(a.startMs, b.startMs));
  const gapMs = Math.max(0, b.startMs - a.endMs);
  let distanceKm: number | null = null;
  let speedKmh: number | null = null;
  if (a.cell && b.cell) {
    distanceKm = effectiveDistanceKm(a.cell, b.cell);
    speedKmh = gapMs > 0 ? distanceKm / (gapMs / 3_600_000) : null;
  }
  return { overlapS: overlapMs / 1000, gapS: gapMs / 1000, gapMs, distanceKm, speedKmh };
}

/**
 * Art. 22(b) time-distance conflict: both cells known, gap <= window, effective distance >= the minimum,
 * and implied speed above the maximum (gap 0 = infinitely fast).
 */
export function isTimeDistanceConflict(m: PairMeasures, t: RuleThresholds): boolean {
  if (m.distanceKm === null) return false;
  if (m.gapMs > t.windowMs) return false;
  if (m.distanceKm < t.minDistanceKm) return false;
  return m.speedKmh === null || m.speedKmh > t.maxSpeedKmh;
}

/** The rules that fire for a pair (a starts first), in a fixed order. */
export function firedRules(a: RuleCdr, b: RuleCdr, t: RuleThresholds, m: PairMeasures): Rule[] {
  const out: Rule[] = [];
  if (isSimultaneous(a, b, t.overlapToleranceMs)) out.push('simultaneity');
  if (isTimeDistanceConflict(m, t)) out.push('time_distance');
  return out;
}
