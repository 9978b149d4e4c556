import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imeiKeyArg } from '../../src/cli/explain.js';
import { parseRange } from '../../src/cli/report.js';
import { runCli, tempDir } from '../helpers/cli.js';

// explain/report arguments: a bad one is one line on stderr and exit 2, before any store is opened.

describe('explain and report arguments', () => {
  it('an IMEI argument is keyed by its first 14 digits', () => {
    expect(imeiKeyArg('356938035643809')).toBe('35693803564380');
    expect(imeiKeyArg('3569380356438012')).toBe('35693803564380');
    expect(() => imeiKeyArg('3569380356438')).toThrow(/14, 15 or 16 digits/);
    expect(() => imeiKeyArg('35693803564380x')).toThrow(/14, 15 or 16 digits/);
    expect(() => imeiKeyArg('000000000000009')).toThrow(/all-zero key/);
  });

  it('--from/--to are inclusive UTC days; impossible dates and reversed ranges are refused', () => {
    expect(parseRange('2026-11-23', '2026-11-24')).toEqual({ fromMs: Date.UTC(2026, 10, 23), toMs: Date.UTC(2026, 10, 25) });
    expect(parseRange(undefined, undefined)).toEqual({ fromMs: null, toMs: null });
    expect(() => parseRange('2026-02-30', undefined)).toThrow(/--from needs a date YYYY-MM-DD/);
    expect(() => parseRange(undefined, '23/11/2026')).toThrow(/--to needs a date/);
    expect(() => parseRange('2026-11-25', '2026-11-24')).toThrow(/after --to/);
  });

  const cases: [string, string[], RegExp, number][] = [
    ['explain without an IMEI', ['explain'], /explain needs an IMEI/, 2],
    ['explain with a malformed IMEI', ['explain', '12ab'], /14, 15 or 16 digits/, 2],
    ['explain with a bad --max-findings', ['explain', '356938035643809', '--max-findings', '0'], /--max-findings needs a whole number >= 1/, 2],
    ['report without --out', ['report'], /report needs --out/, 2],
    ['report with a bad date', ['report', '--out', 'x', '--from', '2026-13-01'], /--from needs a date/, 2],
    ['report with an unknown flag', ['report', '--out', 'x', '--since', '2026-01-01'], /Unknown option '--since'/, 2],
  ];
  for (const [name, args, message, code] of cases) {
    it(name, async () => {
      const r = await runCli(args);
      expect(r.code).toBe(code);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    });
  }

  it('a store that does not exist: one line, exit 2 (an unusable --clickhouse), nothing created', async () => {
    const dir = join(tempDir(), 'no-store');
    const r = await runCli(['report', '--clickhouse', dir, '--out', join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no ClickHouse data in .*run clonewatch detect first/);
    expect(existsSync(dir)).toBe(false);
  });

  it('--help of each lists its flags, and the top-level help lists both', async () => {
    expect((await runCli(['explain', '--help'])).stdout).toMatch(/--cells <file>[\s\S]*--out <file.html>/);
    expect((await runCli(['report', '--help'])).stdout).toMatch(/--from <YYYY-MM-DD>[\s\S]*candidates.csv/);
    const top = (await runCli(['--help'])).stdout;
    expect(top).toContain('clonewatch explain <imei>');
    expect(top).toContain('clonewatch report');
  });
});
