// Kafka's default partitioner for keyed messages (Java's DefaultPartitioner, kafkajs' DefaultPartitioner,
// librdkafka's `murmur2_random`): toPositive(murmur2(key bytes)) % partitions. `run` checks it and `route`
// produces with it, so every CDR of one IMEI key lands in the one partition any standard producer would pick.

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/**
 * Kafka's murmur2 (the Java client's Utils.murmur2) of the key's bytes, as a signed 32-bit integer.
 * `start`/`end` hash a range of a larger buffer (a message value) without copying it.
 */
export function murmur2(key: Uint8Array, start = 0, end = key.length): number {
  const len = end - start;
  let h = (SEED ^ len) | 0;
  const len4 = start + (len & ~3);
  for (let i = start; i < len4; i += 4) {
    let k = key[i] | (key[i + 1] << 8) | (key[i + 2] << 16) | (key[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  switch (len & 3) {
    case 3:
      h ^= key[len4 + 2] << 16;
    // falls through
    case 2:
      h ^= key[len4 + 1] << 8;
    // falls through
    case 1:
      h ^= key[len4];
      h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's default partitioner gives this key among `partitions`. */
export function murmur2Partition(key: string | Uint8Array, partitions: number): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  return (murmur2(bytes) & 0x7fffffff) % partitions;
}
