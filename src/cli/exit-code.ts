import { ClonewatchError, InputError, UsageError } from '../domain/errors.js';

/**
 * ClickHouse store codes (sinks/clickhouse/connect.ts) that mean the store named by --clickhouse cannot be
 * used as given: a bad URL or database name, a missing or busy chDB directory, a store that refuses the
 * schema. Matched by code so that this module does not load the ClickHouse client.
 */
const UNUSABLE_STORE_CODES = new Set(['BAD_TARGET', 'BAD_DATABASE', 'CHDB_MISSING', 'CHDB_DIR_BUSY', 'CHDB_OTHER_DIR_OPEN', 'CHDB_OPEN', 'OPEN_FAILED', 'SCHEMA']);

/**
 * The exit code of a command that failed with `err`, the same in every command:
 * - 2: the command cannot work with what it was given (a bad argument or configuration, an unreadable
 *   input, a ClickHouse store that cannot be opened); changing the call is what helps.
 * - 1: it failed while running (a service gave up, a sink failed, a query was refused) or on a bug.
 * (0 is success; `run` exits 130 on a second signal.)
 */
export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError || err instanceof InputError) return 2;
  if (err instanceof ClonewatchError && UNUSABLE_STORE_CODES.has(err.code)) return 2;
  return 1;
}
