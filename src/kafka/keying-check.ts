import type { Logger } from '../ops/log.js';
import type { Counter } from '../ops/metrics.js';
import { murmur2 } from './murmur2.js';

/** At most one misrouting warning per this long (ms); the next one says how many were seen since. */
const WARN_EVERY_MS = 60_000;

/**
 * SPEC Kafka "Keying is checked, not assumed": `run` keeps one IMEI's window in one partition, which holds
 * only when the message key is the value's 14-digit IMEI key and the partition is Kafka's default murmur2
 * partition of it. Every live message is checked; a misrouted one is counted
 * (clonewatch_misrouted_records_total), logged now and then with an example, reported by /healthz, and
 * still processed.
 */
export class KeyingCheck {
  /** Partitions of the CDR topic (0 = unknown: only the key is checked). */
  partitions = 0;
  misrouted = 0;
  lastExample: { source: string; key: string | null; expectedKey: string; expectedPartition: number | null; problem: string } | null = null;
  private lastWarnMs = -Infinity;
  private sinceWarn = 0;

  constructor(
    private readonly counter: Counter,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Check one message; `value` is its raw JSON. A value without a readable IMEI is not checked (it is a reject). */
  check(topic: string, partition: number, offset: string, key: Buffer | null, value: Buffer | null): void {
    if (value === null) return;
    // Bytes only on the hot path: strings are made only for a misrouted message.
    const at = valueImeiKeyAt(value);
    if (at < 0) return;
    let problem: string | null = null;
    let expectedPartition: number | null = null;
    if (!sameBytes(key, value, at, IMEI_KEY_DIGITS)) problem = 'key';
    if (this.partitions > 0) {
      expectedPartition = (murmur2(value, at, at + IMEI_KEY_DIGITS) & 0x7fffffff) % this.partitions;
      if (expectedPartition !== partition) problem = problem ? 'key_and_partition' : 'partition';
    }
    if (problem === null) return;
    this.misrouted++;
    this.sinceWarn++;
    this.counter.inc({ problem });
    const source = `${topic}/${partition}/${offset}`;
    const keyText = key === null ? null : key.toString('latin1');
    const imeiKey = value.toString('latin1', at, at + IMEI_KEY_DIGITS);
    this.lastExample = { source, key: keyText, expectedKey: imeiKey, expectedPartition, problem };
    const now = this.clock();
    if (now - this.lastWarnMs >= WARN_EVERY_MS) {
      this.log.warn(
        'misrouted CDR messages: the key must be the 14-digit IMEI key and the partition its murmur2 partition (kafkajs/Java default; librdkafka partitioner=murmur2_random), or put `clonewatch route` in front; a device split over partitions can miss or repeat findings',
        { example: this.lastExample, misroutedSinceLastWarning: this.sinceWarn, misroutedTotal: this.misrouted },
      );
      this.lastWarnMs = now;
      this.sinceWarn = 0;
    }
  }
}

const IMEI_KEY_DIGITS = 14;

/** Is `key` exactly the `n` bytes of `value` at `at`? */
function sameBytes(key: Buffer | null, value: Buffer, at: number, n: number): boolean {
  if (key === null || key.length !== n) return false;
  for (let i = 0; i < n; i++) if (key[i] !== value[at + i]) return false;
  return true;
}

/** Where the IMEI key's 14 digits start in a CDR's JSON value, or -1 when there is none to read. */
function valueImeiKeyAt(value: Buffer): number {
  // A plain loop: the field is near the start of a short value, where Buffer.indexOf's native call costs more.
  const len = value.length;
  let i = 0;
  for (; i + 6 <= len; i++) {
    if (value[i] === 34 && value[i + 1] === 105 && value[i + 2] === 109 && value[i + 3] === 101 && value[i + 4] === 105 && value[i + 5] === 34) break; // "imei"
  }
  if (i + 6 > len) return -1;
  i += 6;
  while (i < len && (value[i] === 32 || value[i] === 9 || value[i] === 10 || value[i] === 13)) i++;
  if (value[i] !== 58) return -1; // :
  i++;
  while (i < len && (value[i] === 32 || value[i] === 9 || value[i] === 10 || value[i] === 13)) i++;
  if (value[i] === 34) i++;
  const s = i;
  while (i < len && value[i] >= 48 && value[i] <= 57) i++;
  const n = i - s;
  if (n < 14 || n > 16) return -1;
  return s;
}
