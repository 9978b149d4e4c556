import { describe, expect, it } from 'vitest';
import { comparePair, type RefCdr } from '../../bench/src/reference.js';

const LIMA = { lat: -12.0464, lon: -77.0428, rangeM: 1000 };
const CUSCO = { lat: -13.5319, lon: -71.9675, rangeM: 1000 };
const cdr = (startS: number, durS: number, cell: RefCdr['cell'] = LIMA, imsi = 'b'): RefCdr => ({ imeiKey: 'k', imsi, startMs: startS * 1000, endMs: (startS + durS) * 1000, cell });

describe('bench reference rules (SPEC)', () => {
  it('simultaneity needs more than 2 s of overlap', () => {
    expect(comparePair(cdr(0, 100), cdr(98, 10)).simultaneity).toBe(false); // 2 s
    expect(comparePair(cdr(0, 100), cdr(95, 10)).simultaneity).toBe(true); // 5 s
  });
  it('an SMS overlaps a call when more than 2 s inside it; two SMS never', () => {
    expect(comparePair(cdr(0, 100), cdr(50, 0)).simultaneity).toBe(true);
    expect(comparePair(cdr(0, 100), cdr(99, 0)).simultaneity).toBe(false);
    expect(comparePair(cdr(50, 0), cdr(50, 0)).simultaneity).toBe(false);
  });
  it('time_distance: Lima-Cusco ten minutes apart fires, two hours apart does not', () => {
    expect(comparePair(cdr(0, 60), cdr(660, 0, CUSCO)).timeDistance).toBe(true);
    expect(comparePair(cdr(0, 60), cdr(7260, 0, CUSCO)).timeDistance).toBe(false);
  });
  it('time_distance: gap 0 and >= 1 km fires; unknown cell or same cell never', () => {
    expect(comparePair(cdr(0, 60), cdr(30, 60, CUSCO)).timeDistance).toBe(true);
    expect(comparePair(cdr(0, 60), cdr(30, 60, null)).timeDistance).toBe(false);
    expect(comparePair(cdr(0, 60), cdr(30, 60, LIMA)).timeDistance).toBe(false);
  });
});
