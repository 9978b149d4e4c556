import { closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Config } from '../../config/schema.js';
import { redactText } from '../../config/redact.js';
import { ClonewatchError } from '../../domain/errors.js';
import { requireCjs } from '../../domain/cjs.js';

const { ClickHouseLogLevel, createClient } = requireCjs('@clickhouse/client') as typeof import('@clickhouse/client');

/**
 * One connection to ClickHouse, whichever kind: a server over HTTP(S) or an embedded chDB directory.
 * Both go through the official `@clickhouse/client`, so the rest of the code does not care which.
 */
export interface ClickHouseStore {
  readonly kind: 'server' | 'chdb';
  readonly client: ClickHouseClient;
  readonly database: string;
  /** Where the data lives, without credentials: `server http://127.0.0.1:8123 (user default)` or `chDB <dir>`. */
  readonly label: string;
  /** What to pass to `--clickhouse` to reach the same store again (URL without password, or the directory). */
  readonly target: string;
  close(): Promise<void>;
}

/** A failure to reach or use ClickHouse. `retriable` says whether trying again later may help. */
export class ClickHouseStoreError extends ClonewatchError {
  constructor(message: string, code: string, retriable: boolean, options?: { cause?: unknown }) {
    super(message, code, { retriable, cause: options?.cause });
  }
}

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isServerTarget(target: string): boolean {
  return /^https?:\/\//i.test(target);
}

interface ServerParams {
  url: string;
  username: string;
  password: string;
  database: string;
  /** The URL as it may be printed: no password, no query string. */
  safeUrl: string;
}

/**
 * Database, user and password for a server: the URL first (`http://user:pass@host:8123/db`), then the
 * `CLICKHOUSE_USER` / `CLICKHOUSE_PASSWORD` / `CLICKHOUSE_DATABASE` environment variables, then the config
 * (whose database defaults to `clonewatch`).
 */
export function resolveServerParams(
  target: string,
  cfg: Pick<Config['clickhouse'], 'database' | 'username' | 'password'>,
  env: NodeJS.ProcessEnv = process.env,
): ServerParams {
  // Every message below shows the target redacted: a password never reaches an error line.
  const shown = JSON.stringify(redactText(target));
  const encodeHint = 'characters / ? # @ : % in a user or password must be percent-encoded (%2F %3F %23 %40 %3A %25)';
  let u: URL;
  try {
    u = new URL(target);
  } catch {
    throw new ClickHouseStoreError(`--clickhouse ${shown} is not a valid URL (${encodeHint})`, 'BAD_TARGET', false);
  }
  // An @ the parser did not take as the end of user:password (a raw / ? or # before it) would otherwise
  // turn part of the password into the host, port or database name.
  if (u.username === '' && u.password === '' && target.includes('@')) {
    throw new ClickHouseStoreError(`--clickhouse ${shown}: the part before @ is not read as user:password (${encodeHint})`, 'BAD_TARGET', false);
  }
  const decode = (part: string, what: string): string => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw new ClickHouseStoreError(`--clickhouse ${shown}: the ${what} has a malformed percent-escape (write a literal % as %25)`, 'BAD_TARGET', false);
    }
  };
  const urlDb = decode(u.pathname.replace(/^\/+|\/+$/g, ''), 'database path') || u.searchParams.get('database') || '';
  const username = decode(u.username, 'user') || env.CLICKHOUSE_USER || cfg.username || 'default';
  const password = decode(u.password, 'password') || env.CLICKHOUSE_PASSWORD || cfg.password || '';
  const database = urlDb || env.CLICKHOUSE_DATABASE || cfg.database;
  const origin = `${u.protocol}//${u.host}`;
  return { url: origin, username, password, database, safeUrl: origin };
}

function checkDatabase(database: string): void {
  if (!IDENTIFIER.test(database)) {
    throw new ClickHouseStoreError(
      `ClickHouse database name ${JSON.stringify(database)} must be letters, digits and _ (not starting with a digit)`,
      'BAD_DATABASE',
      false,
    );
  }
}

/**
 * Open the store named by `cfg.target` (an http(s) URL or a chDB directory; 'none' is the caller's business).
 * A chDB directory that another process holds gives a one-line error that says so.
 */
export async function openStore(
  cfg: Config['clickhouse'],
  opts: {
    requestTimeoutMs?: number;
    /** Create a missing chDB directory (default true; sql says it is missing instead). */
    create?: boolean;
    /** Make the configured database the session's default, so `FROM suspected_clones` names its table (sql). */
    useDatabase?: boolean;
  } = {},
): Promise<ClickHouseStore> {
  const target = cfg.target;
  if (target === 'none') throw new ClickHouseStoreError('ClickHouse is turned off (--clickhouse none)', 'BAD_TARGET', false);
  if (isServerTarget(target)) {
    const p = resolveServerParams(target, cfg);
    checkDatabase(p.database);
    const connect = (database?: string) =>
      createClient({
        url: p.url,
        username: p.username,
        password: p.password,
        request_timeout: opts.requestTimeoutMs ?? 60_000,
        // 18.16 answers compressed responses fine, but plain bodies keep errors readable.
        compression: { request: false, response: false },
        max_open_connections: 4,
        ...(database !== undefined ? { database } : {}),
        application: 'clonewatch',
        // The sink reports failures itself (once per outage, without the password); the client's own
        // logger would print every failed attempt with its stack.
        log: { level: ClickHouseLogLevel.OFF },
      });
    let client = connect();
    // The database becomes the default only once it exists: a server refuses every query naming a missing one.
    if (opts.useDatabase) {
      let exists: boolean;
      try {
        exists = await databaseExists(client, p.database);
      } catch (err) {
        await client.close().catch(() => {});
        const msg = firstLine(err instanceof Error ? err.message : String(err));
        throw new ClickHouseStoreError(`cannot reach ClickHouse server ${p.safeUrl}: ${msg}`, 'UNREACHABLE', true, { cause: err });
      }
      if (exists) {
        await client.close();
        client = connect(p.database);
      }
    }
    return {
      kind: 'server',
      client,
      database: p.database,
      label: `server ${p.safeUrl} (user ${p.username})`,
      target: p.safeUrl,
      close: () => client.close(),
    };
  }
  const dir = resolve(target);
  // The CLICKHOUSE_* variables are for servers; an embedded directory takes the database from the config.
  const database = cfg.database;
  checkDatabase(database);
  if (!existsSync(dir)) {
    if (opts.create === false) {
      throw new ClickHouseStoreError(
        `no ClickHouse data in ${target}: run clonewatch detect first, or pass --clickhouse <dir|url> of an existing store`,
        'CHDB_MISSING',
        false,
      );
    }
    mkdirSync(dir, { recursive: true });
  }
  // chDB is heavy (~0.2 s to load): loaded only when a directory is used.
  const { createChdbConnection } = requireCjs('chdb/connection') as typeof import('chdb/connection');
  // Our own lock first, taken atomically: chDB's would print a multi-line complaint on stderr when two
  // processes start on one directory at the same instant.
  const unlock = lockDir(dir, target);
  if (holderPid(dir) !== null) {
    unlock();
    throw chdbOpenError(target, dir, new Error('directory locked'));
  }
  let connection: ReturnType<typeof createChdbConnection>;
  try {
    connection = createChdbConnection({ path: dir });
  } catch (err) {
    unlock();
    throw chdbOpenError(target, dir, err);
  }
  // chdb declares the Connection type of @clickhouse/client-common, the client its own copy of it: same shape.
  const client = createClient({ connection: connection as unknown as ClientConnection });
  if (opts.useDatabase) {
    // A chDB session keeps its current database from one query to the next.
    try {
      if (await databaseExists(client, database)) await client.command({ query: `USE ${database}` });
    } catch (err) {
      await client.close().catch(() => {});
      unlock();
      throw chdbOpenError(target, dir, err);
    }
  }
  return {
    kind: 'chdb',
    client,
    database,
    label: `chDB ${target}`,
    target,
    close: () => client.close().finally(unlock),
  };
}

async function databaseExists(client: ClickHouseClient, database: string): Promise<boolean> {
  const rs = await client.query({ query: `SELECT name FROM system.databases WHERE name = ${sqlString(database)}`, format: 'JSONEachRow' });
  return ((await rs.json()) as unknown[]).length > 0;
}

/** Directories this process holds, with how many stores use each. */
const heldDirs = new Map<string, number>();

/**
 * Take `dir/clonewatch.lock` (created exclusively, holding our PID) or fail with the busy message. A lock
 * whose process is gone (killed) is taken over. Returns the release function (safe to call twice).
 */
function lockDir(dir: string, target: string): () => void {
  const lock = join(dir, 'clonewatch.lock');
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    const n = (heldDirs.get(dir) ?? 1) - 1;
    if (n > 0) {
      heldDirs.set(dir, n);
      return;
    }
    heldDirs.delete(dir);
    try {
      if (readFileSync(lock, 'utf8').trim() === String(process.pid)) unlinkSync(lock);
    } catch {
      /* already gone */
    }
  };
  const held = heldDirs.get(dir);
  if (held !== undefined) {
    heldDirs.set(dir, held + 1);
    return release;
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      heldDirs.set(dir, 1);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ClickHouseStoreError(`cannot open ClickHouse data directory ${target}: cannot create ${lock} (${(err as NodeJS.ErrnoException).code})`, 'CHDB_OPEN', false, { cause: err });
      }
    }
    let pid = NaN;
    try {
      pid = Number(readFileSync(lock, 'utf8').trim() || 'NaN');
    } catch {
      continue; // removed meanwhile: try again
    }
    // An empty lock is one being written right now: its owner is alive.
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) {
      try {
        unlinkSync(lock);
      } catch {
        /* another process took it over first */
      }
      continue;
    }
    throw chdbOpenError(target, dir, new Error('directory locked'), Number.isInteger(pid) ? pid : null);
  }
  throw chdbOpenError(target, dir, new Error('directory locked'));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * chDB reports a held directory as "Failed to create connection" (the "Cannot lock file .../status" detail
 * goes to stderr), so look at the lock's status file too: it exists, with the holder's PID, while a
 * process has the directory open, and is removed on a clean close.
 */
function holderPid(dir: string): number | null {
  try {
    const m = /PID:\s*(\d+)/.exec(readFileSync(join(dir, 'status'), 'utf8'));
    if (!m) return null;
    const pid = Number(m[1]);
    if (pid === process.pid) return null;
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

function chdbOpenError(target: string, dir: string, err: unknown, lockPid: number | null = null): ClickHouseStoreError {
  const msg = err instanceof Error ? err.message : String(err);
  const pid = lockPid ?? holderPid(dir);
  if (/Cannot lock file|already running|directory locked/i.test(msg) || pid !== null) {
    return new ClickHouseStoreError(
      `ClickHouse data directory ${target} is in use by another clonewatch process${pid !== null ? ` (pid ${pid})` : ''} (chDB allows one process per directory); ` +
        'wait for it to finish, or pass another --clickhouse directory or a server URL',
      'CHDB_DIR_BUSY',
      false,
      { cause: err },
    );
  }
  if (/only one active data directory per process/i.test(msg)) {
    return new ClickHouseStoreError(
      `cannot open ClickHouse data directory ${target}: this process already uses another chDB directory (chDB allows one per process)`,
      'CHDB_OTHER_DIR_OPEN',
      false,
      { cause: err },
    );
  }
  return new ClickHouseStoreError(`cannot open ClickHouse data directory ${target}: ${firstLine(msg)}`, 'CHDB_OPEN', false, {
    cause: err,
  });
}

export function firstLine(s: string): string {
  const line = s.split('\n').find((l) => l.trim() !== '') ?? s;
  return line.length > 300 ? line.slice(0, 300) + '…' : line;
}

/** Quote a string as a ClickHouse SQL literal (18.16 has no query parameters, so literals are escaped here). */
export function sqlString(s: string): string {
  return "'" + s.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
}
