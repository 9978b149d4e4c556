import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'fast-csv';
import type { Message, Producer } from 'kafkajs';
import { CDR_FIELDS } from '../input/cdr-validate.js';
import { readCdrChunks, type CdrInput } from '../input/cdr-files.js';
import { imeiMessageKey } from './kafka-client.js';

export interface ReplayOptions {
  inputs: CdrInput[];
  producer: Producer;
  topic: string;
  /** Messages per second; undefined or 0 = as fast as the brokers acknowledge. */
  ratePerS?: number;
  /** Messages per produce request. */
  batchSize?: number;
  onProgress?: (sent: number) => void;
}

/**
 * Produce CDR CSV files into the CDR topic: one message per row, the value a JSON object with SPEC's field
 * names and the row's text values as they are (the consumer validates; a bad row becomes its reject there),
 * the key the 14-digit IMEI key so one device's CDRs share a partition and stay in file order.
 */
export async function replayCdrs(opts: ReplayOptions): Promise<{ messages: number; elapsedMs: number }> {
  const batchSize = opts.batchSize ?? 2000;
  const started = performance.now();
  let sent = 0;
  let pending: Message[] = [];
  const send = async (): Promise<void> => {
    if (pending.length === 0) return;
    const messages = pending;
    pending = [];
    await opts.producer.send({ topic: opts.topic, messages, acks: -1 });
    sent += messages.length;
    opts.onProgress?.(sent);
    if (opts.ratePerS) {
      const dueMs = (sent / opts.ratePerS) * 1000 - (performance.now() - started);
      if (dueMs > 0) await sleep(dueMs);
    }
  };
  const limit = opts.ratePerS ? Math.max(1, Math.min(batchSize, Math.ceil(opts.ratePerS / 10))) : batchSize;
  for (const input of opts.inputs) {
    let fields: Array<(typeof CDR_FIELDS)[number]> = [];
    const parser = Readable.from(readCdrChunks(input)).pipe(
      parse({
        headers: (h) => {
          const names = h.map((x) => (x ?? '').replace(/^\uFEFF/, '').trim().toLowerCase());
          fields = CDR_FIELDS.filter((f) => names.includes(f));
          return names;
        },
        ignoreEmpty: true,
        discardUnmappedColumns: true,
      }),
    );
    for await (const row of parser as AsyncIterable<Record<string, string>>) {
      const value: Record<string, string> = {};
      for (const f of fields) value[f] = row[f] ?? '';
      pending.push({ key: imeiMessageKey(value.imei), value: JSON.stringify(value) });
      if (pending.length >= limit) await send();
    }
  }
  await send();
  return { messages: sent, elapsedMs: performance.now() - started };
}
