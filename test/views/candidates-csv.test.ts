import { describe, expect, it } from 'vitest';
import { candidatesCsv } from '../../src/views/candidates-csv.js';
import type { CandidateView } from '../../src/views/store.js';

const base: CandidateView = {
  imei: '35693803564380',
  imsis: ['716100000000002', '716100000000003'],
  exempt_imsis: ['716100000000001'],
  rules: ['simultaneity', 'time_distance'],
  first_evidence_at: '2026-03-01T15:30:00.000Z',
  findings: 3,
  emitted_at: '2026-03-02T00:00:00.000Z',
};

describe('candidates.csv', () => {
  it("has SPEC's header and |-separated lists, CRLF line ends", () => {
    expect(candidatesCsv([base])).toBe(
      'imei,imsis,exempt_imsis,rules,first_evidence_at,findings,likely_genuine_imsi,notify_msisdns\r\n' +
        '35693803564380,716100000000002|716100000000003,716100000000001,simultaneity|time_distance,2026-03-01T15:30:00.000Z,3,,\r\n',
    );
  });

  it('fills likely_genuine_imsi and notify_msisdns when the store has them', () => {
    const line = candidatesCsv([{ ...base, likely_genuine_imsi: '716100000000001', likely_genuine_reason: 'exception_list', notify_msisdns: ['+51999000002', '51999000003'] }]).split('\r\n')[1];
    expect(line.split(',').slice(6)).toEqual(['716100000000001', '+51999000002|51999000003']);
  });

  it('quotes a field with a comma or a quote (RFC 4180)', () => {
    const line = candidatesCsv([{ ...base, rules: ['a,b' as never, 'c"d' as never] }]).split('\r\n')[1];
    expect(line).toContain(',"a,b|c""d",');
  });

  it('an empty list is the header alone', () => {
    expect(candidatesCsv([])).toBe('imei,imsis,exempt_imsis,rules,first_evidence_at,findings,likely_genuine_imsi,notify_msisdns\r\n');
  });
});
