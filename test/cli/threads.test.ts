// `detect --threads N` (parse workers over files, sharded engines over stdin) and the two-pass file run:
// their three output files must be the same, line for line, as one plain thread's (detected_at / emitted_at aside).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { BUNDLED_CELLS, OUTPUT_FILES, ROOT, runCli, tempDir, volatile } from '../helpers/cli.js';

function caseArgs(dir: string): string[] {
  const args = ['--cdrs', join(dir, 'cdrs')];
  const cells = ['cells.csv', 'cells.csv.gz'].map((c) => join(dir, c)).find((p) => existsSync(p));
  args.push('--cells', cells ?? BUNDLED_CELLS);
  if (existsSync(join(dir, 'exceptions.csv'))) args.push('--exceptions', join(dir, 'exceptions.csv'));
  if (existsSync(join(dir, 'config.json'))) args.push('--config', join(dir, 'config.json'));
  if (existsSync(join(dir, 'tac-db.csv'))) args.push('--tac-db', join(dir, 'tac-db.csv'));
  return args;
}

const cases = readdirSync(join(ROOT, 'fixtures'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(ROOT, 'fixtures', d.name, 'cdrs')))
  .map((d) => d.name)
  .sort();

describe('detect --threads', () => {
  // The plain sequential run (one thread, every CDR matched) is the reference for: the two-pass run on one
  // thread, the parallel run with the default thread count and with 3 parse workers, and the sharded engines.
  const variants: Array<[string, string[]]> = [
    ['one thread, two passes', ['--threads', '1']],
    ['default threads (parallel parse, two passes)', []],
    ['3 parse workers', ['--threads', '3']],
    ['3 sharded engines (no prefilter)', ['--threads', '3', '--no-prefilter']],
  ];
  it.each(cases)('fixtures/%s: every thread count and pass mode writes what one plain thread writes', async (name) => {
    const args = [...caseArgs(join(ROOT, 'fixtures', name)), '--clickhouse', 'none', '--no-progress'];
    const ref = tempDir();
    const outs = variants.map(() => tempDir());
    const runs = await Promise.all([
      runCli(['detect', ...args, '--out', ref, '--threads', '1', '--no-prefilter'], { timeoutMs: 100_000 }),
      ...variants.map(([, v], i) => runCli(['detect', ...args, '--out', outs[i], ...v], { timeoutMs: 100_000 })),
    ]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    variants.forEach(([label], i) => {
      for (const f of OUTPUT_FILES) {
        expect(volatile(readFileSync(join(outs[i], f), 'utf8')), `${name}/${f} (${label})`).toBe(volatile(readFileSync(join(ref, f), 'utf8')));
      }
    });
  }, 120_000);

  it('uses the available parallelism by default', async () => {
    const r = await runCli(['detect', '--help']);
    expect(r.stdout).toContain(`(default: the available parallelism, here ${availableParallelism()})`);
  });

  it('reads stdin once, in one pass, with any thread count', async () => {
    const dir = join(ROOT, 'fixtures', 'three-imsis');
    const input = readFileSync(join(dir, 'cdrs', readdirSync(join(dir, 'cdrs'))[0]));
    const args = caseArgs(dir).slice(2);
    const one = tempDir();
    const two = tempDir();
    const [a, b] = await Promise.all([
      runCli(['detect', '--cdrs', '-', ...args, '--out', one, '--clickhouse', 'none', '--threads', '1'], { input }),
      runCli(['detect', '--cdrs', '-', ...args, '--out', two, '--clickhouse', 'none', '--threads', '2'], { input }),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(readFileSync(join(one, 'clones.ndjson'), 'utf8').split('\n').length).toBeGreaterThan(1);
    for (const f of OUTPUT_FILES) expect(volatile(readFileSync(join(two, f), 'utf8')), f).toBe(volatile(readFileSync(join(one, f), 'utf8')));
  });

  it('reads a named pipe once, in one pass, with any thread count (a second read would find it empty)', async () => {
    const { execFileSync, spawn } = await import('node:child_process');
    const dir = join(ROOT, 'fixtures', 'three-imsis');
    const file = join(dir, 'cdrs', readdirSync(join(dir, 'cdrs'))[0]);
    const args = caseArgs(dir).slice(2);
    const ref = tempDir();
    const r0 = await runCli(['detect', '--cdrs', file, ...args, '--out', ref, '--clickhouse', 'none', '--threads', '1']);
    expect(r0.code, r0.stderr).toBe(0);
    for (const threads of ['1', '2']) {
      const fifo = join(tempDir(), 'day.csv');
      execFileSync('mkfifo', [fifo]);
      // A writer as `<(cat day.csv)` would be: it blocks until detect opens the pipe.
      const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', file, fifo], { stdio: 'ignore' });
      const out = tempDir();
      const r = await runCli(['detect', '--cdrs', fifo, ...args, '--out', out, '--clickhouse', 'none', '--threads', threads], { timeoutMs: 60_000 });
      writer.kill();
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/records read +0\b/);
      for (const f of OUTPUT_FILES) expect(volatile(readFileSync(join(out, f), 'utf8')), `${f} (--threads ${threads})`).toBe(volatile(readFileSync(join(ref, f), 'utf8')));
    }
  });

  it('rejects a thread count that is not a whole number from 1 to 64', async () => {
    const r = await runCli(['detect', ...caseArgs(join(ROOT, 'fixtures', 'simultaneity')), '--out', tempDir(), '--clickhouse', 'none', '--threads', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/--threads needs a whole number from 1 to 64/);
  });
});
