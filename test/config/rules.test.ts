import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/schema.js';

describe('config: rules and the extra criteria', () => {
  it('defaults to the two Art. 22 rules and SPEC defaults for shared_imei', () => {
    const r = parseConfig({});
    expect(r.ok && r.config.rules).toEqual(['simultaneity', 'time_distance']);
    expect(r.ok && r.config.sharedImeiMinImsis).toBe(5);
    expect(r.ok && r.config.sharedImeiPeriodS).toBe(86400);
    expect(r.ok && r.config.tacDb).toBeUndefined();
  });

  it('accepts the five criteria by name with a TAC database', () => {
    const r = parseConfig({ rules: ['simultaneity', 'time_distance', 'shared_imei', 'inconsistent_rat', 'unknown_tac'], tacDb: 'x.csv' });
    expect(r.ok).toBe(true);
  });

  it('says that inconsistent_rat and unknown_tac need a TAC database', () => {
    const r = parseConfig({ rules: ['inconsistent_rat', 'unknown_tac'] });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toContain('inconsistent_rat and unknown_tac need a TAC database (--tac-db');
  });

  it('refuses an unknown criterion, an empty list, a repeated name and sharedImeiMinImsis below 2', () => {
    for (const bad of [{ rules: ['simultaneity', 'bogus'] }, { rules: [] }, { rules: ['shared_imei', 'shared_imei'] }, { sharedImeiMinImsis: 1 }, { sharedImeiPeriodS: 0 }]) {
      const r = parseConfig(bad);
      expect(r.ok, JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('config: kafka.fetchMaxWaitMs', () => {
  it('defaults to 100 ms and refuses 0 or more than 30 s', () => {
    const r = parseConfig({});
    expect(r.ok && r.config.kafka.fetchMaxWaitMs).toBe(100);
    expect(parseConfig({ kafka: { fetchMaxWaitMs: 500 } }).ok).toBe(true);
    expect(parseConfig({ kafka: { fetchMaxWaitMs: 0 } }).ok).toBe(false);
    expect(parseConfig({ kafka: { fetchMaxWaitMs: 60000 } }).ok).toBe(false);
  });
});
