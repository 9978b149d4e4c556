import { closeSync, createReadStream, lstatSync, openSync, readdirSync, readlinkSync, readSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError } from '../domain/errors.js';
import { describeFsError } from './fs-error.js';

/** One CDR input: a file path, or '-' for standard input. */
export interface CdrInput {
  /** Shown as the reject `source`. */
  name: string;
  path: string | '-';
  bytes: number;
  /** A named pipe (`<(zcat day.csv.gz)`): it can be read once only, as stdin. */
  pipe?: boolean;
}

/** Can the inputs be read twice? Not stdin, nor a named pipe (a second read found it empty: no CDR at all). */
export function rereadable(inputs: CdrInput[]): boolean {
  return inputs.every((i) => i.path !== '-' && !i.pipe);
}

const CDR_FILE = /\.csv(\.gz)?$/i;

/** `--cdrs <file|dir|->`: a directory means every *.csv and *.csv.gz in it, in name order. */
export function listCdrInputs(arg: string): CdrInput[] {
  if (arg === '-') return [{ name: 'stdin', path: '-', bytes: 0 }];
  const st = statInput(arg, arg);
  if (!st.isDirectory()) {
    // A named pipe (`<(zcat day.csv.gz)`) streams; a device (/dev/zero) or socket is no CDR file.
    if (!st.isFile() && !st.isFIFO()) throw new InputError(`--cdrs ${arg} is not a file, a pipe or a directory (${kindOf(st)})`, 'UNREADABLE');
    return [st.isFile() ? { name: arg, path: arg, bytes: st.size } : { name: arg, path: arg, bytes: 0, pipe: true }];
  }
  let names: string[];
  try {
    names = readdirSync(arg);
  } catch (err) {
    throw new InputError(`cannot read CDR directory ${arg}: ${describeFsError(err)}`, 'UNREADABLE', { cause: err });
  }
  names = names.filter((n) => CDR_FILE.test(n)).sort();
  if (names.length === 0) throw new InputError(`no *.csv or *.csv.gz files in directory ${arg}`, 'NOT_FOUND');
  return names.map((n) => {
    const p = join(arg, n);
    const s = statInput(p, arg);
    // Opening a FIFO would wait for a writer forever: in a directory only regular files are CDR files.
    if (!s.isFile()) throw new InputError(`${p} in --cdrs directory ${arg} is not a regular file (${kindOf(s)}): move it out or rename it`, 'UNREADABLE');
    return { name: p, path: p, bytes: s.size };
  });
}

/** stat() that follows links, with symlink loops and dangling links named as such. */
function statInput(p: string, arg: string): Stats {
  try {
    return statSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what = p === arg ? `--cdrs ${p}` : `${p} in --cdrs directory ${arg}`;
    if (code === 'ELOOP') throw new InputError(`${what} is a symbolic link loop`, 'UNREADABLE', { cause: err });
    if (code === 'ENOENT' && isLink(p)) {
      throw new InputError(`${what} is a dangling symbolic link (to ${safeReadlink(p)}, which does not exist)`, 'NOT_FOUND', { cause: err });
    }
    if (code === 'ENOTDIR') throw new InputError(`cannot read CDRs at ${p}: a part of the path is a file, not a directory`, 'NOT_FOUND', { cause: err });
    throw new InputError(`cannot read CDRs at ${p}: ${describeFsError(err)}`, 'NOT_FOUND', { cause: err });
  }
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function safeReadlink(p: string): string {
  try {
    return readlinkSync(p);
  } catch {
    return '?';
  }
}

function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a named pipe';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
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

/** Does the file start with the gzip magic? (Such a file is read whole: a byte range of it means nothing.) */
export function isGzipFile(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } catch {
    return false; // unreadable: the reader says so with the usual message
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Bytes [start, end) of a plain file input, in large chunks (end undefined: to the end of the file). */
export async function* readRangeChunks(input: CdrInput, start: number, end: number | undefined, chunkBytes = 1 << 20): AsyncGenerator<Buffer> {
  if (end !== undefined && end <= start) return;
  const src = createReadStream(input.path, { start, end: end === undefined ? undefined : end - 1, highWaterMark: chunkBytes });
  try {
    for await (const c of src) yield c as Buffer;
  } catch (err) {
    throw new InputError(`cannot read ${input.name}: ${describeFsError(err)}`, 'UNREADABLE', { cause: err });
  }
}
