import { describe, expect, it } from 'vitest';
import { CDR_FIELDS, validateCdrObject } from '../../src/input/cdr-validate.js';
import { MSISDN_PLUS, digitsText, imeiText, msisdnText } from '../../src/domain/identity.js';

const good = {
  record_id: 'r1',
  event_type: 'voice_mo',
  imei: '356938035643809',
  imsi: '716100000000001',
  msisdn: '+51999000001',
  start_time: '2026-03-01T10:00:00Z',
  duration_s: '12.5',
  radio: 'LTE',
  mcc: '716',
  mnc: '10',
  lac: '100',
  ci: '1',
};

const reason = (over: Record<string, unknown>) => {
  const r = validateCdrObject({ ...good, ...over }, -300);
  return r.ok ? 'ok' : r.reason;
};

describe('CDR validation (SPEC Input 1)', () => {
  it('accepts a good CDR and keys the IMEI by 14 digits', () => {
    const r = validateCdrObject(good, -300);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.cdr).toMatchObject({ recordId: 'r1', key: 35693803564380, imeiLen: 15, imeiSuffix: 9, imsi: 716100000000001, imsiLen: 15, msisdn: 51999000001, msisdnLen: 11 | MSISDN_PLUS, radio: 'LTE', mcc: 716, mnc: 10, lac: 100, ci: 1 });
    expect(imeiText(r.cdr.key, r.cdr.imeiLen, r.cdr.imeiSuffix)).toBe('356938035643809');
    expect(msisdnText(r.cdr.msisdn, r.cdr.msisdnLen)).toBe('+51999000001');
    expect(r.cdr.endMs - r.cdr.startMs).toBe(12500);
  });

  it('accepts JSON numbers for numeric fields', () => {
    expect(reason({ duration_s: 30, mcc: 716, mnc: 6, lac: 5, ci: 123456, start_time: 1772359200000 })).toBe('ok');
  });

  it.each([
    [{ record_id: '' }, 'missing_field'],
    [{ imsi: '' }, 'missing_field'],
    [{ start_time: null }, 'missing_field'],
    [{ record_id: 'x'.repeat(65) }, 'invalid_record_id'],
    [{ record_id: 'x'.repeat(64) }, 'ok'],
    [{ event_type: 'voice' }, 'invalid_event_type'],
    [{ event_type: 'DATA' }, 'invalid_event_type'],
    [{ imei: '3569380356438' }, 'invalid_imei'],
    [{ imei: '35693803564380912' }, 'invalid_imei'],
    [{ imei: '3569380356438a9' }, 'invalid_imei'],
    [{ imei: '000000000000001' }, 'invalid_imei'],
    [{ imei: '00000000000001' }, 'ok'],
    [{ imei: '35693803564380' }, 'ok'],
    [{ imei: '3569380356438012' }, 'ok'],
    [{ imsi: '71610' }, 'invalid_imsi'],
    [{ imsi: '7161000000000011' }, 'invalid_imsi'],
    [{ imsi: '716100' }, 'ok'],
    [{ msisdn: '' }, 'ok'],
    [{ msisdn: '51999' }, 'invalid_msisdn'],
    [{ msisdn: '++51999000001' }, 'invalid_msisdn'],
    [{ msisdn: '51-999000001' }, 'invalid_msisdn'],
    [{ start_time: '2026-02-30T10:00:00Z' }, 'invalid_time'],
    [{ start_time: '2026-03-01T24:00:00Z' }, 'invalid_time'],
    [{ duration_s: '-1' }, 'invalid_duration'],
    [{ duration_s: '86400.5' }, 'invalid_duration'],
    [{ duration_s: '86400' }, 'ok'],
    [{ duration_s: 'abc' }, 'invalid_duration'],
    [{ duration_s: '0' }, 'ok'],
    [{ radio: 'CDMA' }, 'invalid_cell'],
    [{ radio: 'lte' }, 'invalid_cell'],
    [{ mcc: '-1' }, 'invalid_cell'],
    [{ ci: '12.5' }, 'invalid_cell'],
    [{ lac: 'x' }, 'invalid_cell'],
    [{ mnc: '06' }, 'ok'],
    [{ ci: '999999999999' }, 'ok'],
    [{ ci: '1000000000000' }, 'invalid_cell'],
    [{ lac: '00000000000000000000100' }, 'ok'],
    [{ ci: '0001000000000000' }, 'invalid_cell'],
    [{ ci: '' }, 'missing_field'],
  ])('%o -> %s', (over, expected) => {
    expect(reason(over)).toBe(expected);
  });

  it('keeps leading zeros of identities through their digit counts', () => {
    const r = validateCdrObject({ ...good, imei: '0012345678901216', imsi: '001010123456789', msisdn: '0051999' }, 0);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(imeiText(r.cdr.key, r.cdr.imeiLen, r.cdr.imeiSuffix)).toBe('0012345678901216');
    expect(digitsText(r.cdr.imsi, r.cdr.imsiLen)).toBe('001010123456789');
    expect(msisdnText(r.cdr.msisdn, r.cdr.msisdnLen)).toBe('0051999');
  });

  it('reads a cell code written with leading zeros as the same number, however many (an NR cell id of 13 characters)', () => {
    for (const [lac, ci] of [['0000000025601', '0032799129601'], ['0', '0000000000000000']]) {
      const r = validateCdrObject({ ...good, radio: 'NR', lac, ci }, 0);
      expect(r.ok, `${lac} ${ci}`).toBe(true);
      if (!r.ok) return;
      expect([r.cdr.lac, r.cdr.ci]).toEqual([Number(lac), Number(ci)]);
    }
  });

  it('a non-object message is malformed', () => {
    expect(validateCdrObject('hello', 0)).toMatchObject({ ok: false, reason: 'malformed_row' });
    expect(validateCdrObject([1, 2], 0)).toMatchObject({ ok: false, reason: 'malformed_row' });
    expect(validateCdrObject({ ...good, imsi: { x: 1 } }, 0)).toMatchObject({ ok: false, reason: 'malformed_row' });
  });

  it('names the field set of SPEC', () => {
    expect([...CDR_FIELDS].sort()).toEqual(Object.keys(good).sort());
  });
});
