// Parse workers started with `detect` before its modules load (pipeline/parse-pool.ts): started only for
// arguments that make a parallel file run, adopted by the run, the rest stopped. Runs the built modules.
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ROOT, assertBuilt } from '../helpers/cli.js';

const pool = async () => import(join(ROOT, 'dist', 'pipeline', 'parse-pool.js'));

describe('parse worker pool', () => {
  it('starts workers only for a parallel file run', async () => {
    assertBuilt();
    const { prestartForDetect, prestartedCount, stopPrestartedWorkers } = await pool();
    for (const argv of [
      ['--cdrs', '-', '--cells', 'c.csv'],
      ['--cdrs', 'day/', '--threads', '1'],
      ['--cdrs=day/', '--threads=1'],
      ['--cdrs', 'day/', '--help'],
      ['--cdrs', 'day/', '--no-prefilter', '--threads', '3'],
      ['--cells', 'c.csv', '--threads', '3'],
      ['--cdrs', 'day/', '--threads', 'many'],
    ]) {
      prestartForDetect(argv);
      expect(prestartedCount(), argv.join(' ')).toBe(0);
    }
    prestartForDetect(['--cdrs=day/', '--threads=3']);
    expect(prestartedCount()).toBe(3);
    prestartForDetect(['--cdrs', 'day/']);
    expect(prestartedCount()).toBe(Math.max(3, availableParallelism() >= 2 ? availableParallelism() : 0));
    await stopPrestartedWorkers();
    expect(prestartedCount()).toBe(0);
  });

  it('hands the early workers to a run first, then starts more', async () => {
    assertBuilt();
    const { prestartForDetect, prestartedCount, takeParseWorkers, stopPrestartedWorkers } = await pool();
    prestartForDetect(['--cdrs', 'day/', '--threads', '2']);
    const taken = takeParseWorkers(3);
    expect(taken).toHaveLength(3);
    expect(prestartedCount()).toBe(0);
    // Each one works: given its run's settings and an empty pass 1, it answers with its table.
    const data = { tzOffsetMin: -300, maxLineBytes: 1 << 20, batchRows: 1024, maxInFlight: 4, idBits: 1 << 16, inflatedBudget: new Int32Array(new SharedArrayBuffer(4)) };
    type W = { worker: import('node:worker_threads').Worker; error: Error | null };
    const replies = await Promise.all(
      taken.map(
        (p: W) =>
          new Promise<string>((resolve) => {
            p.worker.once('message', (m: { type: string }) => resolve(m.type));
            p.worker.postMessage({ type: 'init', data });
            p.worker.postMessage({ type: 'scan', jobs: [], next: new Int32Array(new SharedArrayBuffer(4)) });
          }),
      ),
    );
    expect(replies).toEqual(['table', 'table', 'table']);
    await Promise.all(taken.map((p: W) => p.worker.terminate()));
    await stopPrestartedWorkers();
  });
});
