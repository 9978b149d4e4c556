import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Cdr, RejectReason } from '../../src/domain/types.js';
import { CdrCsvParser } from '../../src/input/cdr-csv.js';
import { InputError } from '../../src/domain/errors.js';

const HEADER = 'record_id,event_type,imei,imsi,msisdn,start_time,duration_s,radio,mcc,mnc,lac,ci';
const ROW = (id: string) => `${id},voice_mo,356938035643809,716100000000001,51999000001,2026-03-01T10:00:00Z,60,LTE,716,10,100,1`;

function parse(text: string | Buffer, chunkSize = 0) {
  const records: Array<{ cdr: Cdr; line: number; raw: string }> = [];
  const rejects: Array<{ reason: RejectReason; line: number; raw: string }> = [];
  const p: CdrCsvParser = new CdrCsvParser('test.csv', -300, {
    record: (cdr, line) => records.push({ cdr, line, raw: p.currentRaw() }),
    reject: (reason, _d, line, raw) => rejects.push({ reason, line, raw }),
  });
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text);
  if (chunkSize > 0) for (let i = 0; i < buf.length; i += chunkSize) p.push(buf.subarray(i, i + chunkSize));
  else p.push(buf);
  p.end();
  return { records, rejects, rows: p.rows };
}

describe('CDR CSV reader', () => {
  it('reads rows with their physical line numbers', () => {
    const r = parse([HEADER, ROW('a'), '', ROW('b')].join('\n') + '\n');
    expect(r.records.map((x) => [x.cdr.recordId, x.line])).toEqual([
      ['a', 2],
      ['b', 4],
    ]);
  });

  it('skips a BOM, reads CRLF, and any column order with extra columns', () => {
    const text = '\uFEFFextra,ci,lac,mnc,mcc,radio,duration_s,start_time,msisdn,imsi,imei,event_type,record_id\r\nx,1,100,10,716,LTE,60,2026-03-01T10:00:00Z,,716100000000001,356938035643809,data,r1\r\n';
    const r = parse(text);
    expect(r.rejects).toEqual([]);
    expect(r.records[0].cdr).toMatchObject({ recordId: 'r1', eventType: 'data', msisdnLen: 0, ci: 1 });
  });

  it('reads quoted fields with commas, doubled quotes and newlines', () => {
    const text = `${HEADER}\n"r,1",voice_mo,356938035643809,716100000000001,"",2026-03-01T10:00:00Z,60,LTE,716,10,100,1\n"r""2\nx",voice_mo,356938035643809,716100000000001,,2026-03-01T10:00:00Z,60,LTE,716,10,100,1\n${ROW('c')}\n`;
    const r = parse(text);
    expect(r.rejects).toEqual([]);
    expect(r.records.map((x) => [x.cdr.recordId, x.line])).toEqual([
      ['r,1', 2],
      ['r"2\nx', 3],
      ['c', 5],
    ]);
  });

  it('gives the same result whatever the chunk boundaries', () => {
    const text = `\uFEFF${HEADER}\r\n"r,1",voice_mo,356938035643809,716100000000001,"",2026-03-01T10:00:00Z,60,LTE,716,10,100,1\r\n${ROW('b')}\r\nbad,row\r\n${ROW('c')}`;
    const whole = parse(text);
    for (const size of [1, 2, 3, 7, 64]) {
      const r = parse(text, size);
      expect(r.records.map((x) => [x.cdr.recordId, x.line])).toEqual(whole.records.map((x) => [x.cdr.recordId, x.line]));
      expect(r.rejects).toEqual(whole.rejects);
    }
  });

  it('rejects wrong field counts and broken quotes as malformed_row, one line each, and goes on', () => {
    const text = [HEADER, 'a,b,c', `"r1,voice_mo,356938035643809,716100000000001,,2026-03-01T10:00:00Z,60,LTE,716,10,100,1`, ROW('ok'), `${ROW('x')},extra`, `"r2"x,voice_mo,356938035643809,716100000000001,,2026-03-01T10:00:00Z,60,LTE,716,10,100,1`].join('\n');
    const r = parse(text);
    expect(r.rejects.map((x) => [x.reason, x.line])).toEqual([
      ['malformed_row', 2],
      ['malformed_row', 3],
      ['malformed_row', 5],
      ['malformed_row', 6],
    ]);
    expect(r.records.map((x) => [x.cdr.recordId, x.line])).toEqual([['ok', 4]]);
    expect(r.rows).toBe(5);
  });

  it('keeps the raw text of rejects and of accepted rows', () => {
    const r = parse(`${HEADER}\n${ROW('a')}\nr2,fax,1,2,3,4,5,6,7,8,9,10\n`);
    expect(r.records[0].raw).toBe(ROW('a'));
    expect(r.rejects[0]).toEqual({ reason: 'invalid_event_type', line: 3, raw: 'r2,fax,1,2,3,4,5,6,7,8,9,10' });
  });

  it('a header without the CDR fields is an input error', () => {
    expect(() => parse('a,b,c\n1,2,3\n')).toThrow(InputError);
    expect(() => parse('a,b,c\n1,2,3\n')).toThrow(/lacks column\(s\) record_id/);
  });

  it('never throws on arbitrary bytes after a valid header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 1, max: 50 }), (bytes, chunk) => {
        const buf = Buffer.concat([Buffer.from(HEADER + '\n'), Buffer.from(bytes)]);
        const r = parse(buf, chunk);
        // Every non-blank physical row ends as a record or a reject.
        expect(r.records.length + r.rejects.length).toBe(r.rows);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws anything but an InputError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          parse(Buffer.from(bytes));
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
