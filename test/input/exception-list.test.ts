// The exception list's rejects carry physical line numbers (SPEC Output 3): blank lines and the lines of a
// multi-line quoted row count, like the CDR reader's; gzip is recognised by its magic bytes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ExceptionList, loadExceptionList } from '../../src/input/exception-list.js';

const dir = mkdtempSync(join(tmpdir(), 'clonewatch-exc-'));

const TEXT = [
  'imei,imsi,msisdn', // 1
  '35900011111111,716170000000001,', // 2
  '', // 3
  '35900022222222,"7161700', // 4: a quoted field over two lines (an IMSI with a line break: bad)
  '00000002",', // 5
  '', // 6
  '', // 7
  '12345,716170000000003,', // 8
  '"35900033333333",,"+51911111111"', // 9
  '35900044444444,,', // 10
].join('\n');

describe('exception list', () => {
  it('gives rejects with physical line numbers (blank lines and multi-line rows counted)', async () => {
    const p = join(dir, 'exceptions.csv');
    writeFileSync(p, TEXT);
    const { list, rejects } = await loadExceptionList(p);
    expect(rejects.map((r) => [r.line, r.reason])).toEqual([
      [4, 'invalid_exception'],
      [8, 'invalid_exception'],
      [10, 'invalid_exception'],
    ]);
    expect(list.isExempt('35900011111111', '716170000000001', '')).toBe(true);
    expect(list.isExempt('35900033333333', '716179999999999', '51911111111')).toBe(true);
    // One listed key for a JIT warm-up (pipeline/batch-admitter.ts), and none from an empty list.
    const k = list.someKeyNumber();
    expect(k === undefined ? false : list.hasKeyNumber(k)).toBe(true);
    expect(ExceptionList.empty().someKeyNumber()).toBeUndefined();
  });

  it('reads a gzipped list whatever its name', async () => {
    const p = join(dir, 'exceptions-gz.csv');
    writeFileSync(p, gzipSync(TEXT));
    const { list, rejects } = await loadExceptionList(p);
    expect(rejects).toHaveLength(3);
    expect(list.listsImsi('35900011111111', '716170000000001')).toBe(true);
  });
});
