import { setTimeout as sleep } from 'node:timers/promises';
import type { Message, Producer } from 'kafkajs';
import { CDR_FIELDS } from '../input/cdr-validate.js';
import { readCdrChunks, type CdrInput } from '../input/cdr-files.js';
import { InputError } from '../domain/errors.js';
import { CsvRecordSplitter, type CsvRecord } from '../input/csv-records.js';
import { imeiMessageKey } from './client.js';

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
    const splitter = new CsvRecordSplitter();
    /** Column index of each CDR field, from the header. */
    let cols: Array<[string, number]> | null = null;
    const onRecord = async (r: CsvRecord): Promise<void> => {
      if (cols === null) {
        if (r.broken) throw new InputError(`${input.name}: the CSV header on line 1 has an unterminated quote`, 'BAD_HEADER');
        const names = r.fields.map((x) => x.trim().toLowerCase());
        cols = CDR_FIELDS.filter((f) => names.includes(f)).map((f) => [f, names.indexOf(f)]);
        return;
      }
      let value: string;
      let key: string | null = null;
      if (r.broken || r.fields.length !== splitter.width) {
        // Not a CSV row of the header's shape: forwarded as its text, which the consumer rejects as malformed_row.
        value = r.raw;
      } else {
        const obj: Record<string, string> = {};
        for (const [f, i] of cols) obj[f] = r.fields[i];
        key = imeiMessageKey(obj.imei);
        value = JSON.stringify(obj);
      }
      pending.push({ key, value });
      if (pending.length >= limit) await send();
    };
    for await (const chunk of readCdrChunks(input)) {
      for (const r of splitter.push(chunk)) await onRecord(r);
    }
    for (const r of splitter.push(Buffer.alloc(0), true)) await onRecord(r);
  }
  await send();
  return { messages: sent, elapsedMs: performance.now() - started };
}
