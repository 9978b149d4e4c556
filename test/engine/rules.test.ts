import { describe, expect, it } from 'vitest';
import { isSimultaneous, isTimeDistanceConflict, measurePair, type RuleCdr } from '../../src/engine/rules.js';

const c = (startS: number, durS: number, cell: RuleCdr['cell'] = null): RuleCdr => ({ startMs: startS * 1000, endMs: (startS + durS) * 1000, cell });
const lima = { id: 'LTE:716:10:100:1', lat: -12.05, lon: -77.03, rangeM: 500 };
const arequipa = { id: 'LTE:716:10:200:3', lat: -16.4, lon: -71.54, rangeM: 500 };
const callao = { id: 'LTE:716:10:100:4', lat: -12.05, lon: -77.14, rangeM: 500 };
const T = { overlapToleranceMs: 2000, windowMs: 7_200_000, minDistanceKm: 1, maxSpeedKmh: 900 };

describe('simultaneity (Art. 22 a)', () => {
  it.each([
    ['calls overlapping 60 s', c(0, 120), c(60, 60), true],
    ['overlap of exactly the tolerance is not enough', c(0, 10), c(8, 10), false],
    ['overlap just above the tolerance', c(0, 10), c(7.9, 10), true],
    ['back to back calls', c(0, 60), c(60, 60), false],
    ['SMS more than 2 s inside a call', c(0, 60), c(30, 0), true],
    ['SMS 2 s after the call starts', c(0, 60), c(2, 0), false],
    ['SMS 1 s before the call ends', c(0, 60), c(59, 0), false],
    ['two SMS at the same instant', c(0, 0), c(0, 0), false],
    ['SMS at the same instant a call starts', c(0, 0), c(0, 60), false],
  ])('%s', (_name, a, b, expected) => {
    expect(isSimultaneous(a, b, 2000)).toBe(expected);
  });
});

describe('time_distance (Art. 22 b)', () => {
  it('Lima then Arequipa five minutes later is impossible', () => {
    const m = measurePair(c(0, 60, lima), c(360, 10, arequipa));
    expect(m.gapS).toBe(300);
    expect(m.distanceKm).toBeGreaterThan(760);
    expect(m.distanceKm).toBeLessThan(770);
    expect(m.speedKmh).toBeGreaterThan(9000);
    expect(isTimeDistanceConflict(m, T)).toBe(true);
  });

  it('Lima then Arequipa after a 1.5 h flight is possible', () => {
    const m = measurePair(c(0, 60, lima), c(60 + 5400, 10, arequipa));
    expect(m.speedKmh).toBeLessThan(900);
    expect(isTimeDistanceConflict(m, T)).toBe(false);
  });

  it('gap longer than the window never fires', () => {
    const m = measurePair(c(0, 0, lima), c(7201, 0, arequipa));
    expect(isTimeDistanceConflict(m, T)).toBe(false);
  });

  it('overlapping CDRs far apart are infinitely fast: speed null', () => {
    const m = measurePair(c(0, 120, lima), c(60, 60, callao));
    expect(m.gapS).toBe(0);
    expect(m.speedKmh).toBeNull();
    expect(isTimeDistanceConflict(m, T)).toBe(true);
  });

  it('ranges are subtracted from the distance', () => {
    const wide = { ...callao, rangeM: 10000 };
    const m = measurePair(c(0, 0, { ...lima, rangeM: 2000 }), c(1, 0, wide));
    expect(m.distanceKm).toBe(0);
    expect(isTimeDistanceConflict(m, T)).toBe(false);
  });

  it('an unknown cell gives no distance and no conflict', () => {
    const m = measurePair(c(0, 0, lima), c(60, 0, null));
    expect(m.distanceKm).toBeNull();
    expect(isTimeDistanceConflict(m, T)).toBe(false);
  });

  it('same cell at the same time is below minDistanceKm', () => {
    const m = measurePair(c(0, 60, lima), c(10, 60, lima));
    expect(m.distanceKm).toBe(0);
    expect(isTimeDistanceConflict(m, T)).toBe(false);
  });
});
