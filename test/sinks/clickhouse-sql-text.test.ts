import { describe, expect, it } from 'vitest';
import { renderTable } from '../../src/cli/sql.js';
import { readOnlyRefusal, sqlShape } from '../../src/sinks/clickhouse/sql-text.js';
import { resolveServerParams, sqlString } from '../../src/sinks/clickhouse/connect.js';
import { isRetriable } from '../../src/sinks/clickhouse/retry.js';

describe('sqlShape (the guard of clonewatch sql)', () => {
  it.each([
    ['SELECT 1', 1, 'SELECT'],
    ['  select 1 ;  ', 1, 'SELECT'],
    ["SELECT ';' AS x -- ; DROP TABLE t", 1, 'SELECT'],
    ['/* DROP */ (SELECT 1)', 1, 'SELECT'],
    ['SELECT "a;b", `c;d` FROM t', 1, 'SELECT'],
    ["SELECT 'it\\'s;' AS x", 1, 'SELECT'],
    ["SELECT 'it''s;' AS x", 1, 'SELECT'],
    ['SELECT 1; DROP TABLE t', 2, 'SELECT'],
    ['WITH 1 AS x SELECT x', 1, 'WITH'],
    ['drop table t', 1, 'DROP'],
    ['-- only a comment', 0, ''],
  ])('%s: %i statement(s), first keyword %s', (sql, statements, keyword) => {
    expect(sqlShape(sql)).toMatchObject({ statements, keyword });
  });

  it.each([
    ['/* /* */ SELECT */ TRUNCATE TABLE t', 'TRUNCATE'],
    ['/* a /* b */ c */ /**/ DROP TABLE t', 'DROP'],
    ['# note\nALTER TABLE t DELETE WHERE 1', 'ALTER'],
    ['-- SELECT\nSYSTEM STOP MERGES', 'SYSTEM'],
    ['$$SELECT$$', ''],
  ])('reads comments as ClickHouse does: %s starts with %s', (sql, keyword) => {
    expect(sqlShape(sql).keyword).toBe(keyword);
  });

  it.each([
    ["SELECT 1 INTO OUTFILE 'f'", true],
    ["SELECT 1 into /* x */ outfile 'f'", true],
    ["SELECT 1 INTO -- x\n OUTFILE 'f'", true],
    ["SELECT 'INTO OUTFILE' AS s", false],
    ['SELECT 1 AS `INTO OUTFILE`', false],
    ["SELECT $t$ INTO OUTFILE $t$ AS s", false],
    ["SELECT 1 /* INTO OUTFILE 'f' */", false],
  ])('%s writes a file: %s', (sql, into) => {
    expect(sqlShape(sql).intoOutfile).toBe(into);
    expect(readOnlyRefusal(sqlShape(sql)) !== null).toBe(into);
  });

  it('an unterminated comment or string is an error, not a shorter query', () => {
    expect(sqlShape('SELECT 1 /* /* */ INTO OUTFILE').error).toMatch(/unterminated comment/);
    expect(sqlShape("SELECT 'abc").error).toMatch(/unterminated string/);
  });

  it('names --write when it refuses', () => {
    expect(readOnlyRefusal(sqlShape('DROP TABLE t'))).toMatch(/^DROP statements need --write/);
    expect(readOnlyRefusal(sqlShape('SELECT 1'))).toBeNull();
  });

  it('finds a trailing FORMAT clause, not one inside a string', () => {
    expect(sqlShape('SELECT 1 FORMAT Pretty;').format).toBe('Pretty');
    expect(sqlShape("SELECT 'x FORMAT CSV'").format).toBeNull();
  });

  it('drops a trailing semicolon and comment from the text it sends', () => {
    expect(sqlShape('SELECT 1; -- done\n').text).toBe('SELECT 1');
  });
});

describe('connection details', () => {
  it('takes user, password and database from the URL before the environment and the config', () => {
    const env = { CLICKHOUSE_USER: 'envuser', CLICKHOUSE_PASSWORD: 'envpw', CLICKHOUSE_DATABASE: 'envdb' };
    const cfg = { database: 'clonewatch', username: 'cfguser', password: 'cfgpw' };
    expect(resolveServerParams('http://u:p%40ss@h:8123/db1', cfg, env)).toMatchObject({ url: 'http://h:8123', username: 'u', password: 'p@ss', database: 'db1' });
    expect(resolveServerParams('https://h:8443', cfg, env)).toMatchObject({ username: 'envuser', password: 'envpw', database: 'envdb' });
    expect(resolveServerParams('http://h:8123', cfg, {})).toMatchObject({ username: 'cfguser', password: 'cfgpw', database: 'clonewatch' });
    expect(resolveServerParams('http://h:8123', { database: 'clonewatch' }, {})).toMatchObject({ username: 'default', password: '' });
  });

  it('escapes SQL string literals', () => {
    expect(sqlString("a'b\\c")).toBe("'a\\'b\\\\c'");
  });
});

describe('isRetriable', () => {
  const withCode = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});
  it.each([
    [withCode('connect ECONNREFUSED 127.0.0.1:8123', 'ECONNREFUSED'), true],
    [withCode('socket hang up', 'ECONNRESET'), true],
    [withCode('Timeout error.'), true],
    [withCode('Code: 241, e.displayText() = DB::Exception: Memory limit (for query) exceeded'), true],
    [withCode('Code: 62, e.displayText() = DB::Exception: Syntax error'), false],
    [withCode('Table x does not exist', '60'), false],
    [withCode('Code: 193, e.displayText() = DB::Exception: Wrong password for user default'), false],
  ])('%s -> %s', (err, retriable) => {
    expect(isRetriable(err)).toBe(retriable);
  });
});

describe('renderTable', () => {
  it('aligns columns, right-aligns numbers and shows NULL and arrays', () => {
    const out = renderTable(
      [
        { name: 'rule', type: 'Enum8' },
        { name: 'n', type: 'UInt64' },
        { name: 'cell', type: 'Nullable(String)' },
        { name: 'imsis', type: 'Array(String)' },
      ],
      [
        { rule: 'simultaneity', n: '3', cell: null, imsis: ['1', '2'] },
        { rule: 'time_distance', n: '12', cell: 'LTE:716:10:1:2', imsis: [] },
      ],
    );
    expect(out).toBe(
      [
        'rule            n  cell            imsis',
        '─────────────  ──  ──────────────  ─────────',
        'simultaneity    3  NULL            ["1","2"]',
        'time_distance  12  LTE:716:10:1:2  []',
        '',
      ].join('\n'),
    );
  });
});
