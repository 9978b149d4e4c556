import { createWriteStream, mkdirSync, openSync, statSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { ClonewatchError } from '../domain/errors.js';
import type { OutputBatch, Sink } from './sink.js';

/** The output directory or one of its files cannot be used; the message is one line a user can act on. */
export class OutputDirError extends ClonewatchError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, 'OUT_DIR', { cause: options.cause });
  }
}

/** The longest piece of text handed to the file stream at once: output stays in bounded pieces. */
const WRITE_PIECE_CHARS = 1 << 20;

/** What a file run's output files may hold before writing (see NdjsonSink). */
export const HOLD_CHARS = 1 << 20;

/** Create `dir` (and its parents), or say in one line why it cannot be an output directory. */
export function prepareOutDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new OutputDirError(`--out ${dir} is a file, not a directory`, { cause: err });
    if (code === 'ENOTDIR') {
      // Name the file that stands where a directory should be.
      let p = dirname(dir);
      while (p !== dirname(p)) {
        try {
          if (!statSync(p).isDirectory()) break;
        } catch {
          /* missing: keep going up */
        }
        p = dirname(p);
      }
      throw new OutputDirError(`--out ${dir} is under ${p}, which is a file, not a directory`, { cause: err });
    }
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new OutputDirError(`--out ${dir}: cannot create the directory (${code === 'EROFS' ? 'read-only file system' : 'permission denied'})`, { cause: err });
    throw new OutputDirError(`--out ${dir}: cannot create the directory (${code ?? (err as Error).message})`, { cause: err });
  }
}

/** One NDJSON file written with backpressure, in bounded pieces. */
class NdjsonFile {
  private readonly stream: WriteStream;
  private failed: Error | null = null;
  /** Lines not yet handed to the stream (only with a `holdChars` above 0). */
  private held = '';
  lines = 0;

  /**
   * `holdChars` 0: each write() goes to the file stream at once. Above 0: lines are held until that many
   * characters have gathered, or until flush()/close() (a file run, which writes after every batch of 8,192
   * rows: one file write per batch per file had cost the main thread ~0.1 s per 1M rows on 2 cores).
   */
  constructor(
    readonly path: string,
    private readonly holdChars = 0,
  ) {
    let fd: number;
    try {
      fd = openSync(path, 'w');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? (err as Error).message);
      throw new OutputDirError(`cannot write ${path}: ${why}`, { cause: err });
    }
    this.stream = createWriteStream(path, { fd });
    this.stream.on('error', (err) => {
      this.failed = err;
    });
  }

  async write(items: readonly unknown[]): Promise<void> {
    if (this.failed) throw this.failed;
    if (items.length === 0) return;
    let text = this.held;
    this.held = '';
    for (const it of items) {
      text += JSON.stringify(it) + '\n';
      this.lines++;
      if (text.length >= WRITE_PIECE_CHARS) {
        await this.put(text);
        text = '';
      }
    }
    if (text.length < this.holdChars) this.held = text;
    else if (text !== '') await this.put(text);
  }

  /** Hand the held lines to the stream. */
  private async release(): Promise<void> {
    const text = this.held;
    this.held = '';
    if (text !== '') await this.put(text);
  }

  private async put(text: string): Promise<void> {
    if (this.failed) throw this.failed;
    if (!this.stream.write(text)) await new Promise<void>((resolve) => this.stream.once('drain', resolve));
  }

  async flush(): Promise<void> {
    if (this.failed) throw this.failed;
    await this.release();
    // An empty write's callback runs once everything queued before it reached the file.
    await new Promise<void>((resolve, reject) => this.stream.write('', (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    if (this.stream.closed || this.stream.writableEnded) return;
    await this.release();
    await new Promise<void>((resolve, reject) => this.stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

/** `clones.ndjson`, `block-candidates.ndjson` and `rejects.ndjson` in one directory. */
export class NdjsonSink implements Sink {
  readonly name = 'files';
  private readonly clones: NdjsonFile;
  private readonly candidates: NdjsonFile;
  private readonly rejects: NdjsonFile;
  private closed = false;

  /**
   * `opts.holdChars`: characters of output a file may hold before it writes them (default 0: written as they
   * come, as a stream's outputs must be; `detect` holds up to HOLD_CHARS, written at the latest when the run
   * flushes and closes its sinks).
   */
  constructor(
    readonly dir: string,
    opts: { holdChars?: number } = {},
  ) {
    prepareOutDir(dir);
    const hold = opts.holdChars ?? 0;
    this.clones = new NdjsonFile(join(dir, 'clones.ndjson'), hold);
    this.candidates = new NdjsonFile(join(dir, 'block-candidates.ndjson'), hold);
    this.rejects = new NdjsonFile(join(dir, 'rejects.ndjson'), hold);
  }

  async write(batch: OutputBatch): Promise<void> {
    await this.clones.write(batch.findings);
    await this.candidates.write(batch.candidates);
    await this.rejects.write(batch.rejects);
  }

  async flush(): Promise<void> {
    await Promise.all([this.clones.flush(), this.candidates.flush(), this.rejects.flush()]);
  }

  describe(): string[] {
    return [`files: ${this.clones.path} (${this.clones.lines}), ${this.candidates.path} (${this.candidates.lines}), ${this.rejects.path} (${this.rejects.lines})`];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.clones.close(), this.candidates.close(), this.rejects.close()]);
  }
}
