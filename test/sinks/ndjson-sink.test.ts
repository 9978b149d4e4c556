// The NDJSON files of `detect` and `run` (sinks/ndjson-sink.ts): a stream's sink writes each batch as it
// comes; a file run's holds its lines up to holdChars and writes them on flush() and close().
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NdjsonSink } from '../../src/sinks/ndjson-sink.js';
import type { Reject } from '../../src/domain/types.js';

const reject = (line: number): Reject => ({ source: 'a.csv', line, reason: 'invalid_imei', detail: 'x', raw: `row ${line}` }) as Reject;
const lines = (dir: string) => readFileSync(join(dir, 'rejects.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).line);

describe('ndjson sink', () => {
  it('without holdChars, a batch reaches the file once the stream has written it (flush not needed)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clonewatch-ndjson-'));
    const sink = new NdjsonSink(dir);
    await sink.write({ findings: [], candidates: [], rejects: [reject(1), reject(2)] });
    // An empty write's callback: everything handed to the stream before it is in the file.
    await new Promise((r) => setTimeout(r, 50));
    expect(lines(dir)).toEqual([1, 2]);
    await sink.close();
  });

  it('with holdChars, lines wait for flush() (or for holdChars of text), in order, and close() writes the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clonewatch-ndjson-'));
    const sink = new NdjsonSink(dir, { holdChars: 1000 });
    await sink.write({ findings: [], candidates: [], rejects: [reject(1), reject(2)] });
    await new Promise((r) => setTimeout(r, 50));
    expect(lines(dir)).toEqual([]);
    await sink.flush();
    expect(lines(dir)).toEqual([1, 2]);
    // Past holdChars, what is held goes out with the batch that filled it.
    const many = Array.from({ length: 30 }, (_, i) => reject(3 + i));
    await sink.write({ findings: [], candidates: [], rejects: many });
    await new Promise((r) => setTimeout(r, 50));
    expect(lines(dir)).toEqual(Array.from({ length: 32 }, (_, i) => 1 + i));
    await sink.write({ findings: [], candidates: [], rejects: [reject(33)] });
    await sink.close();
    expect(lines(dir)).toEqual(Array.from({ length: 33 }, (_, i) => 1 + i));
    expect(sink.describe()[0]).toContain('(33)');
  });
});
