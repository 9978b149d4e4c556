import { describe, expect, it } from 'vitest';
import { thousands } from '../../src/cli/common.js';

describe('thousands (the summary counts)', () => {
  it('writes what toLocaleString("en-US") writes, for every digit count and sign', () => {
    const values = [0, 1, -1, 12, 999, 1000, -1000, 1001, 12345, 999999, 1000000, 1234567, -7654321, 1013262, 2 ** 31, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
    for (let p = 1; p < 1e15; p *= 10) values.push(p, p - 1, p + 1, 7 * p + 3);
    for (const n of values) expect(thousands(n), String(n)).toBe(n.toLocaleString('en-US'));
  });

  it('leaves fractions and values beyond safe integers to toLocaleString', () => {
    for (const n of [1234.5678, -0.5, 2 ** 60, Infinity, NaN]) expect(thousands(n)).toBe(n.toLocaleString('en-US'));
  });
});
