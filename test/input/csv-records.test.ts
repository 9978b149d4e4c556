// The one RFC 4180 implementation: CsvRecordSplitter (replay, reference files) over QuotedRecordParser,
// which the CDR reader also uses for quoted lines.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvRecordSplitter, QuotedRecordParser, type CsvRecord } from '../../src/input/csv-records.js';

function split(text: string | Buffer, chunkSizes: number[] = []): CsvRecord[] {
  const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const s = new CsvRecordSplitter();
  const out: CsvRecord[] = [];
  let pos = 0;
  for (const n of chunkSizes) {
    if (pos >= buf.length) break;
    out.push(...s.push(buf.subarray(pos, pos + n)));
    pos += n;
  }
  out.push(...s.push(buf.subarray(pos), true));
  return out;
}

const quote = (f: string) => (/[",\r\n]/.test(f) || f === '' ? `"${f.replace(/"/g, '""')}"` : f);

describe('CsvRecordSplitter', () => {
  it('reads quoted fields with "" escapes, commas and line breaks inside, CRLF, a BOM, and counts physical lines', () => {
    const text = '\uFEFFa,b,c\r\n1,"x, ""y""",3\r\n\r\n"multi\nline",2,3\n4,5,6';
    expect(split(text).map((r) => [r.line, r.fields])).toEqual([
      [1, ['a', 'b', 'c']],
      [2, ['1', 'x, "y"', '3']],
      [4, ['multi\nline', '2', '3']],
      [6, ['4', '5', '6']],
    ]);
  });

  it('a quote that never closes costs only its physical line', () => {
    const r = split('a,b\n"open,1\n2,3\n');
    expect(r.map((x) => [x.line, x.broken, x.fields])).toEqual([
      [1, false, ['a', 'b']],
      [2, true, null],
      [3, false, ['2', '3']],
    ]);
    expect(r[1].raw).toBe('"open,1');
  });

  it('a multi-line quoted record of the wrong width is broken on its first line, and reading goes on', () => {
    const r = split('a,b\n"x\ny",1,2\n3,4\n');
    expect(r.map((x) => [x.line, x.broken])).toEqual([
      [1, false],
      [2, true],
      [3, false],
      [4, false],
    ]);
  });

  it('text after a closing quote is broken; a quote inside an unquoted field is literal', () => {
    expect(split('a,b\n"x"y,1\nx"y,2\n').map((x) => x.fields)).toEqual([['a', 'b'], null, ['x"y', '2']]);
  });

  it('gives the same records however the bytes are cut into chunks (multi-byte characters included)', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'ñ', '€', ',', '"', '\n', '\r\n', ' ', '1'), maxLength: 8 });
    fc.assert(
      fc.property(fc.array(fc.array(field, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 7 }), { maxLength: 40 }), (rows, cuts) => {
        const text = rows.map((r) => r.map(quote).join(',')).join('\r\n') + '\r\n';
        const whole = split(text);
        expect(whole.map((r) => r.fields)).toEqual(rows);
        expect(split(text, cuts)).toEqual(whole);
      }),
    );
  });
});

describe('QuotedRecordParser', () => {
  it('asks for more data while a quoted field is open, and says broken at the end of data', () => {
    const q = new QuotedRecordParser();
    expect(q.parse(Buffer.from('"abc'), 0, false)).toBe('more');
    expect(q.parse(Buffer.from('"abc'), 0, true)).toBe('broken');
    const r = q.parse(Buffer.from('"a""b",c\r\nnext'), 0, false);
    expect(r).toEqual({ count: 2, next: 10, end: 8, newlines: 0 });
    expect(q.fields(2)).toEqual(['a"b', 'c']);
  });
});
