// The batches a parse worker sends: the catalogue's answer for the cells of the CDRs the main thread does not
// match is asked for the whole batch at once (markCellStatus), and must be what status() says of each.
import { describe, expect, it } from 'vitest';
import { CellCatalogue } from '../../src/input/cell-catalogue.js';
import { CELL_AMBIGUOUS, CELL_KNOWN, CELL_UNKNOWN } from '../../src/domain/lookups.js';
import { batchStartMs, ParsedBatchBuilder, ROW_CELL_SHIFT, ROW_ID_CHECK, ROW_MATCH } from '../../src/pipeline/parsed-batch.js';
import { blankCdr, type Radio } from '../../src/domain/types.js';

describe('ParsedBatchBuilder.markCellStatus', () => {
  it("adds each unmatched CDR's cell status to its flags and leaves matched CDRs as they were", () => {
    const site = (radio: Radio, lac: number, ci: number) => ({ radio, mcc: 716, mnc: 10, lac, ci, lat: -12, lon: -77, rangeM: 1000 });
    const cat = new CellCatalogue([site('LTE', 100, 5), site('GSM', 101, 6), site('UMTS', 51, 300 * 65536 + 7001), site('UMTS', 51, 301 * 65536 + 7001)]);
    const rows: Array<{ radio: Radio; lac: number; ci: number; flags: number; want: number }> = [
      { radio: 'LTE', lac: 100, ci: 5, flags: 0, want: CELL_KNOWN << ROW_CELL_SHIFT },
      { radio: 'GSM', lac: 101, ci: 6, flags: ROW_ID_CHECK, want: ROW_ID_CHECK | (CELL_KNOWN << ROW_CELL_SHIFT) },
      { radio: 'NR', lac: 100, ci: 5, flags: 0, want: CELL_UNKNOWN << ROW_CELL_SHIFT },
      { radio: 'UMTS', lac: 51, ci: 7001, flags: 0, want: CELL_AMBIGUOUS << ROW_CELL_SHIFT },
      // Matched: the main thread looks its cell up itself; its flags stay as given.
      { radio: 'NR', lac: 1, ci: 1, flags: ROW_MATCH, want: ROW_MATCH },
      { radio: 'LTE', lac: 100, ci: 5, flags: ROW_MATCH | ROW_ID_CHECK, want: ROW_MATCH | ROW_ID_CHECK },
    ];
    const builder = new ParsedBatchBuilder(2);
    const raw = Buffer.from('x'.repeat(64));
    rows.forEach((r, i) => {
      const cdr = { ...blankCdr(), radio: r.radio, mcc: 716, mnc: 10, lac: r.lac, ci: r.ci, startMs: 1_780_000_000_000 + i, recordId: `r${i}` };
      builder.addCdr(cdr, i + 2, raw, i, i + 1, r.flags, `r${i}`);
    });
    builder.markCellStatus(CellCatalogue.fromKeys(cat.sharedKeys()));
    const b = builder.take();
    expect(b.nCdrs).toBe(rows.length);
    rows.forEach((r, i) => {
      expect(b.flags[i], `row ${i}`).toBe(r.want);
      expect(batchStartMs(b, i)).toBe(1_780_000_000_000 + i);
    });
  });
});
