// One redaction for every place a config or a target is shown or stored (issue 10 item 4).
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/schema.js';
import { redact, redactJsonText, redactText } from '../../src/config/redact.js';
import { emptyCounters } from '../../src/domain/types.js';
import { createLogger } from '../../src/ops/log.js';
import { Registry } from '../../src/ops/metrics.js';
import { pipelineRun } from '../../src/pipeline/pipeline-run.js';
import { ClickHouseStoreError, resolveServerParams } from '../../src/sinks/clickhouse/connect.js';
import { runRow } from '../../src/sinks/clickhouse/rows.js';

const SECRET = 's3cret';

function config(target: string) {
  const r = parseConfig({ clickhouse: { target, password: 'cfg-' + SECRET }, kafka: { sasl: { mechanism: 'plain', username: 'svc', password: 'sasl-' + SECRET } } });
  if (!r.ok) throw new Error(r.message);
  return r.config;
}

describe('redactText', () => {
  it.each([
    ['http://analyst:s3cret@ch.example:8123/db', 'http://analyst:***@ch.example:8123/db'],
    ['https://u:s3/cret@h:8443', 'https://u:***@h:8443'],
    ['http://u:s3@cr@et@h/db', 'http://u:***@h/db'],
    ['http://u:s3%zzcret@h', 'http://u:***@h'],
    ['error at http://u:s3cret@h:1: refused; retry', 'error at http://u:***@h:1: refused; retry'],
    ['"http://u:s3cret@h"', '"http://u:***@h"'],
  ])('%s', (text, shown) => {
    expect(redactText(text)).toBe(shown);
  });

  it('leaves text without a URL password alone', () => {
    for (const t of ['http://h:8123/db', 'http://user@h:8123', './clonewatch-data/clickhouse', 'broker-1:9092', '+05:00']) expect(redactText(t)).toBe(t);
  });
});

describe('redact', () => {
  it('masks secret-named keys and URL passwords at any depth, keeps the rest', () => {
    const r = redact(config('http://analyst:s3cret@ch:8123/db'));
    const json = JSON.stringify(r);
    expect(json).not.toContain(SECRET);
    expect(r.clickhouse.target).toBe('http://analyst:***@ch:8123/db');
    expect(r.clickhouse.password).toBe('***');
    expect(r.kafka.sasl).toEqual({ mechanism: 'plain', username: 'svc', password: '***' });
    expect(r.windowS).toBe(config('none').windowS);
  });

  it('redacts a config_json text, and drops text that is not JSON but names a secret', () => {
    expect(redactJsonText(JSON.stringify({ clickhouse: { password: 'a', target: 'http://u:b@h' }, windowS: 1 }))).toBe('{"clickhouse":{"password":"***","target":"http://u:***@h"},"windowS":1}');
    expect(redactJsonText('password=a')).toBe('');
  });
});

describe('every place a config or target is shown or stored', () => {
  const cfg = config('http://analyst:s3cret@ch:8123/db');

  it('pipeline_runs.config_json of detect and run (the PipelineRun builder and the row written)', () => {
    for (const mode of ['detect', 'run'] as const) {
      const run = pipelineRun({ runId: 'r', mode, startedAt: new Date(0), inputs: 'x', counters: emptyCounters(), config: cfg, notes: [`stopped on error: cannot reach ${cfg.clickhouse.target}`] });
      expect(run.config_json).not.toContain(SECRET);
      expect(JSON.parse(run.config_json).clickhouse.target).toBe('http://analyst:***@ch:8123/db');
      expect(run.notes).toEqual(['stopped on error: cannot reach http://analyst:***@ch:8123/db']);
      expect(JSON.stringify(runRow(run, [`outage at ${cfg.clickhouse.target}`], 0))).not.toContain(SECRET);
    }
  });

  it('logs: message, fields, nested fields and errors', () => {
    const lines: string[] = [];
    const log = createLogger('debug', { target: cfg.clickhouse.target }, (l) => lines.push(l));
    log.info(`opening ${cfg.clickhouse.target}`, { config: cfg, error: new Error(`cannot reach ${cfg.clickhouse.target}`), when: new Date(0) });
    expect(lines.join('')).not.toContain(SECRET);
    expect(JSON.parse(lines[0]).when).toBe('1970-01-01T00:00:00.000Z');
  });

  it('metrics exposition', () => {
    const reg = new Registry();
    reg.counter('x_total', 'x').inc({ target: cfg.clickhouse.target });
    expect(reg.render()).not.toContain(SECRET);
  });
});

describe('malformed ClickHouse URLs: a clear one-line error that never echoes the password', () => {
  it.each([
    ['a raw / in the password', 'http://analyst:s3/cret@127.0.0.1:8123/db'],
    ['a raw / whose first part looks like a port', 'http://analyst:8123/s3cret@127.0.0.1/db'],
    ['a raw ? in the password', 'http://analyst:s3?cret@127.0.0.1:8123'],
    ['a malformed percent-escape', 'http://analyst:s3%zzcret@127.0.0.1:8123/db'],
    ['a malformed escape in the user', 'http://an%zzalyst:s3cret@127.0.0.1:8123/db'],
  ])('%s', (_what, target) => {
    let err: unknown;
    try {
      resolveServerParams(target, { database: 'clonewatch' }, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ClickHouseStoreError);
    const e = err as ClickHouseStoreError;
    expect(e.code).toBe('BAD_TARGET');
    expect(e.message).not.toMatch(/s3|cret|URI malformed/);
    expect(e.message).not.toContain('\n');
    expect(e.message).toMatch(/percent/);
  });

  it('a well-formed encoded password still works', () => {
    expect(resolveServerParams('http://analyst:s3%2Fcr%25et@h:8123/db', { database: 'clonewatch' }, {})).toMatchObject({ password: 's3/cr%et', database: 'db' });
  });
});
