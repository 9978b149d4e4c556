// One CDR message through a partition's engine (no Kafka): the reject details are the file run's.
import { describe, expect, it } from 'vitest';
import { admissionDetail } from '../../src/engine/admission.js';
import { Engine } from '../../src/engine/engine.js';
import { ExceptionList } from '../../src/input/exception-list.js';
import { admitMessage } from '../../src/kafka/message-admission.js';
import { StreamPartition } from '../../src/kafka/stream-partition.js';
import { config, testCells } from '../engine/support.js';
import { timeBounds } from '../../src/config/schema.js';

const cfg = config();
const NOW = Date.parse('2026-03-02T00:00:00Z');
const BOUNDS = timeBounds(cfg);
const msg = (id: string, start: string) =>
  Buffer.from(JSON.stringify({ record_id: id, event_type: 'voice_mo', imei: '35693803564380', imsi: '716100000000001', msisdn: '', start_time: start, duration_s: 10, radio: 'LTE', mcc: 716, mnc: 10, lac: 100, ci: 1 }));
const partition = (wmMs: number | null = null) =>
  new StreamPartition(0, new Engine(cfg, { cells: testCells(), exceptions: ExceptionList.empty() }, { orderingDelayMs: 0 }), cfg, { from: 0, rebuildUntil: 0, wmMs, drained: true }, 1);

describe('admitMessage', () => {
  it('accepts a valid CDR and marks the partition undrained', () => {
    const st = partition();
    expect(admitMessage(st, msg('a', '2026-03-01T10:00:00Z'), 0, NOW, cfg.allowedLatenessS, BOUNDS)).toBeNull();
    expect(st.drained).toBe(false);
  });

  it('words duplicate and late rejects exactly as the file run does', () => {
    const st = partition();
    admitMessage(st, msg('a', '2026-03-01T10:00:00Z'), 0, NOW, cfg.allowedLatenessS, BOUNDS);
    expect(admitMessage(st, msg('a', '2026-03-01T10:00:01Z'), 0, NOW, cfg.allowedLatenessS, BOUNDS)).toEqual({ reason: 'duplicate_record', detail: admissionDetail('duplicate_record', 'a', 0, 600) });
    const newest = Date.parse('2026-03-01T10:00:00Z');
    expect(admitMessage(st, msg('b', '2026-03-01T09:40:00Z'), 0, NOW, cfg.allowedLatenessS, BOUNDS)).toEqual({ reason: 'late_record', detail: admissionDetail('late_record', 'b', newest, 600) });
    expect(admissionDetail('late_record', 'b', newest, 600)).toBe('starts more than 600 s before the newest accepted event time 2026-03-01T10:00:00.000Z');
  });

  it('rejects as late a CDR behind the watermark the partition had before its rebuild start, naming that watermark', () => {
    const wm = Date.parse('2026-03-01T12:00:00Z');
    const st = partition(wm);
    expect(admitMessage(st, msg('c', '2026-03-01T11:00:00Z'), 0, NOW, cfg.allowedLatenessS, BOUNDS)).toEqual({ reason: 'late_record', detail: admissionDetail('late_record', 'c', wm, 600) });
    expect(st.drained).toBe(true);
  });

  it('rejects an empty value and an invalid CDR with their reasons', () => {
    const st = partition();
    expect(admitMessage(st, null, 0, NOW, 600, BOUNDS)).toEqual({ reason: 'malformed_row', detail: 'empty message value' });
    expect(admitMessage(st, Buffer.alloc(0), 0, NOW, 600, BOUNDS)?.reason).toBe('malformed_row');
    expect(admitMessage(st, Buffer.from('{"record_id":"x"}'), 0, NOW, 600, BOUNDS)?.reason).toBe('missing_field');
  });

  it('rejects an implausible time as invalid_time, naming the bound, without moving the watermark', () => {
    const st = partition();
    expect(admitMessage(st, msg('a', '2026-03-01T10:00:00Z'), 0, NOW, 600, BOUNDS)).toBeNull();
    const future = admitMessage(st, msg('f', '9999-12-31T00:00:00Z'), 0, NOW, 600, BOUNDS);
    expect(future?.reason).toBe('invalid_time');
    expect(future?.detail).toMatch(/more than maxFutureS \(86400 s\) after the wall clock/);
    const past = admitMessage(st, msg('p', '1969-12-31T23:00:00Z'), 0, NOW, 600, BOUNDS);
    expect(past).toEqual({ reason: 'invalid_time', detail: 'start_time 1969-12-31T23:00:00.000Z is before minEventTime 2000-01-01T00:00:00.000Z' });
    // The next CDR of the feed is neither late nor refused: event time did not move.
    expect(admitMessage(st, msg('b', '2026-03-01T10:05:00Z'), 0, NOW, 600, BOUNDS)).toBeNull();
    expect(st.watermarkMs()).toBe(Date.parse('2026-03-01T10:05:00Z'));
  });
});
