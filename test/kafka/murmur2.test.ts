// Our murmur2 partition is kafkajs' DefaultPartitioner (Java's), key by key.
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { murmur2, murmur2Partition } from '../../src/kafka/murmur2.js';

describe('murmur2Partition', () => {
  it("equals kafkajs' default partitioner for IMEI keys and odd lengths", () => {
    const partitioner = Partitioners.DefaultPartitioner();
    for (const n of [1, 3, 4, 12, 32]) {
      const partitionMetadata = Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
      for (let i = 0; i < 500; i++) {
        const key = i % 7 === 0 ? 'k'.repeat(i % 13) + String(i) : String(35_000_000_000_000 + i * 7919).padStart(14, '0');
        expect(murmur2Partition(key, n), key).toBe(partitioner({ topic: 't', partitionMetadata, message: { key, value: null } }));
      }
    }
  });

  it('is the value Java gives for a known key', () => {
    // org.apache.kafka.common.utils.Utils.murmur2("21".getBytes()) = -973932308
    expect(murmur2Partition('21', 2 ** 31 - 1)).toBe((-973932308 & 0x7fffffff) % (2 ** 31 - 1));
  });

  it('hashes a range of a larger buffer as it hashes those bytes alone', () => {
    const value = Buffer.from('{"imei":"350000111111110","x":"abcdefg"}', 'latin1');
    for (let s = 0; s < 12; s++) for (let e = s; e <= s + 17; e++) expect(murmur2(value, s, e), `${s}-${e}`).toBe(murmur2(Buffer.from(value.subarray(s, e))));
  });
});
