// The warm-up input of the parse workers: it is only worth its time if it takes the reader through every path
// the real input may take later (each one first seen later makes V8 compile the reader again).
import { describe, expect, it } from 'vitest';
import { CdrCsvParser } from '../../src/input/cdr-csv.js';
import { cellsOfCatalogue, csvWarmupFiles, warmupCatalogue } from '../../src/input/csv-warmup.js';
import { CellCatalogue } from '../../src/input/cell-catalogue.js';
import { CELL_AMBIGUOUS, CELL_KNOWN, CELL_UNKNOWN, RADIO_INDEX } from '../../src/domain/lookups.js';
import type { RejectReason } from '../../src/domain/types.js';

describe('csvWarmupFiles', () => {
  it('holds valid rows, every CDR reject reason, quoted and multi-line records, blank lines and CRLF', () => {
    const reasons = new Set<RejectReason>();
    let records = 0;
    let lines = 0;
    const files = csvWarmupFiles();
    expect(files.length).toBe(2);
    for (const chunks of files) {
      const p = new CdrCsvParser('warm-up', -300, { record: () => void records++, reject: (reason) => void reasons.add(reason) });
      for (const c of chunks) p.push(c);
      p.end();
      lines += p.lines;
    }
    const text = files.map((chunks) => Buffer.concat(chunks).toString()).join('');
    expect(text).toContain('\r\n');
    expect(text).toContain('""');
    expect(text).toMatch(/\n\r?\n/); // a blank line
    expect(records).toBeGreaterThan(500);
    expect([...reasons].sort()).toEqual(
      ['invalid_cell', 'invalid_duration', 'invalid_event_type', 'invalid_imei', 'invalid_imsi', 'invalid_msisdn', 'invalid_record_id', 'invalid_time', 'malformed_row', 'missing_field'].sort(),
    );
    // Multi-line quoted notes: more physical lines than records and rejects.
    expect(lines).toBeGreaterThan(records + reasons.size);
  });

  it('comes with a catalogue in which its rows find known, unknown, short-key and ambiguous cells', () => {
    // As the workers use it: rebuilt from its shared keys.
    const cat = CellCatalogue.fromKeys(warmupCatalogue().sharedKeys());
    const seen = new Map<number, number>();
    let byShortKey = 0;
    for (const chunks of csvWarmupFiles()) {
      const p = new CdrCsvParser('warm-up', -300, {
        record: (cdr) => {
          const st = cat.status(RADIO_INDEX[cdr.radio], cdr.mcc, cdr.mnc, cdr.lac, cdr.ci);
          seen.set(st, (seen.get(st) ?? 0) + 1);
          if (st === CELL_KNOWN && cdr.radio === 'UMTS' && cdr.ci < 65536 && warmupCatalogue().lookup('UMTS', cdr.mcc, cdr.mnc, cdr.lac, cdr.ci + 7 * 65536)) byShortKey++;
        },
        reject: () => undefined,
      });
      for (const c of chunks) p.push(c);
      p.end();
    }
    expect(seen.get(CELL_KNOWN)).toBeGreaterThan(100);
    expect(seen.get(CELL_UNKNOWN)).toBeGreaterThan(10);
    expect(seen.get(CELL_AMBIGUOUS)).toBeGreaterThan(0);
    expect(byShortKey).toBeGreaterThan(0);
  });
});

describe('cellsOfCatalogue (the main thread warms up with the run\'s own catalogue)', () => {
  const site = (radio: 'GSM' | 'UMTS' | 'LTE' | 'NR', lac: number, ci: number, lat: number) => ({ radio, mcc: 716, mnc: 10, lac, ci, lat, lon: -77, rangeM: 1000 });

  it('takes known cells spread over the catalogue, every fifth one a key it lacks, and an ambiguous short key', () => {
    const cells = Array.from({ length: 3000 }, (_, i) => site((['GSM', 'UMTS', 'LTE', 'NR'] as const)[i % 4], 100 + (i % 90), 1000 + i, -18 + i / 200));
    // Two UMTS cells of one short key (7001) under different RNCs, and none with it exactly: ambiguous_cell.
    cells.push(site('UMTS', 51, 300 * 65536 + 7001, -12), site('UMTS', 51, 301 * 65536 + 7001, -12.1));
    const cat = new CellCatalogue(cells);
    const { cells: picked, ambiguous } = cellsOfCatalogue(cat);
    expect(picked.length).toBe(400);
    const status = (c: (typeof picked)[number]) => cat.status(RADIO_INDEX[c.radio], c.mcc, c.mnc, c.lac, c.ci);
    picked.forEach((c, n) => expect(status(c), `cell ${n}`).toBe(n % 5 === 0 ? CELL_UNKNOWN : CELL_KNOWN));
    // Spread: from one end of the catalogue to the other (more than 10 degrees of latitude apart).
    const lats = picked.filter((_, n) => n % 5 !== 0).map((c) => cat.lookup(c.radio, c.mcc, c.mnc, c.lac, c.ci)!.lat);
    expect(Math.max(...lats) - Math.min(...lats)).toBeGreaterThan(10);
    expect(ambiguous).not.toBeNull();
    expect(status(ambiguous!)).toBe(CELL_AMBIGUOUS);
  });

  it('gives unknown cells only, and no ambiguous one, for an empty catalogue or one without shared short keys', () => {
    const empty = cellsOfCatalogue(CellCatalogue.empty());
    expect(empty.ambiguous).toBeNull();
    for (const c of empty.cells) expect(CellCatalogue.empty().status(RADIO_INDEX[c.radio], c.mcc, c.mnc, c.lac, c.ci)).toBe(CELL_UNKNOWN);
    const one = new CellCatalogue([site('UMTS', 51, 300 * 65536 + 7001, -12)]);
    expect(cellsOfCatalogue(one).ambiguous).toBeNull();
  });
});
