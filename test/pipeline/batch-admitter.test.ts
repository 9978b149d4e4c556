// The main thread's warm-up of a parallel file run: only worth its time if it takes the admission loop and the
// engine through the paths the real input takes later (each one first seen later makes V8 compile them again).
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/schema.js';
import { warmUpAdmission } from '../../src/pipeline/batch-admitter.js';
import { CellCatalogue } from '../../src/input/cell-catalogue.js';
import { warmupCatalogue } from '../../src/input/csv-warmup.js';
import { ExceptionList } from '../../src/input/exception-list.js';

describe('warmUpAdmission', () => {
  it('reads matched and unmatched rows into findings of both rules, a candidate and every admission reject', async () => {
    const c = await warmUpAdmission(parseConfig({}).config, { cells: warmupCatalogue(), exceptions: ExceptionList.empty() });
    expect(c.findingsByRule.simultaneity).toBeGreaterThan(0);
    expect(c.findingsByRule.time_distance).toBeGreaterThan(0);
    expect(c.candidates).toBeGreaterThan(0);
    for (const reason of ['duplicate_record', 'late_record', 'invalid_time', 'invalid_imei'] as const) expect(c.rejectsByReason[reason], reason).toBeGreaterThan(0);
    expect(c.unknownCell).toBeGreaterThan(0);
    expect(c.ambiguousCell).toBeGreaterThan(0);
    expect(c.recordsAccepted).toBeGreaterThan(2000); // of its 3,000 rows (WARMUP_ROWS), most accepted
  });

  it("runs with the run's own catalogue and exception list when given them (refs)", async () => {
    const cfg = parseConfig({}).config;
    const site = (i: number) => ({ radio: (['GSM', 'UMTS', 'LTE', 'NR'] as const)[i % 4], mcc: 716, mnc: 10, lac: 100 + (i % 90), ci: 1000 + i, lat: -18 + i / 100, lon: -77, rangeM: 1000 });
    const cells = Array.from({ length: 1500 }, (_, i) => site(i));
    cells.push({ ...site(0), radio: 'UMTS', lac: 51, ci: 300 * 65536 + 7001 }, { ...site(0), radio: 'UMTS', lac: 51, ci: 301 * 65536 + 7001 });
    const cat = new CellCatalogue(cells);
    const c = await warmUpAdmission(cfg, { cells: cat, exceptions: ExceptionList.empty() });
    // Its cells are the catalogue's, from one end to the other (15 degrees of latitude): both rules fire.
    expect(c.findingsByRule.simultaneity).toBeGreaterThan(0);
    expect(c.findingsByRule.time_distance).toBeGreaterThan(0);
    expect(c.unknownCell).toBeGreaterThan(0);
    expect(c.ambiguousCell).toBeGreaterThan(0);
    expect(cat.size).toBe(1502);
    // With an empty catalogue every cell is unknown: the catalogue given is the one used.
    const none = await warmUpAdmission(cfg, { cells: CellCatalogue.empty(), exceptions: ExceptionList.empty() });
    expect(none.recordsAccepted).toBeGreaterThan(2000);
    expect(none.unknownCell).toBe(none.recordsAccepted);
    expect(none.findingsByRule.simultaneity).toBeGreaterThan(0);
  });
});
