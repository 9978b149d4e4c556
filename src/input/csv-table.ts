import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { parse } from 'fast-csv';
import { InputError } from '../domain/errors.js';

export interface TableRow {
  /** Physical line of the row (header = 1), assuming no multi-line quoted fields. */
  line: number;
  values: Record<string, string>;
  raw: string;
}

/**
 * Read a small reference CSV (cell catalogue, exception list) with fast-csv: header row, RFC 4180.
 * Rows with the wrong number of fields come back with `values` null so the caller can reject them.
 */
export async function readCsvTable(
  path: string,
  required: string[],
): Promise<{ header: string[]; rows: Array<TableRow | { line: number; values: null; raw: string }> }> {
  const input = createReadStream(path);
  const stream = path.endsWith('.gz') ? input.pipe(createGunzip()) : input;
  const rows: Array<TableRow | { line: number; values: null; raw: string }> = [];
  let header: string[] = [];
  let line = 1;
  await new Promise<void>((resolve, reject) => {
    input.on('error', (err) => reject(new InputError(`cannot read ${path}: ${describeFsError(err)}`, 'UNREADABLE', { cause: err })));
    stream
      .pipe(
        parse({
          headers: (h) => {
            header = h.map((x) => (x ?? '').replace(/^\uFEFF/, '').trim().toLowerCase());
            return header;
          },
          ignoreEmpty: true,
          strictColumnHandling: true,
          trim: true,
        }),
      )
      .on('error', (err) => reject(new InputError(`${path}: not a readable CSV: ${err.message}`, 'UNREADABLE', { cause: err })))
      .on('data', (row: Record<string, string>) => {
        line++;
        rows.push({ line, values: row, raw: header.map((h) => row[h] ?? '').join(',') });
      })
      .on('data-invalid', (row: unknown) => {
        line++;
        rows.push({ line, values: null, raw: Array.isArray(row) ? row.join(',') : JSON.stringify(row) });
      })
      .on('end', () => resolve());
  });
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length) throw new InputError(`${path}: the CSV header lacks column(s) ${missing.join(', ')}`, 'BAD_HEADER');
  return { header, rows };
}

/** A file-system error as a user reads it. */
export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory, not a file';
  return code ?? (err as Error).message;
}
