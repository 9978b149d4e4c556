import type { Config } from '../../config/schema.js';
import type { PipelineRun } from '../../domain/types.js';
import type { OutputBatch, Sink } from '../sink.js';
import { ClickHouseStoreError, firstLine, type ClickHouseStore } from './connect.js';
import { insertRows } from './insert.js';
import { backoffMs, failureName, isRetriable } from './retry.js';
import { candidateRow, findingRow, rejectRow, runRow, type Row } from './rows.js';
import { makeReject } from '../../domain/reject.js';

/**
 * Errors that say the table or the session is wrong (missing table or database, permissions, read-only):
 * every row would fail the same way, so there is no refused row to single out.
 */
const NOT_ROW_CONTENT = /Code: (60|81|164|192|193|194|195|197|241|497|516)\b|UNKNOWN_TABLE|UNKNOWN_DATABASE|doesn't exist|does not exist|ACCESS_DENIED|Authentication|NOT_ENOUGH_PRIVILEGES|READONLY/i;
const ROW_CONTENT_ERROR = (err: Error): boolean => !NOT_ROW_CONTENT.test(err.message);
import type { InsertTable } from './schema.js';

/** A buffered row, the partition its insert block belongs to, and when it was buffered (monotonic ms). */
interface Pending {
  row: Row;
  partition: string;
  atMs: number;
}

class TableBuffer {
  readonly rows: Pending[] = [];
  added = 0;
  removed = 0;
  written = 0;
  constructor(
    readonly table: InsertTable,
    readonly label: string,
  ) {}
}

/** One stretch of time during which ClickHouse refused inserts for a retriable reason. */
export interface Outage {
  startMs: number;
  endMs: number | null;
  attempts: number;
  reason: string;
}

export interface ClickHouseSinkOptions {
  runId: string;
  log?: (line: string) => void;
  /** Wall clock, for rejected_at (tests pin it). */
  now?: () => number;
}

type Settings = Pick<Config['clickhouse'], 'batchRows' | 'flushIntervalMs' | 'maxBufferedRows' | 'retryForMs'>;

/**
 * Writes findings, block candidates and rejects to ClickHouse in batches (by size and by time), retries
 * transient failures with exponential backoff, and slows the source down when its bounded buffer is full.
 *
 * Why rows are never lost or doubled: a batch leaves the buffer only after ClickHouse confirmed its insert;
 * an insert that failed in an unknown state is sent again, and the ReplacingMergeTree keys (finding_id,
 * candidate_id, source+line) collapse any copy under FINAL.
 */
export class ClickHouseSink implements Sink {
  readonly name = 'clickhouse';
  private readonly buffers: TableBuffer[];
  private readonly findings: TableBuffer;
  private readonly candidates: TableBuffer;
  private readonly rejects: TableBuffer;
  private buffered = 0;
  private flushing: Promise<void> | null = null;
  /** A flush covers each buffer up to these counts of added rows (rows added later wait for their own turn). */
  private readonly flushUpTo = [0, 0, 0];
  private failure: Error | null = null;
  private closing: Promise<void> | null = null;
  /** Wakes when the oldest buffered row has waited flushIntervalMs. */
  private due: NodeJS.Timeout | null = null;
  private waiters: { resolve: () => void; reject: (e: Error) => void; ready: () => boolean }[] = [];
  private readonly outages: Outage[] = [];
  private current: Outage | null = null;
  /** Outages already noted in a pipeline_runs row. */
  private outagesRecorded = 0;
  private readonly log: (line: string) => void;
  private readonly now: () => number;

  constructor(
    readonly store: ClickHouseStore,
    private readonly settings: Settings,
    private readonly opts: ClickHouseSinkOptions,
  ) {
    const db = store.database;
    this.findings = new TableBuffer('suspected_clones', `${db}.suspected_clones`);
    this.candidates = new TableBuffer('block_candidates', `${db}.block_candidates`);
    this.rejects = new TableBuffer('rejected_cdrs', `${db}.rejected_cdrs`);
    this.buffers = [this.findings, this.candidates, this.rejects];
    this.log = opts.log ?? (() => {});
    this.now = opts.now ?? Date.now;
  }

  async write(batch: OutputBatch): Promise<void> {
    this.throwIfUnusable();
    const runId = this.opts.runId;
    const now = this.now();
    // Convert first, so a bad record throws here, before anything is buffered.
    // The partition of each row, as the table's PARTITION BY computes it (day or month of a DateTime column).
    const at = performance.now();
    const f = batch.findings.map((x) => toPending(findingRow(x, runId), 'time_a', 10, at));
    const c = batch.candidates.map((x) => toPending(candidateRow(x, runId), 'first_evidence_at', 7, at));
    const r = batch.rejects.map((x) => toPending(rejectRow(x, runId, now), 'rejected_at', 7, at));
    const n = f.length + c.length + r.length;
    if (n === 0) return;
    // Backpressure: wait for room (an oversized batch gets in alone once the buffer is empty).
    const max = this.settings.maxBufferedRows;
    if (this.buffered > 0 && this.buffered + n > max) {
      this.kick(true);
      await this.waitFor(() => this.buffered === 0 || this.buffered + n <= max);
    }
    this.push(this.findings, f);
    this.push(this.candidates, c);
    this.push(this.rejects, r);
    if (this.buffers.some((b) => b.rows.length >= this.settings.batchRows)) this.kick(false);
    this.armTimer();
  }

  private push(buf: TableBuffer, rows: Pending[]): void {
    for (const p of rows) buf.rows.push(p);
    buf.added += rows.length;
    this.buffered += rows.length;
  }

  /** Resolves once everything written before the call is confirmed by ClickHouse. */
  async flush(): Promise<void> {
    this.throwIfUnusable(true);
    const targets = this.buffers.map((b) => b.added);
    if (this.buffers.every((b, i) => b.removed >= targets[i])) return;
    this.kick(true);
    await this.waitFor(() => this.buffers.every((b, i) => b.removed >= targets[i]));
  }

  /**
   * One pipeline_runs row. Its notes and clickhouse_outage_s cover the outages since the previous
   * recordRun (a streaming job records one row per interval).
   */
  async recordRun(run: PipelineRun): Promise<void> {
    await this.flush();
    const outages = this.outages.slice(this.outagesRecorded);
    const outageS = outages.reduce((s, o) => s + ((o.endMs ?? this.now()) - o.startMs) / 1000, 0);
    const row = runRow(run, this.outageNotes(outages), Math.round(outageS * 1000) / 1000);
    await this.withRetry(`insert of run ${run.run_id} into ${this.store.database}.pipeline_runs`, () =>
      insertRows(this.store, 'pipeline_runs', [row]),
    );
    this.outagesRecorded = this.outages.length;
  }

  describe(): string[] {
    const db = this.store.database;
    const where = this.store.label;
    const flag = this.store.target === './clonewatch-data/clickhouse' || this.store.target === 'clonewatch-data/clickhouse'
      ? ''
      : ` --clickhouse ${shellQuote(this.store.target)}`;
    const lines = [
      `findings in ClickHouse: ${where}, database ${db} (${this.findings.written} findings, ${this.candidates.written} candidate emissions, ` +
        `${this.rejects.written} rejects written) — try: npx clonewatch sql${flag} "SELECT rule, count() FROM ${db}.suspected_clones FINAL GROUP BY rule"`,
    ];
    for (const note of this.outageNotes()) lines.push(note);
    if (this.failure) lines.push(`ClickHouse sink failed: ${firstLine(this.failure.message)}`);
    return lines;
  }

  /** Outages seen so far, for describe() and pipeline_runs.notes. */
  outageReport(): readonly Outage[] {
    return this.outages;
  }

  private outageNotes(outages: readonly Outage[] = this.outages): string[] {
    return outages.map((o) => {
      const s = (((o.endMs ?? this.now()) - o.startMs) / 1000).toFixed(1);
      const at = new Date(o.startMs).toISOString();
      return o.endMs === null
        ? `ClickHouse outage: unreachable since ${at} (${s} s, ${o.reason}, ${o.attempts} failed attempts)`
        : `ClickHouse outage: unreachable for ${s} s from ${at} (${o.reason}, ${o.attempts} failed attempts); ` +
            'the buffered rows were written after it recovered, none lost';
    });
  }

  async close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        try {
          if (!this.failure) await this.flush();
        } finally {
          if (this.due) clearTimeout(this.due);
          this.rejectWaiters(this.failure ?? new Error('ClickHouse sink closed'));
          await this.store.close().catch(() => {});
        }
        if (this.failure) throw this.failure;
      })();
    }
    return this.closing;
  }

  // ---- the flush loop ----

  /**
   * Start inserting, if no insert is in flight: full batches, and with `force` every row buffered so far.
   * Rows that arrive while it runs ride along in the same inserts, but do not start more of them: they wait
   * for a full batch, their own flushIntervalMs, or the next flush. Otherwise a steady stream of rows (a
   * backlog read at full speed) would keep ClickHouse inserting small blocks back to back.
   */
  private kick(force: boolean): void {
    if (force) this.buffers.forEach((b, i) => (this.flushUpTo[i] = Math.max(this.flushUpTo[i], b.added)));
    if (this.flushing || this.failure) return;
    this.flushing = this.drain()
      .catch((err: Error) => this.fail(err))
      .finally(() => {
        this.flushing = null;
        if (this.failure) return;
        if (this.nextToInsert()) this.kick(false);
        else this.armTimer();
      });
  }

  private async drain(): Promise<void> {
    for (let buf = this.nextToInsert(); buf; buf = this.nextToInsert()) {
      await this.insertChunk(buf, Math.min(buf.rows.length, this.settings.batchRows));
    }
  }

  /** The buffer to insert from next: a full batch first, then rows a flush still covers; none when neither. */
  private nextToInsert(): TableBuffer | undefined {
    return this.buffers.find((b) => b.rows.length >= this.settings.batchRows) ?? this.buffers.find((b, i) => b.removed < this.flushUpTo[i]);
  }

  /**
   * Flush when the oldest buffered row has waited flushIntervalMs (one timer at a time). While an insert is
   * in flight the timer waits for it: the drain's end arms it again for what is left.
   */
  private armTimer(): void {
    if (this.due || this.buffered === 0 || this.failure || this.closing) return;
    this.due = setTimeout(() => {
      this.due = null;
      if (this.flushing || this.buffered === 0) return;
      if (performance.now() + 1 >= this.dueAtMs()) this.kick(true);
      else this.armTimer();
    }, Math.max(0, this.dueAtMs() - performance.now()));
    this.due.unref();
  }

  private dueAtMs(): number {
    let oldest = Infinity;
    for (const b of this.buffers) if (b.rows.length > 0) oldest = Math.min(oldest, b.rows[0].atMs);
    return oldest + this.settings.flushIntervalMs;
  }

  /** Insert the first `n` rows of a buffer, one insert per partition, and drop them once confirmed. */
  private async insertChunk(buf: TableBuffer, n: number): Promise<void> {
    const chunk = buf.rows.slice(0, n);
    const groups = new Map<string, Row[]>();
    for (const p of chunk) {
      let g = groups.get(p.partition);
      if (!g) groups.set(p.partition, (g = []));
      g.push(p.row);
    }
    for (const rows of groups.values()) await this.insertIsolating(buf, rows);
    buf.rows.splice(0, n);
    buf.removed += n;
    buf.written += n;
    this.buffered -= n;
    this.wakeWaiters();
  }

  /**
   * Insert rows; when ClickHouse refuses them for their content (not for a missing table, a permission or an
   * outage), find the refused rows by halving and write each as a malformed_row reject instead, so one row
   * can never block the stream forever. When every row is refused the cause is not the content: it fails.
   */
  private async insertIsolating(buf: TableBuffer, rows: Row[]): Promise<void> {
    const refused: Array<{ row: Row; err: ClickHouseStoreError }> = [];
    const attempt = async (part: Row[]): Promise<void> => {
      try {
        await this.withRetry(`insert of ${part.length} rows into ${buf.label}`, () => insertRows(this.store, buf.table, part));
      } catch (err) {
        if (!(err instanceof ClickHouseStoreError) || err.code !== 'INSERT_FAILED' || !ROW_CONTENT_ERROR(err)) throw err;
        if (part.length === 1) {
          refused.push({ row: part[0], err });
          return;
        }
        const mid = part.length >> 1;
        await attempt(part.slice(0, mid));
        await attempt(part.slice(mid));
      }
    };
    await attempt(rows);
    if (refused.length === 0) return;
    if (refused.length === rows.length) throw refused[0].err;
    this.log(`ClickHouse refused ${refused.length} of ${rows.length} rows of ${buf.label} for their content (${refused[0].err.message}); written to rejected_cdrs as malformed_row`);
    if (buf.table === 'rejected_cdrs') return;
    const now = this.now();
    const rejects = refused.map(({ row, err }) =>
      rejectRow(makeReject(`clickhouse/${buf.table}`, null, 'malformed_row', `ClickHouse refused this row: ${err.message}`, JSON.stringify(row)), this.opts.runId, now),
    );
    await this.withRetry(`insert of ${rejects.length} rows into rejected_cdrs`, () => insertRows(this.store, 'rejected_cdrs', rejects));
  }

  private async withRetry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await fn();
        if (this.current) {
          this.current.endMs = this.now();
          const s = ((this.current.endMs - this.current.startMs) / 1000).toFixed(1);
          this.log(`ClickHouse reachable again after ${s} s (${this.current.attempts} failed attempts); no rows lost`);
          this.current = null;
        }
        return result;
      } catch (err) {
        if (!isRetriable(err)) {
          throw new ClickHouseStoreError(`ClickHouse ${what} failed: ${firstLine((err as Error).message ?? String(err))}`, 'INSERT_FAILED', false, {
            cause: err,
          });
        }
        const now = this.now();
        if (!this.current) {
          this.current = { startMs: now, endMs: null, attempts: 0, reason: failureName(err) };
          this.outages.push(this.current);
          this.log(
            `ClickHouse unreachable (${this.current.reason}) on ${what}; retrying with backoff for up to ${Math.round(this.settings.retryForMs / 1000)} s, ` +
              `${this.buffered} rows kept in the buffer`,
          );
        }
        this.current.attempts++;
        if (now - this.current.startMs >= this.settings.retryForMs) {
          throw new ClickHouseStoreError(
            `ClickHouse unreachable for ${Math.round((now - this.current.startMs) / 1000)} s (${this.current.reason}); gave up on ${what} ` +
              `with ${this.buffered} rows not written`,
            'UNREACHABLE',
            true,
            { cause: err },
          );
        }
        await sleep(backoffMs(attempt));
      }
    }
  }

  // ---- waiting ----

  private waitFor(ready: () => boolean): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject, ready }));
  }

  private wakeWaiters(): void {
    const still: typeof this.waiters = [];
    for (const w of this.waiters) (w.ready() ? w.resolve() : still.push(w));
    this.waiters = still;
  }

  private rejectWaiters(err: Error): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.reject(err);
  }

  private fail(err: Error): void {
    if (!this.failure) {
      this.failure = err;
      this.log(firstLine(err.message));
    }
    this.rejectWaiters(err);
  }

  private throwIfUnusable(allowClosing = false): void {
    if (this.failure) throw this.failure;
    if (this.closing && !allowClosing) throw new Error('ClickHouse sink is closed');
  }
}

function toPending(row: Row, timeColumn: string, prefix: number, atMs: number): Pending {
  return { row, partition: (row[timeColumn] as string).slice(0, prefix), atMs };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
