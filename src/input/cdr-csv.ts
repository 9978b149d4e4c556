import { objectArray } from '../domain/arrays.js';
import type { Cdr, RejectReason } from '../domain/types.js';
import { CDR_FIELDS, N_FIELDS, newInvalid, validateCdrBytes, validateLineBytes } from './cdr-validate.js';
import { InputError } from '../domain/errors.js';
import { QuotedRecordParser } from './csv-records.js';
import { cutNote, MAX_REJECT_RAW_BYTES, rawFromBytes } from '../domain/reject.js';

/**
 * Instead of validating, hand a row's fields (byte ranges in field order CDR_FIELDS) to a scanner: a first
 * pass over a file that only needs a few fields (pipeline/multi-imsi-keys.ts) still splits records exactly
 * as the validating pass will.
 */
export interface CdrFieldScanner {
  /** The fields (CDR_FIELDS indexes) `row` reads: a line is split only as far as the last of them. */
  fields: readonly number[];
  /** A row's `fields`; true when it needs every field of the row: `whole` is then called with them all. */
  row(buf: Buffer, starts: Int32Array, ends: Int32Array): boolean;
  whole(buf: Buffer, starts: Int32Array, ends: Int32Array): void;
  /** The input's last row has been read (CdrCsvParser.end): finish what the scanner put off. */
  end(): void;
}

/** What a reader needs to start in the middle of a file: the header's column map and the lines before. */
export interface CsvResumePoint {
  /** Byte offset of a record start in the (decompressed) input. */
  offset: number;
  /** Physical lines before it (header included). */
  line: number;
  colToField: number[];
}

/** Where parsed rows go. Calls are synchronous, in file order. */
export interface CdrRowHandler {
  record(cdr: Cdr, line: number): void;
  reject(reason: RejectReason, detail: string, line: number, raw: string): void;
}

const LF = 10;
const CR = 13;
const COMMA = 44;
const QUOTE = 34;
/** A stop column past any line's last: split the whole line. */
const ALL_COLUMNS = 0x7fffffff;

/** Does `buf` start with a UTF-8 byte order mark (EF BB BF)? */
function startsWithBom(buf: Buffer): boolean {
  return buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
}

/** SPEC's default maxLineBytes: a longer line is a malformed_row. */
export const DEFAULT_MAX_LINE_BYTES = 1 << 20;

/**
 * Streaming CDR CSV reader (RFC 4180, UTF-8, BOM, LF/CRLF, header in any column order, extra
 * columns ignored). Unquoted lines take a byte-level fast path; a line with a quoted field takes the
 * full RFC 4180 path. Every row becomes a CDR or a reject with its physical line number.
 */
export class CdrCsvParser {
  private carry: Buffer | null = null;
  private line = 0; // physical lines consumed so far
  private colToField: Int8Array | null = null;
  private nCols = 0;
  private readonly starts = new Int32Array(N_FIELDS);
  private readonly ends = new Int32Array(N_FIELDS);
  /** Why the last row was invalid (the validator writes it only on failure). */
  private readonly why = newInvalid();
  private first = true;
  rows = 0;
  /** RFC 4180 parse of the header and of lines with a quoted field (csv-records.ts). */
  private readonly q: QuotedRecordParser;
  private rawBuf: Buffer | null = null;
  private rawStart = 0;
  private rawEnd = 0;
  /** A line longer than maxLineBytes being skipped: its number, length so far and first bytes (for the reject). */
  private skip: { line: number; bytes: number; head: Buffer } | null = null;
  /** Byte offset in the input of the next byte push() or consume() looks at (BOM included). */
  private offset = 0;
  /** Record starts noted every `splitBytes` (see resumePoints). */
  private splitBytes = Infinity;
  private nextSplit = Infinity;
  private readonly splits: CsvResumePoint[] = objectArray();
  /** The column after which a scanning reader stops splitting a line (the last one its scanner reads). */
  private lastScanCol = ALL_COLUMNS;
  /** A CDR object the validator writes every valid row into (see reuseCdr), or null: a new object per row. */
  private into: Cdr | null = null;
  /** The buffer the current row's fields were read from (the chunk, or the quoted path's scratch). */
  private fieldBuf: Buffer | null = null;

  /**
   * @param maxLineBytes a longer physical line (or quoted record) is a malformed_row; its bytes are dropped
   *   as they arrive, so memory stays bounded whatever the input (a line without end, a gzip bomb).
   */
  constructor(
    private readonly source: string,
    private readonly tzOffsetMin: number,
    private readonly handler: CdrRowHandler,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
    private readonly scan: CdrFieldScanner | null = null,
  ) {
    this.q = new QuotedRecordParser(maxLineBytes);
  }

  /**
   * Note a resume point at the first record start after every `bytes` of input, so that later readers
   * can split the file into byte ranges at exactly the record boundaries this reader found (quoted fields
   * with line ends included).
   */
  noteResumePoints(bytes: number): void {
    this.splitBytes = bytes;
    this.nextSplit = bytes;
  }

  /** The resume points noted so far. */
  resumePoints(): CsvResumePoint[] {
    return this.splits;
  }

  /** Continue at a resume point another reader noted: the bytes pushed next start there. */
  resumeAt(p: CsvResumePoint): void {
    this.first = false;
    this.line = p.line;
    this.offset = p.offset;
    this.setColumns(Int8Array.from(p.colToField));
  }

  /**
   * The input's offset where the next record starts when every byte pushed so far has been read into
   * records (none pending, no long line being skipped); -1 when a record (a quoted field with a line end, a
   * line without its end) is still open. A reader of one byte range checks with it that the range it read
   * ends where the next range starts (pipeline/parse-worker.ts).
   */
  recordStartAt(): number {
    return this.carry === null && this.skip === null && !this.first ? this.offset : -1;
  }

  /**
   * The header's column map of an input whose first bytes are `head` (a BOM and blank lines before the
   * header skipped, as push() does), without reading any record; null: `head` ends before the header does
   * (`final` false). Throws the InputError push() would throw for a bad header.
   */
  headerColumns(head: Buffer, final: boolean): number[] | null {
    let pos = startsWithBom(head) ? 3 : 0;
    for (;;) {
      const nl = head.indexOf(LF, pos);
      const lineEnd = nl < 0 ? head.length : nl > pos && head[nl - 1] === CR ? nl - 1 : nl;
      if (nl >= 0 && lineEnd === pos) {
        pos = nl + 1;
        continue;
      }
      if (pos >= head.length && !final) return null;
      const r = this.q.parse(head, pos, final);
      if (r === 'more') {
        if (head.length - pos > this.maxLineBytes) throw this.headerTooLong();
        return null;
      }
      if (r === 'broken') throw this.unterminatedHeader();
      this.readHeader(this.q.fields(r.count));
      return Array.from(this.colToField!);
    }
  }

  private headerTooLong(): InputError {
    return new InputError(`${this.source}: the header on line 1 is longer than maxLineBytes (${this.maxLineBytes} bytes)`, 'BAD_HEADER');
  }

  private unterminatedHeader(): InputError {
    return new InputError(`${this.source}: the CSV header on line 1 has an unterminated quote`, 'BAD_HEADER');
  }

  private setColumns(map: Int8Array): void {
    this.colToField = map;
    this.nCols = map.length;
    const wanted = this.scan?.fields;
    if (wanted !== undefined && wanted.length < N_FIELDS) {
      this.lastScanCol = 0;
      map.forEach((f, col) => {
        if (f >= 0 && wanted.includes(f)) this.lastScanCol = Math.max(this.lastScanCol, col);
      });
    }
  }

  push(chunk: Buffer): void {
    if (this.skip) {
      const nl = chunk.indexOf(LF);
      if (nl < 0) {
        this.skip.bytes += chunk.length;
        this.offset += chunk.length;
        return;
      }
      this.skip.bytes += nl;
      this.offset += nl + 1;
      this.endSkip();
      chunk = chunk.subarray(nl + 1);
      if (chunk.length === 0) return;
    }
    let buf = chunk;
    if (this.carry) {
      const carry = this.carry;
      this.carry = null;
      // Join only the carried partial line with the rest of its line, not the whole chunk.
      const nl = this.first ? -1 : chunk.indexOf(LF);
      if (nl < 0 || nl + 1 === chunk.length) {
        buf = Buffer.concat([carry, chunk]);
      } else {
        const head = Buffer.concat([carry, chunk.subarray(0, nl + 1)]);
        const used = this.consumeAt(head, false);
        if (used < head.length) {
          // A quoted field runs on past that line: fall back to joining everything.
          buf = Buffer.concat([head.subarray(used), chunk.subarray(nl + 1)]);
        } else {
          buf = chunk.subarray(nl + 1);
        }
      }
    }
    if (this.first) {
      if (buf.length < 3) {
        this.carry = buf;
        return;
      }
      this.first = false;
      if (startsWithBom(buf)) {
        buf = buf.subarray(3);
        this.offset += 3;
      }
    }
    const pos = this.consumeAt(buf, false);
    if (pos >= buf.length) return;
    if (buf.length - pos > this.maxLineBytes && buf.indexOf(LF, pos) < 0) {
      // The pending line is already too long: keep its head for the reject, drop the rest up to its end.
      if (this.colToField === null) {
        throw this.headerTooLong();
      }
      this.skip = { line: this.line + 1, bytes: buf.length - pos, head: Buffer.from(buf.subarray(pos, pos + MAX_REJECT_RAW_BYTES + 4)) };
      this.offset += buf.length - pos;
      return;
    }
    this.carry = Buffer.from(buf.subarray(pos));
  }

  end(): void {
    this.endRows();
    this.scan?.end();
  }

  private endRows(): void {
    if (this.skip) this.endSkip();
    let buf = this.carry;
    this.carry = null;
    if (!buf || buf.length === 0) return;
    if (this.first && startsWithBom(buf)) {
      buf = buf.subarray(3);
      this.offset += 3;
    }
    this.first = false;
    this.consumeAt(buf, true);
  }

  /**
   * Hand every valid row to `record` in this one object, overwritten by the next row, with its recordId
   * left '' (recordIdText() gives it). For a reader that keeps only some rows' record_ids.
   */
  reuseCdr(target: Cdr): void {
    this.into = target;
  }

  /** The record_id of the row being handed to `record` (valid during that call only). */
  recordIdText(): string {
    return this.fieldBuf!.toString('utf8', this.starts[0], this.ends[0]);
  }

  /**
   * The buffer that holds the bytes of the row being handed to `record`, at [currentRawStart(),
   * currentRawEnd()) (valid during that call only; the buffer itself is never written again).
   */
  currentRawBuffer(): Buffer {
    return this.rawBuf!;
  }

  currentRawStart(): number {
    return this.rawStart;
  }

  currentRawEnd(): number {
    return this.rawEnd;
  }

  private consumeAt(buf: Buffer, final: boolean): number {
    const used = this.consume(buf, final);
    this.offset += used;
    return used;
  }

  private endSkip(): void {
    const s = this.skip!;
    this.skip = null;
    this.line++;
    this.rows++;
    this.rejectLong(s.line, s.head, 0, s.head.length, s.bytes);
  }

  private rejectLong(line: number, buf: Buffer, start: number, end: number, bytes: number): void {
    const { raw } = rawFromBytes(buf, start, end);
    const detail = `line of ${bytes} bytes is longer than maxLineBytes (${this.maxLineBytes}); reading goes on at the next line`;
    this.handler.reject('malformed_row', cutNote(detail, bytes), line, raw);
  }

  /** Text of the row being handed to `record` (valid during that call only). */
  currentRaw(): string {
    return this.rawBuf ? this.rawBuf.toString('utf8', this.rawStart, this.rawEnd) : '';
  }

  /** Number of physical lines read (header included). */
  get lines(): number {
    return this.line;
  }

  private readHeader(fields: string[]): void {
    const map = new Int8Array(fields.length).fill(-1);
    const seen = new Set<number>();
    fields.forEach((name, col) => {
      const f = (CDR_FIELDS as readonly string[]).indexOf(name.trim().toLowerCase());
      if (f >= 0 && !seen.has(f)) {
        map[col] = f;
        seen.add(f);
      }
    });
    const missing = CDR_FIELDS.filter((_, f) => !seen.has(f));
    if (missing.length) throw new InputError(`${this.source}: the CSV header lacks column(s) ${missing.join(', ')} (line 1 must name the CDR fields)`, 'BAD_HEADER');
    this.setColumns(map);
  }

  /**
   * Split the line [pos, lineEnd) into starts/ends (by the header's column map), stopping after column
   * `stopCol`; returns the number of fields split, or -1 when a quote needs the RFC 4180 path. `quotes`
   * false: the line holds no quote.
   */
  private split(buf: Buffer, pos: number, lineEnd: number, quotes: boolean, stopCol: number): number {
    const map = this.colToField!;
    const nCols = this.nCols;
    const starts = this.starts;
    const ends = this.ends;
    let col = 0;
    if (!quotes) {
      let fieldStart = pos;
      for (let i = pos; i < lineEnd; i++) {
        if (buf[i] === COMMA) {
          if (col < nCols) {
            const f = map[col];
            if (f >= 0) {
              starts[f] = fieldStart;
              ends[f] = i;
            }
          }
          fieldStart = i + 1;
          if (++col > stopCol) return col;
        }
      }
      if (col < nCols) {
        const f = map[col];
        if (f >= 0) {
          starts[f] = fieldStart;
          ends[f] = lineEnd;
        }
      }
      return col + 1;
    }
    for (let i = pos; ; ) {
      let fs: number;
      let fe: number;
      if (i < lineEnd && buf[i] === QUOTE) {
        const close = buf.indexOf(QUOTE, i + 1);
        if (close < 0 || close >= lineEnd || (close + 1 < lineEnd && buf[close + 1] !== COMMA)) return -1;
        fs = i + 1;
        fe = close;
        i = close + 1;
      } else {
        fs = i;
        while (i < lineEnd && buf[i] !== COMMA) i++;
        fe = i;
      }
      if (col < nCols) {
        const f = map[col];
        if (f >= 0) {
          starts[f] = fs;
          ends[f] = fe;
        }
      }
      col++;
      if (i >= lineEnd || col > stopCol) return col;
      i++;
    }
  }

  /** Consume whole records from buf; returns the index of the first unconsumed byte. */
  private consume(buf: Buffer, final: boolean): number {
    let pos = 0;
    const len = buf.length;
    const starts = this.starts;
    const ends = this.ends;
    /** The next quote at or after pos (len: none in buf), found once for many lines. */
    let quoteAt = -1;
    while (pos < len) {
      if (this.offset + pos >= this.nextSplit && this.colToField !== null) {
        this.splits.push({ offset: this.offset + pos, line: this.line, colToField: Array.from(this.colToField) });
        this.nextSplit = this.offset + pos + this.splitBytes;
      }
      let nl = buf.indexOf(LF, pos);
      if (nl < 0) {
        if (!final) return pos;
        nl = len;
      }
      let lineEnd = nl;
      if (lineEnd > pos && buf[lineEnd - 1] === CR) lineEnd--;
      const lineNo = this.line + 1;
      if (lineEnd === pos) {
        // A blank line holds no record.
        this.line++;
        pos = nl + 1;
        continue;
      }
      const map = this.colToField;
      if (lineEnd - pos > this.maxLineBytes && map !== null) {
        this.line++;
        this.rows++;
        this.rejectLong(lineNo, buf, pos, lineEnd, lineEnd - pos);
        pos = nl + 1;
        continue;
      }
      if (map === null) {
        const r = this.q.parse(buf, pos, final);
        if (r === 'more') return pos;
        if (r === 'broken') throw this.unterminatedHeader();
        this.readHeader(this.q.fields(r.count));
        this.line += r.newlines + 1;
        pos = r.next;
        continue;
      }
      // Fast path: split on commas (a scanning reader only as far as its scanner reads). A quoted field with
      // no "" and no line end inside is read in place; any other quote at a field start sends the line to
      // the RFC 4180 path.
      if (quoteAt < pos) {
        quoteAt = buf.indexOf(QUOTE, pos);
        if (quoteAt < 0) quoteAt = len;
      }
      const nCols = this.nCols;
      // A line with a quote is split whole: a quoted line end further on makes the record longer than the line.
      const quotes = quoteAt < lineEnd;
      // A valid row without quotes is read in one go (validateLineBytes); any other line is split first.
      let cdr = !quotes && this.scan === null && this.into !== null ? validateLineBytes(buf, pos, lineEnd, map, starts, ends, this.tzOffsetMin, this.into) : null;
      let col = cdr !== null ? nCols : this.split(buf, pos, lineEnd, quotes, quotes ? ALL_COLUMNS : this.lastScanCol);
      const quoted = col < 0;
      if (!quoted) {
        this.line++;
        this.rows++;
        if (this.scan !== null) {
          // A row too short to hold the scanned fields cannot be valid (pass 2 rejects it): skip it.
          if (col > this.lastScanCol || col === nCols) {
            if (this.scan.row(buf, starts, ends)) {
              // It needs every field: split the rest of a line that was split only partly.
              if (!quotes && col > this.lastScanCol && this.lastScanCol < nCols - 1) col = this.split(buf, pos, lineEnd, false, ALL_COLUMNS);
              if (col === nCols) this.scan.whole(buf, starts, ends);
            }
          }
        } else if (col !== nCols) {
          this.handler.reject('malformed_row', `${col} fields where the header has ${nCols}`, lineNo, buf.toString('utf8', pos, lineEnd));
        } else {
          if (cdr === null) cdr = validateCdrBytes(buf, starts, ends, this.tzOffsetMin, this.why, this.into);
          this.fieldBuf = buf;
          this.rawBuf = buf;
          this.rawStart = pos;
          this.rawEnd = lineEnd;
          if (cdr) this.handler.record(cdr, lineNo);
          else this.handler.reject(this.why.reason, this.why.detail, lineNo, buf.toString('utf8', pos, lineEnd));
        }
        pos = nl + 1;
        continue;
      }
      const r = this.q.parse(buf, pos, final);
      if (r === 'more') return pos;
      this.rows++;
      if (r === 'broken' || (r.newlines > 0 && r.count !== nCols)) {
        // A quote that never closes (or closes lines later into a row of the wrong shape): only this
        // physical line is the bad row; reading resumes on the next line.
        this.line++;
        this.handler.reject('malformed_row', 'unterminated or misplaced quote', lineNo, buf.toString('utf8', pos, lineEnd));
        pos = nl + 1;
        continue;
      }
      this.line += r.newlines + 1;
      const recStart = pos;
      pos = r.next;
      if (r.count !== nCols) {
        this.handler.reject('malformed_row', `${r.count} fields where the header has ${nCols}`, lineNo, buf.toString('utf8', recStart, r.end));
        continue;
      }
      for (let c = 0; c < nCols; c++) {
        const f = map[c];
        if (f >= 0) {
          starts[f] = this.q.starts[c];
          ends[f] = this.q.ends[c];
        }
      }
      if (this.scan !== null) {
        if (this.scan.row(this.q.scratch, starts, ends)) this.scan.whole(this.q.scratch, starts, ends);
        continue;
      }
      cdr = validateCdrBytes(this.q.scratch, starts, ends, this.tzOffsetMin, this.why, this.into);
      this.fieldBuf = this.q.scratch;
      this.rawBuf = buf;
      this.rawStart = recStart;
      this.rawEnd = r.end;
      if (cdr) this.handler.record(cdr, lineNo);
      else this.handler.reject(this.why.reason, this.why.detail, lineNo, buf.toString('utf8', recStart, r.end));
    }
    return pos;
  }
}
