// One error model: the same failure exits the same way in every command, with one line and no secret.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../src/cli/exit-code.js';
import { ClonewatchError, InputError, ServiceError, UsageError } from '../../src/domain/errors.js';
import { StreamJobError } from '../../src/kafka/stream-job.js';
import { ClickHouseStoreError } from '../../src/sinks/clickhouse/connect.js';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

describe('exitCodeFor', () => {
  it.each([
    [new UsageError('bad flag'), 2],
    [new InputError('unreadable', 'UNREADABLE'), 2],
    [new ClickHouseStoreError('busy', 'CHDB_DIR_BUSY', false), 2],
    [new ClickHouseStoreError('bad url', 'BAD_TARGET', false), 2],
    [new ClickHouseStoreError('insert refused', 'INSERT_FAILED', false), 1],
    [new StreamJobError('sink gave up', 'SINK_FAILED', true), 1],
    [new ServiceError('query failed', 'QUERY_FAILED'), 1],
    [new Error('a bug'), 1],
    ['not even an error', 1],
  ])('%s -> %i', (err, code) => {
    expect(exitCodeFor(err)).toBe(code);
  });

  it('every error class carries code, retriable and cause on one base', () => {
    const cause = new Error('root');
    for (const e of [new UsageError('u', { cause }), new InputError('i', 'NOT_FOUND', { cause }), new ClickHouseStoreError('c', 'X', true, { cause }), new StreamJobError('s', 'SINK_FAILED', true, { cause })]) {
      expect(e).toBeInstanceOf(ClonewatchError);
      expect(typeof e.code).toBe('string');
      expect(typeof e.retriable).toBe('boolean');
      expect(e.cause).toBe(cause);
    }
    expect(new StreamJobError('s', 'SINK_FAILED', true).name).toBe('StreamJobError');
  });
});

const oneLine = (stderr: string) => stderr.trim().split('\n').filter((l) => l.startsWith('clonewatch:'));

describe('an unreadable input exits 2 with one line in detect, run and replay alike', () => {
  const cells = join(ROOT, 'fixtures/demo/cells.csv.gz');
  const missing = join(tempDir(), 'missing.csv');
  it.each([
    ['detect, missing --cdrs', ['detect', '--cdrs', missing, '--cells', cells, '--out', tempDir(), '--clickhouse', 'none']],
    ['detect, missing --cells', ['detect', '--cdrs', join(ROOT, 'fixtures/demo/cdrs'), '--cells', missing, '--out', tempDir(), '--clickhouse', 'none']],
    ['run, missing --cells', ['run', '--cells', missing, '--clickhouse', 'none', '--brokers', '127.0.0.1:1']],
    ['replay, missing --cdrs', ['replay', '--cdrs', missing, '--brokers', '127.0.0.1:1']],
  ])('%s', async (_what, args) => {
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(2);
    expect(oneLine(r.stderr)).toEqual([`clonewatch: cannot read ${args.includes('--cdrs') && args[args.indexOf('--cdrs') + 1] === missing ? 'CDRs at ' : ''}${missing}: no such file or directory`]);
  });
});

describe('a malformed ClickHouse URL: exit 2, one line, the password never shown', () => {
  it.each([
    ['detect', ['detect', '--cdrs', join(ROOT, 'fixtures/demo/cdrs'), '--cells', join(ROOT, 'fixtures/demo/cells.csv.gz'), '--out', tempDir(), '--clickhouse', 'http://analyst:s3/cret@127.0.0.1:1/db']],
    ['sql', ['sql', 'SELECT 1', '--clickhouse', 'http://analyst:s3%zzcret@127.0.0.1:1/db']],
    ['run', ['run', '--clickhouse', 'http://analyst:8123/s3cret@127.0.0.1/db', '--brokers', '127.0.0.1:1', '--log-level', 'error']],
  ])('%s', async (_what, args) => {
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(/s3|cret|URI malformed/);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/percent-encoded|percent-escape/);
  });
});
