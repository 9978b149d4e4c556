import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { OutputBatch, Sink } from './sink.js';

/** One NDJSON file written with backpressure. */
class NdjsonFile {
  private readonly stream: WriteStream;
  private failed: Error | null = null;
  lines = 0;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { flags: 'w' });
    this.stream.on('error', (err) => {
      this.failed = err;
    });
  }

  async write(items: readonly unknown[]): Promise<void> {
    if (this.failed) throw this.failed;
    if (items.length === 0) return;
    let text = '';
    for (const it of items) text += JSON.stringify(it) + '\n';
    this.lines += items.length;
    if (!this.stream.write(text)) await new Promise<void>((resolve) => this.stream.once('drain', resolve));
  }

  async flush(): Promise<void> {
    if (this.failed) throw this.failed;
    // An empty write's callback runs once everything queued before it reached the file.
    await new Promise<void>((resolve, reject) => this.stream.write('', (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    if (this.stream.closed || this.stream.writableEnded) return;
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

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.clones = new NdjsonFile(join(dir, 'clones.ndjson'));
    this.candidates = new NdjsonFile(join(dir, 'block-candidates.ndjson'));
    this.rejects = new NdjsonFile(join(dir, 'rejects.ndjson'));
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
