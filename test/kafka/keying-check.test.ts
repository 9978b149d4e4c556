// SPEC Kafka "Keying is checked, not assumed": key = the value's IMEI key, partition = its murmur2 partition.
import { describe, expect, it } from 'vitest';
import { KeyingCheck } from '../../src/kafka/keying-check.js';
import { murmur2Partition } from '../../src/kafka/murmur2.js';
import { createLogger } from '../../src/ops/log.js';
import { Registry } from '../../src/ops/metrics.js';

const value = (imei: string | number) => Buffer.from(`{"record_id":"r1","imei":${typeof imei === 'number' ? imei : `"${imei}"`},"imsi":"716060000000001"}`);

function checker(partitions: number) {
  const registry = new Registry();
  const counter = registry.counter('misrouted_total', 'test');
  const lines: string[] = [];
  const check = new KeyingCheck(counter, createLogger('warn', {}, (l) => lines.push(l)), () => 0);
  check.partitions = partitions;
  return { check, lines };
}

describe('KeyingCheck', () => {
  const imei = '350000111111110';
  const key = imei.slice(0, 14);
  const right = murmur2Partition(key, 8);

  it('passes a message keyed by its IMEI key on its murmur2 partition (string or number IMEI, IMEISV)', () => {
    const { check } = checker(8);
    check.check('cdrs', right, '1', Buffer.from(key), value(imei));
    check.check('cdrs', right, '2', Buffer.from(key), value(Number(imei)));
    check.check('cdrs', right, '3', Buffer.from(key), value(imei + '1'));
    expect(check.misrouted).toBe(0);
  });

  it('names a wrong key, a wrong partition, or both, with an example in text', () => {
    const { check, lines } = checker(8);
    check.check('cdrs', right, '1', Buffer.from(imei), value(imei));
    expect(check.lastExample).toEqual({ source: `cdrs/${right}/1`, key: imei, expectedKey: key, expectedPartition: right, problem: 'key' });
    check.check('cdrs', (right + 1) % 8, '2', Buffer.from(key), value(imei));
    expect(check.lastExample?.problem).toBe('partition');
    check.check('cdrs', (right + 1) % 8, '3', null, value(imei));
    expect(check.lastExample).toMatchObject({ key: null, problem: 'key_and_partition' });
    check.check('cdrs', right, '4', Buffer.from('35000011111112'), value(imei));
    expect(check.lastExample?.problem).toBe('key');
    expect(check.misrouted).toBe(4);
    expect(lines.length).toBe(1); // one warning per minute
  });

  it('checks only the key when the partition count is unknown, and skips values without a readable IMEI', () => {
    const { check } = checker(0);
    check.check('cdrs', 99, '1', Buffer.from(key), value(imei));
    check.check('cdrs', 0, '2', Buffer.from('x'), Buffer.from('{"imei":"3500"}'));
    check.check('cdrs', 0, '3', Buffer.from('x'), Buffer.from('{"imsi":"716060000000001"}'));
    check.check('cdrs', 0, '4', Buffer.from('x'), null);
    expect(check.misrouted).toBe(0);
  });
});
