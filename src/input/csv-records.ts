// The one RFC 4180 implementation (on bytes): quoted fields with "" escapes, fields and records across
// lines, CRLF or LF, a UTF-8 BOM. The CDR reader (cdr-csv.ts) uses its QuotedRecordParser for every line
// that holds a quoted field; CsvRecordSplitter gives whole records to `replay` and the reference files.

const LF = 10;
const CR = 13;
const COMMA = 44;
const QUOTE = 34;

/** A quoted record may span lines (RFC 4180), but not without bound: past this it is a broken quote. */
export const MAX_QUOTED_RECORD_BYTES = 1 << 20;

export interface QuotedRecord {
  /** Number of fields; their unescaped bytes are in the parser's `scratch` at starts[i]..ends[i]. */
  count: number;
  /** Index just past the record's line end (after LF), or the buffer's length at the end of data. */
  next: number;
  /** Index of the record's end, before CR/LF. */
  end: number;
  /** Line feeds inside quoted fields (the record covers newlines + 1 physical lines). */
  newlines: number;
}

/**
 * Parses one record starting at a line start, field by field (quoted or not), unescaping into a scratch
 * buffer that is reused from record to record. `more`: the record runs past the data so far (push more);
 * `broken`: a quote that never closes (within MAX_QUOTED_RECORD_BYTES, or before the end of data), or
 * text after a closing quote.
 */
export class QuotedRecordParser {
  /** @param maxRecordBytes a record running longer than this is broken (the CDR reader passes maxLineBytes). */
  constructor(private readonly maxRecordBytes = MAX_QUOTED_RECORD_BYTES) {}

  scratch = Buffer.allocUnsafe(4096);
  private scratchLen = 0;
  // Room for 64 fields from the start: arrays that grew as each new parser met its first record had V8 throw
  // away the compiled parse (deopt "out of bounds") in each parse worker. A longer record still grows them.
  readonly starts: number[] = Array.from({ length: 64 }, () => 0);
  readonly ends: number[] = Array.from({ length: 64 }, () => 0);

  /** Field i of the last record, as text. */
  field(i: number): string {
    return this.scratch.toString('utf8', this.starts[i], this.ends[i]);
  }

  /** The fields of the last record, as text. */
  fields(count: number): string[] {
    const out: string[] = new Array(count);
    for (let i = 0; i < count; i++) out[i] = this.field(i);
    return out;
  }

  parse(buf: Buffer, start: number, final: boolean): QuotedRecord | 'more' | 'broken' {
    this.scratchLen = 0;
    const qs = this.starts;
    const qe = this.ends;
    let count = 0;
    const len = buf.length;
    let i = start;
    let newlines = 0;
    for (;;) {
      qs[count] = this.scratchLen;
      // At a field start.
      if (i < len && buf[i] === QUOTE) {
        let segStart = i + 1;
        i++;
        for (;;) {
          if (i - start > this.maxRecordBytes) return 'broken';
          if (i >= len) return final ? 'broken' : 'more';
          const c = buf[i];
          if (c === QUOTE) {
            if (i + 1 < len && buf[i + 1] === QUOTE) {
              this.copy(buf, segStart, i + 1);
              i += 2;
              segStart = i;
              continue;
            }
            if (i + 1 >= len && !final) return 'more';
            this.copy(buf, segStart, i);
            i++;
            break;
          }
          if (c === LF) newlines++;
          i++;
        }
        qe[count++] = this.scratchLen;
        // After a closing quote: comma, line end or end of data; anything else is malformed.
        if (i >= len) return { count, next: len, end: len, newlines };
        const c = buf[i];
        if (c === COMMA) {
          i++;
          continue;
        }
        if (c === LF) return { count, next: i + 1, end: i, newlines };
        if (c === CR && (i + 1 >= len || buf[i + 1] === LF)) {
          if (i + 1 >= len && !final) return 'more';
          return { count, next: Math.min(i + 2, len), end: i, newlines };
        }
        return 'broken';
      }
      // Unquoted field: up to comma or line end (a quote inside it is taken literally).
      let j = i;
      while (j < len && buf[j] !== COMMA && buf[j] !== LF) j++;
      if (j - start > this.maxRecordBytes) return 'broken';
      if (j >= len && !final) return 'more';
      let fe = j;
      if (fe > i && buf[fe - 1] === CR && (j >= len || buf[j] === LF)) fe--;
      this.copy(buf, i, fe);
      qe[count++] = this.scratchLen;
      if (j >= len) return { count, next: len, end: fe, newlines };
      if (buf[j] === LF) return { count, next: j + 1, end: fe, newlines };
      i = j + 1;
    }
  }

  /** Append bytes [s, e) of buf to the scratch buffer. */
  private copy(buf: Buffer, s: number, e: number): void {
    const n = e - s;
    if (this.scratchLen + n > this.scratch.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, this.scratchLen + n));
      this.scratch.copy(bigger, 0, 0, this.scratchLen);
      this.scratch = bigger;
    }
    // Fields are short: a plain loop beats Buffer#copy's per-call checks.
    const dst = this.scratch;
    let d = this.scratchLen;
    for (let i = s; i < e; i++) dst[d++] = buf[i];
    this.scratchLen = d;
  }
}

/** Does the line [s, e) hold a quote at the start of a field (so it needs the RFC 4180 parse)? */
export function hasQuotedField(buf: Buffer, s: number, e: number): boolean {
  // A loop over the line, not buf.indexOf: that searches on to the end of the chunk for every quote-free line.
  for (let i = s; i < e; i++) if (buf[i] === QUOTE && (i === s || buf[i - 1] === COMMA)) return true;
  return false;
}

/**
 * A CSV record as text, with the physical line it starts on (1 = the first line; blank lines and the lines
 * of multi-line records count). `broken`: a quote that never closes, or a multi-line quoted record of the
 * wrong width; only its first physical line is the record, and reading goes on with the next line.
 */
export type CsvRecord = ({ fields: string[]; raw: string; broken: false } | { fields: null; raw: string; broken: true }) & {
  line: number;
};

/**
 * RFC 4180 records from byte chunks, tolerant like the `detect` reader: a broken quote costs only its
 * physical line. Used by `replay` (which forwards each row's text values as they are) and for reference
 * files.
 */
export class CsvRecordSplitter {
  private carry: Buffer | null = null;
  private first = true;
  /** Physical lines consumed so far. */
  private lines = 0;
  private readonly q = new QuotedRecordParser();
  /** Number of fields of the first record (the header), once read; records of another width are left to the caller. */
  width = -1;
  /**
   * A reader's own parse of a line with no quoted field, tried before it becomes text: true when it took the
   * line (no record is made of it), false to have the record made as usual.
   */
  fastLine: ((buf: Buffer, start: number, end: number) => boolean) | null = null;

  /** Records complete in what was pushed so far (`final` = no more data will come). */
  *push(chunk: Buffer, final = false): Generator<CsvRecord> {
    let buf = this.carry && this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = null;
    if (this.first) {
      if (buf.length < 3 && !final) {
        this.carry = Buffer.from(buf);
        return;
      }
      this.first = false;
      if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    }
    const len = buf.length;
    let pos = 0;
    while (pos < len) {
      let nl = buf.indexOf(LF, pos);
      if (nl < 0) {
        if (!final) break;
        nl = len;
      }
      let lineEnd = nl;
      if (lineEnd > pos && buf[lineEnd - 1] === CR) lineEnd--;
      if (lineEnd === pos) {
        pos = nl + 1;
        this.lines++;
        continue;
      }
      const lineNo = this.lines + 1;
      if (!hasQuotedField(buf, pos, lineEnd)) {
        if (this.fastLine !== null && this.fastLine(buf, pos, lineEnd)) {
          pos = nl + 1;
          this.lines++;
          continue;
        }
        const text = buf.toString('utf8', pos, lineEnd);
        pos = nl + 1;
        this.lines++;
        yield this.accept({ fields: text.split(','), raw: text, broken: false, line: lineNo });
        continue;
      }
      const r = this.q.parse(buf, pos, final);
      if (r === 'more') break;
      if (r === 'broken' || (r.newlines > 0 && this.width >= 0 && r.count !== this.width)) {
        const raw = buf.toString('utf8', pos, lineEnd);
        pos = nl + 1;
        this.lines++;
        yield { fields: null, raw, broken: true, line: lineNo };
        continue;
      }
      const raw = buf.toString('utf8', pos, r.end);
      pos = r.next;
      this.lines += r.newlines + 1;
      yield this.accept({ fields: this.q.fields(r.count), raw, broken: false, line: lineNo });
    }
    if (pos < len) this.carry = Buffer.from(buf.subarray(pos));
  }

  private accept(r: Extract<CsvRecord, { broken: false }>): CsvRecord {
    if (this.width < 0) this.width = r.fields.length;
    return r;
  }
}
