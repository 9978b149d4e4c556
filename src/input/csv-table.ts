import { InputError } from '../domain/errors.js';
import { readCdrChunks } from './cdr-files.js';
import { CsvRecordSplitter, type CsvRecord } from './csv-records.js';

/** A reject keeps at most this much of a row's text (SPEC Output 3). */
const MAX_RAW_CHARS = 64 * 1024;

/** How a reference CSV (cell catalogue, exception list) names its columns. */
export interface TableLayout {
  /** What the file is, for messages ("cell catalogue"). */
  what: string;
  /** Columns that must be present. */
  required: readonly string[];
  /**
   * A file whose first row is data in a fixed column order (OpenCelliD's per-country exports): when
   * `isData(first row)` holds, the file has no header and its columns are `columns`, in that order.
   */
  headerless?: { columns: readonly string[]; isData(fields: string[]): boolean };
  /**
   * The reader's own parse of a data row whose line holds no quoted field, from its bytes, given the column
   * count: true when it took the row; false to have it read as text and handed to `onRow` (which must then
   * treat it as the fast parse would have). For a large table (a national cell catalogue).
   */
  fastRow?: (buf: Buffer, start: number, end: number, width: number, info: TableInfo) => boolean;
}

/** One data row: its fields by column index (`null` when it is not a row of the header's width). */
export interface TableRow {
  /** Physical line the row starts on (line 1 is the header when there is one; blank lines count). */
  line: number;
  fields: string[] | null;
  /** The row's text (cut at 64 KiB), for a reject. */
  raw: string;
  /** Why `fields` is null. */
  problem: string;
}

export interface TableInfo {
  /** Column name (lower case) -> index. */
  columns: Map<string, number>;
  /** True when the file had no header row (OpenCelliD per-country layout). */
  headerless: boolean;
  /** Data rows read (blank lines not counted). */
  rows: number;
}

/**
 * Stream a reference CSV: RFC 4180 (multi-line quoted fields, CRLF, BOM), gzip recognised by its magic
 * bytes whatever the name, rows handed to `onRow` one by one with their physical line numbers and never
 * held all at once. A row of the wrong width comes with `fields` null so the caller can reject it.
 * Throws InputError when the file cannot be read or its header lacks a required column.
 */
export async function readCsvTable(path: string, layout: TableLayout, onRow: (row: TableRow, info: TableInfo) => void): Promise<TableInfo> {
  const info: TableInfo = { columns: new Map(), headerless: false, rows: 0 };
  const splitter = new CsvRecordSplitter();
  let width = -1;
  // Once the columns are known (width set), data rows without a quoted field go to layout.fastRow first.
  const fast = layout.fastRow;
  if (fast !== undefined) {
    splitter.fastLine = (buf, start, end) => {
      if (width < 0 || !fast(buf, start, end, width, info)) return false;
      info.rows++;
      return true;
    };
  }
  const take = (r: CsvRecord): void => {
    if (width < 0) {
      if (r.broken) throw new InputError(`${path}: the ${layout.what}'s header on line ${r.line} has an unterminated quote`, 'BAD_HEADER');
      const fields = r.fields.map((x) => x.trim());
      if (layout.headerless?.isData(fields)) {
        info.headerless = true;
        layout.headerless.columns.forEach((c, i) => info.columns.set(c.toLowerCase(), i));
        width = layout.headerless.columns.length;
      } else {
        fields.forEach((c, i) => {
          const name = c.toLowerCase();
          if (!info.columns.has(name)) info.columns.set(name, i);
        });
        width = fields.length;
        const missing = layout.required.filter((c) => !info.columns.has(c));
        if (missing.length) {
          const hint = layout.headerless ? ` (or no header at all, with ${layout.headerless.columns.length} columns in OpenCelliD's order)` : '';
          throw new InputError(`${path}: the ${layout.what}'s header lacks column(s) ${missing.join(', ')}; line 1 must name ${layout.required.join(',')}${hint}`, 'BAD_HEADER');
        }
        return;
      }
    }
    info.rows++;
    const raw = r.raw.length > MAX_RAW_CHARS ? r.raw.slice(0, MAX_RAW_CHARS) : r.raw;
    if (r.broken) onRow({ line: r.line, fields: null, raw, problem: 'unterminated or misplaced quote' }, info);
    else if (r.fields.length !== width) onRow({ line: r.line, fields: null, raw, problem: 'wrong number of fields' }, info);
    else onRow({ line: r.line, fields: r.fields, raw, problem: '' }, info);
  };
  for await (const chunk of readCdrChunks({ name: path, path, bytes: 0 })) {
    for (const r of splitter.push(chunk)) take(r);
  }
  for (const r of splitter.push(Buffer.alloc(0), true)) take(r);
  if (width < 0) throw new InputError(`${path}: the ${layout.what} is empty (no header, no rows)`, 'BAD_HEADER');
  return info;
}
