import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError } from '../domain/errors.js';
import { describeFsError } from './csv-table.js';

/** One CDR input: a file path, or '-' for standard input. */
export interface CdrInput {
  /** Shown as the reject `source`. */
  name: string;
  path: string | '-';
  bytes: number;
}

const CDR_FILE = /\.csv(\.gz)?$/i;

/** `--cdrs <file|dir|->`: a directory means every *.csv and *.csv.gz in it, in name order. */
export function listCdrInputs(arg: string): CdrInput[] {
  if (arg === '-') return [{ name: 'stdin', path: '-', bytes: 0 }];
  let st;
  try {
    st = statSync(arg);
  } catch (err) {
    throw new InputError(`cannot read CDRs at ${arg}: ${describeFsError(err)}`, 'NOT_FOUND', { cause: err });
  }
  if (!st.isDirectory()) return [{ name: arg, path: arg, bytes: st.size }];
  const names = readdirSync(arg)
    .filter((n) => CDR_FILE.test(n))
    .sort();
  if (names.length === 0) throw new InputError(`no *.csv or *.csv.gz files in directory ${arg}`, 'NOT_FOUND');
  return names.map((n) => {
    const p = join(arg, n);
    return { name: p, path: p, bytes: statSync(p).size };
  });
}

/**
 * The bytes of an input, gunzipped when they start with the gzip magic (whatever the file name), in
 * large chunks. `onRaw` sees the compressed byte counts for progress.
 */
export async function* readCdrChunks(input: CdrInput, onRaw?: (bytes: number) => void): AsyncGenerator<Buffer> {
  const src: Readable = input.path === '-' ? process.stdin : createReadStream(input.path, { highWaterMark: 1 << 20 });
  const it = src[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const wrap = (err: unknown): InputError =>
    err instanceof InputError ? err : new InputError(`cannot read ${input.name}: ${describeFsError(err)}`, 'UNREADABLE', { cause: err });
  let first: IteratorResult<Buffer>;
  try {
    first = await it.next();
  } catch (err) {
    throw wrap(err);
  }
  if (first.done) return;
  const head = first.value;
  onRaw?.(head.length);
  // The raw chunks, with read errors as InputErrors and progress counted on the compressed bytes.
  const raw = (async function* () {
    yield head;
    for (;;) {
      let n: IteratorResult<Buffer>;
      try {
        n = await it.next();
      } catch (err) {
        throw wrap(err);
      }
      if (n.done) return;
      onRaw?.(n.value.length);
      yield n.value;
    }
  })();
  if (!(head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b)) {
    yield* raw;
    return;
  }
  const source = Readable.from(raw);
  const gz = createGunzip({ chunkSize: 1 << 20 });
  // pipe() does not pass a source error on: end the gunzip with it so the loop below sees it.
  source.on('error', (err) => gz.destroy(err));
  try {
    for await (const c of source.pipe(gz)) yield c as Buffer;
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`cannot read ${input.name}: not a valid gzip stream (${(err as Error).message})`, 'UNREADABLE', { cause: err });
  }
}
