// A parse worker of a parallel `detect` (pipeline/parallel-run.ts): pass 1 over whole files or ranges of large
// plain files (IMEI keys and their IMSIs, record boundaries to split at), then pass 2 over byte ranges (CSV parse
// and validation), sending the rows back in file order in transferable batches. Admission and matching stay on
// the main thread.
import { parentPort } from 'node:worker_threads';
import { CdrCsvParser, type CdrRowHandler, type CsvResumePoint } from '../input/cdr-csv.js';
import { readCdrChunks, readRangeChunks, type CdrInput } from '../input/cdr-files.js';
import { InputError } from '../domain/errors.js';
import { makeReject } from '../domain/reject.js';
import { KeyImsiTable, keyImsiScanner, KeySet, type KeyImsiColumns } from './multi-imsi-keys.js';
import { ParsedBatchBuilder, parsedBatchTransfer, receivedBatch, ROW_ID_CHECK, ROW_MATCH, ROW_NEEDS_ID, type ParsedBatch } from './parsed-batch.js';
import { CellCatalogue, type CatalogueKeys } from '../input/cell-catalogue.js';
import { RepeatedIds, type RepeatedIdsMemory } from './repeated-ids.js';
import { csvWarmupFiles, warmupCatalogue } from '../input/csv-warmup.js';
import { blankCdr, type Cdr, type RejectReason } from '../domain/types.js';
import { InflatedCopy, inflatedRangeChunks, type InflatedBytes } from './inflated-copy.js';
import { expectDetachedBuffers } from '../domain/arrays.js';

const LF = 10;
/** A header is read in reads of this size (one, as a rule). */
const HEAD_READ_BYTES = 64 << 10;

/** One byte range of one input; `from` null: from the start of the input (header, BOM). */
export interface ParseUnit {
  id: number;
  input: CdrInput;
  from: CsvResumePoint | null;
  /** Byte offset where the range ends (a record start), undefined: end of input. */
  to: number | undefined;
  /** A gzip input's inflated bytes, kept by pass 1 (offsets are in them); undefined: read the file. */
  memory?: InflatedBytes;
}

/**
 * One input for pass 1: note a resume point every `splitBytes` (0: none); keep a gzip input's inflated bytes.
 * With `range`, one byte range of a plain file (see scanRange).
 */
export interface ScanJob {
  index: number;
  input: CdrInput;
  splitBytes: number;
  gzip: boolean;
  range?: ScanRange;
}

/**
 * Range `k` of a plain file cut every `step` bytes: it starts at the first line start at or after k * step and
 * ends at the first line start at or after (k + 1) * step (the last range: at the end of the file).
 */
export interface ScanRange {
  k: number;
  step: number;
  /** Ranges of the file (the last one ends at the end of the file). */
  count: number;
}

/**
 * What pass 1 read of one range: from `start` (null: the range held no line start) to `end`, the record start
 * where it stopped (null: the end of the file), over `lines` physical lines. Its resume points' lines count
 * from `start`. A range that started inside a quoted field is told by the range before it, which ends past
 * that start (scan-start.ts, joinRanges).
 */
export interface ScannedRange {
  k: number;
  start: number | null;
  end: number | null;
  lines: number;
}

/** Pass 1's record boundaries of one input, or of one range of it. */
export interface ScannedSplit {
  index: number;
  points: CsvResumePoint[];
  memory: InflatedBytes | null;
  range?: ScannedRange;
}

export type ParseRequest =
  /** How to read this run's inputs (first message; the warm-up runs before it, with WARM_UP_DATA). */
  | { type: 'init'; data: ParseWorkerData }
  /**
   * Pass 1's jobs, the same list to every worker: each takes the next one not taken by adding 1 to `next[0]`
   * (shared memory), so that no worker waits for the main thread between jobs (it can be busy for 0.2 s loading
   * chDB). When none is left, the worker sends its table.
   */
  | { type: 'scan'; jobs: ScanJob[]; next: Int32Array }
  /**
   * Pass 1's result: the IMEI keys to match, and the merged record_id bit sets (shared memory); with the cell
   * catalogue's keys (shared memory), loaded by the main thread while pass 1 ran, to tell the main thread what
   * the catalogue says of each CDR's cell.
   */
  | { type: 'keys'; slots: Float64Array; ids: RepeatedIdsMemory; cells: CatalogueKeys }
  | { type: 'parse'; unit: ParseUnit }
  | { type: 'credit' }
  /** A batch the main thread has read, sent back for its arrays to be reused. */
  | { type: 'recycle'; batch: ParsedBatch };

export type ParseReply =
  /** Pass 1's record boundaries of an input or range read (none for a gzip input not kept in memory). */
  | { type: 'scanned'; split: ScannedSplit }
  | { type: 'table'; cols: KeyImsiColumns; ids: RepeatedIdsMemory }
  | { type: 'batch'; unit: number; batch: ParsedBatch; bytes: number }
  | { type: 'end'; unit: number; rows: number }
  | { type: 'failed'; unit: number; message: string; code: InputErrorCode };

/** The codes of an InputError (sent across the thread boundary as data). */
export type InputErrorCode = ConstructorParameters<typeof InputError>[1] & string;

export interface ParseWorkerData {
  tzOffsetMin: number;
  maxLineBytes: number;
  batchRows: number;
  maxInFlight: number;
  /** Size of the record_id bit sets this worker fills in pass 1 (RepeatedIds.bitsFor the input size). */
  idBits: number;
  /** The run's budget for gzip inputs' inflated bytes kept in memory (inflated-copy.ts), shared by the workers. */
  inflatedBudget: Int32Array;
}

const port = parentPort;
if (!port) throw new Error('parse-worker must run as a worker thread');
// It transfers every batch it sends: domain/arrays.ts.
expectDetachedBuffers();
/** What the warm-up reads with; the 'init' message brings the run's. */
const WARM_UP_DATA: ParseWorkerData = { tzOffsetMin: -300, maxLineBytes: 1 << 20, batchRows: 8192, maxInFlight: 12, idBits: 1 << 16, inflatedBudget: new Int32Array(1) };
let d = WARM_UP_DATA;
/** Pass 1: the record_id hashes of the inputs this worker reads; pass 2: all workers' merged (the 'keys' message). */
let ids = RepeatedIds.create(WARM_UP_DATA.idBits);
/** The cell catalogue (the 'keys' message; until then a small one for the warm-up). */
let cells = CellCatalogue.fromKeys(warmupCatalogue().sharedKeys());
/** The IMEI keys to match (pass 1's result, sent before the first range of pass 2). */
let matchKeys = new KeySet();

/** Batches sent back by the main thread, to be filled again. */
const pool: ParsedBatch[] = [];
const MAX_POOL = 4;

let inFlight = 0;
let wake: (() => void) | null = null;
const queue: ParseUnit[] = [];
let busy = false;

port.on('message', (m: ParseRequest) => {
  if (m.type === 'recycle') {
    if (pool.length < MAX_POOL) pool.push(receivedBatch(m.batch));
  } else if (m.type === 'credit') {
    inFlight--;
    const w = wake;
    wake = null;
    w?.();
  } else if (m.type === 'init') {
    d = m.data;
    // In shared memory: the main thread merges the other workers' sets into the first one in place.
    ids = RepeatedIds.create(d.idBits, true);
    scanner = keyImsiScanner(scanTable, d.tzOffsetMin, ids);
  } else if (m.type === 'scan') {
    void scan(m.jobs, m.next);
  } else if (m.type === 'keys') {
    matchKeys = new KeySet(m.slots);
    ids = new RepeatedIds(m.ids);
    cells = CellCatalogue.fromKeys(m.cells);
  } else {
    queue.push(m.unit);
    if (!busy) void drain();
  }
});

/** Pass 1's (IMEI key, IMSI) table of every input this worker read. */
const scanTable = new KeyImsiTable();
// Pass 1 only: it notes into the bit sets this worker fills (the merged ones replace them for pass 2).
let scanner = keyImsiScanner(scanTable, d.tzOffsetMin, ids);

/** Pass 1 reads no row: its scanner takes them. */
const IGNORE: CdrRowHandler = { record: () => undefined, reject: () => undefined };

/**
 * The warm-up's pass-2 readers, kept for the worker's life. The reader compiled during the warm-up holds its
 * objects weakly; once the garbage collector took them (during the real pass 1), V8 dropped that code ("weak
 * objects"), compiled the reader again without the feedback of the row handler's call, and dropped it again at
 * the first row of pass 2: 2 of each worker's recompiles of `consume` on the 1M bench day (4 a run; 0 with them
 * kept). Keeping pass 1's warm-up readers as well changed nothing.
 */
const warmUpReaders: CdrCsvParser[] = [];

/**
 * Read the warm-up input (input/csv-warmup.ts) through both passes' code, with a table, bit sets and batches
 * that are thrown away, so that V8 compiles the reader once with every path seen. Twice: V8 compiles the reader
 * in the middle of the first round, with the feedback of one pass only, and the first real files of each pass
 * then threw that code away again (a one-thread replay of a four-file day: 5 recompiles of `consume` after one
 * round, 1 after two).
 */
async function warmUp(): Promise<void> {
  const files = csvWarmupFiles();
  for (let round = 0; round < 2; round++) {
    // A table that starts small, so that its growing is seen too (pass 1 grows its table several times).
    const table = new KeyImsiTable(16);
    const seen = RepeatedIds.create(1 << 16);
    // Record_id hashes put off by 64 (not 4,096), so that a row also hands a full batch on (else V8 compiled the
    // scanner's row without that call, and threw it away in each worker's first file).
    const scan = keyImsiScanner(table, d.tzOffsetMin, seen, 64);
    for (const chunks of files) {
      const p = new CdrCsvParser('warm-up', d.tzOffsetMin, IGNORE, d.maxLineBytes, scan);
      p.noteResumePoints(4096);
      for (const c of chunks) p.push(c);
      p.end();
    }
    // Pass 2 with what pass 1 found, so that matched rows and rows checked for a duplicate are read too.
    const [keys, repeated] = [matchKeys, ids];
    matchKeys = table.multiKeys();
    ids = seen;
    for (const chunks of files) {
      await readUnit(
        'warm-up',
        null,
        chunks,
        async (batch) => {
          if (pool.length < MAX_POOL) pool.push(batch);
        },
        warmUpReaders,
      );
    }
    [matchKeys, ids] = [keys, repeated];
  }
}
/** Pass 1: take the next job not taken until none is left, sending what each read; then send the table. */
async function scan(jobs: ScanJob[], next: Int32Array): Promise<void> {
  await warm;
  for (let j = Atomics.add(next, 0, 1); j < jobs.length; j = Atomics.add(next, 0, 1)) {
    const split = await scanJob(jobs[j]);
    if (split !== null) port!.postMessage({ type: 'scanned', split } satisfies ParseReply);
  }
  const cols = scanTable.columns();
  port!.postMessage({ type: 'table', cols, ids: ids.buffers } satisfies ParseReply, [cols.slots.buffer as ArrayBuffer]);
}

/** One job of pass 1: its record boundaries, or null when it could not be read (the failure is sent). */
async function scanJob({ index, input, splitBytes, gzip, range }: ScanJob): Promise<ScannedSplit | null> {
  if (range !== undefined) {
    try {
      return await scanRange(index, input, splitBytes, range);
    } catch (err) {
      postFailure(-1 - index, err);
      return null;
    }
  }
  const parser = new CdrCsvParser(input.name, d.tzOffsetMin, IGNORE, d.maxLineBytes, scanner);
  if (splitBytes > 0) parser.noteResumePoints(splitBytes);
  const copy = gzip ? new InflatedCopy(d.inflatedBudget) : null;
  try {
    for await (const chunk of readCdrChunks(input)) {
      parser.push(chunk);
      copy?.add(chunk);
    }
    parser.end();
  } catch (err) {
    // The main thread reports it when it reaches this input, as a sequential run would.
    postFailure(-1 - index, err);
    return null;
  }
  // A gzip input not kept is read whole in pass 2: its boundaries mean nothing in the file.
  const memory = copy?.result() ?? null;
  return { index, points: gzip && memory === null ? [] : parser.resumePoints(), memory };
}

/**
 * Pass 1 over one range of a plain file. It starts at the first line start at or after k * step, with the
 * column map of the file's header, and reads records until it stands at a record start that is the line start
 * where range k + 1 starts. When a record is still open there (range k + 1 started inside a quoted field with a
 * line end, so it read garbage), it reads on to the next range's start, and so on: the ranges it passes are
 * read again here, and their own results are dropped when the ranges are joined (scan-start.ts, joinRanges). What the
 * dropped ranges noted in the table and the bit sets stays: a key or a record_id noted for nothing only costs
 * matching or a duplicate check, never a finding or a reject.
 */
async function scanRange(index: number, input: CdrInput, splitBytes: number, range: ScanRange): Promise<ScannedSplit> {
  const parser = new CdrCsvParser(input.name, d.tzOffsetMin, IGNORE, d.maxLineBytes, scanner);
  /**
   * A range read no record of: its header unreadable or no line start in it (start null), or its first line
   * runs past the next cut (start = end).
   */
  const empty = (start: number | null): ScannedSplit => ({ index, points: [], memory: null, range: { k: range.k, start, end: start, lines: 0 } });
  const from = range.k * range.step;
  let stop = cutAfter(from, range);
  let columns: number[] | null = null;
  if (from > 0) {
    columns = await headerColumns(input);
    if (columns === null) return empty(null);
  } else parser.noteResumePoints(splitBytes);
  // Range 0 starts at the file's start; another at the first line start at or after `from`, after the first
  // line end at or after from - 1.
  let start: number | null = from > 0 ? null : 0;
  // Absolute offset of the next byte read.
  let at = from > 0 ? from - 1 : 0;
  const done = (end: number | null): ScannedSplit => {
    if (end === null) parser.end();
    else scanner.end();
    return { index, points: parser.resumePoints(), memory: null, range: { k: range.k, start, end, lines: parser.lines } };
  };
  for await (let chunk of readRangeChunks(input, at, undefined)) {
    if (start === null) {
      const nl = chunk.indexOf(LF);
      if (nl < 0) {
        at += chunk.length;
        continue;
      }
      start = at + nl + 1;
      at = start;
      chunk = chunk.subarray(nl + 1);
      // A line longer than the range: no record starts in it; the next range starts at the same place.
      if (start >= stop) return empty(start);
      parser.resumeAt({ offset: start, line: 0, colToField: columns! });
      parser.noteResumePoints(splitBytes);
    }
    while (chunk.length > 0) {
      // The line start where the next range starts (the first at or after `stop`), if it is in this chunk.
      const nl = stop === Infinity ? -1 : chunk.indexOf(LF, Math.max(0, stop - 1 - at));
      if (nl < 0) {
        parser.push(chunk);
        at += chunk.length;
        break;
      }
      const lineStart = at + nl + 1;
      parser.push(chunk.subarray(0, nl + 1));
      chunk = chunk.subarray(nl + 1);
      at = lineStart;
      if (parser.recordStartAt() === lineStart) return done(lineStart);
      // A record is open across the next range's start: read on to the start of the range after it.
      stop = cutAfter(lineStart, range);
    }
  }
  // The file ended in this range's first line (no record start after `from`).
  if (start === null) return empty(null);
  return done(null);
}

/** The first cut between two ranges after `offset` (a multiple of `step`), Infinity: none (read to the end). */
function cutAfter(offset: number, range: ScanRange): number {
  const next = Math.floor(offset / range.step) + 1;
  return next < range.count ? next * range.step : Infinity;
}

/** Column maps of the headers of the files this worker read ranges of (by path and size). */
const headers = new Map<string, number[] | null>();

/** The column map of a plain file's header (its first bytes), or null when it cannot be read: range 0 says why. */
async function headerColumns(input: CdrInput): Promise<number[] | null> {
  const key = `${input.bytes}:${input.path}`;
  let columns = headers.get(key);
  if (columns === undefined) headers.set(key, (columns = await readHeaderColumns(input)));
  return columns;
}

async function readHeaderColumns(input: CdrInput): Promise<number[] | null> {
  const parser = new CdrCsvParser(input.name, d.tzOffsetMin, IGNORE, d.maxLineBytes);
  const parts: Buffer[] = [];
  try {
    for await (const chunk of readRangeChunks(input, 0, undefined, HEAD_READ_BYTES)) {
      parts.push(chunk);
      const columns = parser.headerColumns(parts.length === 1 ? chunk : Buffer.concat(parts), false);
      if (columns !== null) return columns;
    }
    return parser.headerColumns(Buffer.concat(parts), true);
  } catch (err) {
    if (err instanceof InputError) return null;
    throw err;
  }
}

async function drain(): Promise<void> {
  busy = true;
  while (queue.length > 0) await parse(queue.shift()!);
  busy = false;
}

async function parse(unit: ParseUnit): Promise<void> {
  try {
    // A split plain file is read by byte ranges that start at record boundaries pass 1 found, a gzip file kept
    // in memory by ranges of its inflated bytes; another gzip file (or one not split) whole.
    // Progress counts the file's bytes: a whole file's as read (compressed, for gzip), kept inflated bytes
    // for their share of the compressed file.
    const start = unit.from?.offset ?? 0;
    let fileBytes = 0;
    const chunks = unit.memory
      ? inflatedRangeChunks(unit.memory, start, unit.to)
      : unit.from !== null || unit.to !== undefined
        ? readRangeChunks(unit.input, start, unit.to)
        : readCdrChunks(unit.input, (n) => (fileBytes += n));
    const whole = !unit.memory && unit.from === null && unit.to === undefined;
    const scale = unit.memory ? unit.input.bytes / Math.max(1, unit.memory.length) : 1;
    const rows = await readUnit(unit.input.name, unit.from, chunks, async (batch, read) => {
      const bytes = whole ? fileBytes : Math.round(read * scale);
      fileBytes = 0;
      while (inFlight >= d.maxInFlight) await new Promise<void>((r) => (wake = r));
      inFlight++;
      port!.postMessage({ type: 'batch', unit: unit.id, batch, bytes } satisfies ParseReply, parsedBatchTransfer(batch));
    });
    port!.postMessage({ type: 'end', unit: unit.id, rows } satisfies ParseReply);
  } catch (err) {
    postFailure(unit.id, err);
  }
}

/** Tell the main thread that `unit` (pass 1: -1 - input index) could not be read; rethrow any other error. */
function postFailure(unit: number, err: unknown): void {
  if (!(err instanceof InputError)) throw err;
  port!.postMessage({ type: 'failed', unit, message: err.message, code: err.code as InputErrorCode } satisfies ParseReply);
}

/**
 * Pass 2's row handler: each valid row into the batch with its flags, each reject as it is. A class, so that
 * the handler of every unit calls the same functions (a closure per unit made V8 recompile the reader).
 */
class BatchingHandler implements CdrRowHandler {
  parser: CdrCsvParser | null = null;

  constructor(
    private readonly source: string,
    private readonly builder: ParsedBatchBuilder,
  ) {}

  record(cdr: Cdr, line: number): void {
    const parser = this.parser!;
    // Only the CDRs the main thread matches, or checks for a duplicate, need their record_id as text.
    // The main thread looks up the cell of a CDR it matches; of the others it only counts what status() says,
    // which the whole batch asks the catalogue at once (markCellStatus) before it is sent.
    const flags = (matchKeys.has(cdr.key) ? ROW_MATCH : 0) | (ids.mayRepeat(cdr.idHash) ? ROW_ID_CHECK : 0);
    this.builder.addCdr(cdr, line, parser.currentRawBuffer(), parser.currentRawStart(), parser.currentRawEnd(), flags, (flags & ROW_NEEDS_ID) !== 0 ? parser.recordIdText() : '');
  }

  reject(reason: RejectReason, detail: string, line: number, raw: string): void {
    this.builder.addReject(makeReject(this.source, line, reason, detail, raw));
  }
}

/** Pass 2 over the chunks of one unit: batches to `send`, in order; returns the rows read. `keep`: where to keep its reader. */
async function readUnit(source: string, from: CsvResumePoint | null, chunks: AsyncIterable<Buffer> | Iterable<Buffer>, deliver: (batch: ParsedBatch, bytes: number) => Promise<void>, keep?: CdrCsvParser[]): Promise<number> {
  // A batch is sent after the chunk that fills it (a 1 MiB chunk holds ~10k rows): room for that without growing.
  const builder = new ParsedBatchBuilder(d.batchRows * 2, pool);
  let bytes = 0;
  const handler = new BatchingHandler(source, builder);
  const parser = new CdrCsvParser(source, d.tzOffsetMin, handler, d.maxLineBytes);
  handler.parser = parser;
  keep?.push(parser);
  parser.reuseCdr(blankCdr());
  const send = async (): Promise<void> => {
    const n = bytes;
    bytes = 0;
    builder.markCellStatus(cells);
    await deliver(builder.take(), n);
  };
  if (from !== null) parser.resumeAt(from);
  for await (const chunk of chunks) {
    bytes += chunk.length;
    parser.push(chunk);
    if (builder.size >= d.batchRows) await send();
  }
  parser.end();
  await send();
  return parser.rows;
}

// Last: it reads through everything above (classes are not hoisted).
const warm = warmUp();
