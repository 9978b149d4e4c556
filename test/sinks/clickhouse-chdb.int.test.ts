import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clickhouseSchema } from '../../src/config/schema.js';
import { openClickHouseSink } from '../../src/sinks/clickhouse/index.js';
import { storeContract } from './clickhouse-contract.js';

// Embedded chDB: one data directory per process (chDB's rule), so every test here shares one directory.
const dir = mkdtempSync(join(tmpdir(), 'clonewatch-chdb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ClickHouse sink on embedded chDB', () => {
  storeContract(() => dir);

  it('says the directory is busy when another process holds it', async () => {
    const busy = mkdtempSync(join(tmpdir(), 'clonewatch-chdb-busy-'));
    // Another process opens the directory and keeps it until killed.
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createChdbConnection } from 'chdb/connection';
         const c = createChdbConnection({ path: ${JSON.stringify(busy)} });
         await c.query({ query: 'SELECT 1' });
         process.stdout.write('ready\\n');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd() },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
        holder.on('exit', (code) => reject(new Error(`holder exited with ${code}`)));
      });
      const err = await openClickHouseSink(clickhouseSchema.parse({ target: busy }), { runId: 'x' }).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(
        new RegExp(
          `^cannot open ClickHouse: ClickHouse data directory ${busy} is in use by another clonewatch process \\(pid ${holder.pid}\\) ` +
            '\\(chDB allows one process per directory\\); wait for it to finish, or pass another --clickhouse directory or a server URL$',
        ),
      );
    } finally {
      holder.kill('SIGKILL');
      rmSync(busy, { recursive: true, force: true });
    }
  });
});
