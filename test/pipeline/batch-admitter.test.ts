// The main thread's warm-up of a parallel file run: only worth its time if it takes the admission loop and the
// engine through the paths the real input takes later (each one first seen later makes V8 compile them again).
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/schema.js';
import { warmUpAdmission } from '../../src/pipeline/batch-admitter.js';

describe('warmUpAdmission', () => {
  it('reads matched and unmatched rows into findings of both rules, a candidate and every admission reject', async () => {
    const c = await warmUpAdmission(parseConfig({}).config);
    expect(c.findingsByRule.simultaneity).toBeGreaterThan(0);
    expect(c.findingsByRule.time_distance).toBeGreaterThan(0);
    expect(c.candidates).toBeGreaterThan(0);
    for (const reason of ['duplicate_record', 'late_record', 'invalid_time', 'invalid_imei'] as const) expect(c.rejectsByReason[reason], reason).toBeGreaterThan(0);
    expect(c.unknownCell).toBeGreaterThan(0);
    expect(c.ambiguousCell).toBeGreaterThan(0);
    expect(c.recordsAccepted).toBeGreaterThan(4000);
  });
});
