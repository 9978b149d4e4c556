// The warm-up input of the parse workers: it is only worth its time if it takes the reader through every path
// the real input may take later (each one first seen later makes V8 compile the reader again).
import { describe, expect, it } from 'vitest';
import { CdrCsvParser } from '../../src/input/cdr-csv.js';
import { csvWarmupFiles, warmupCatalogue } from '../../src/input/csv-warmup.js';
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
