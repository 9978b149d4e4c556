// A real Kafka-protocol broker for integration tests: librdkafka's mock cluster, started from the small C
// launcher in tools/mock-kafka (compiled once with gcc, cached by the hash of its source). Loopback only.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = join(ROOT, 'tools/mock-kafka/mock-kafka.c');
const BUILD_DIR = join(ROOT, 'tools/mock-kafka/build');

export interface MockBroker {
  /** e.g. ['127.0.0.1:41965'] */
  brokers: string[];
  pid: number;
  /** SIGTERM, then SIGKILL after 2 s; resolves when the process is gone. Idempotent. */
  stop(): Promise<void>;
}

/** Compile the launcher if its cached binary is missing or stale; returns the binary's path. */
export function buildMockKafka(): string {
  const hash = createHash('sha256').update(readFileSync(SRC)).digest('hex').slice(0, 12);
  const bin = join(BUILD_DIR, `mock-kafka-${hash}`);
  if (existsSync(bin)) return bin;
  mkdirSync(BUILD_DIR, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  const r = spawnSync('gcc', ['-O2', '-o', tmp, SRC, '-lrdkafka'], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`cannot build the mock Kafka broker (needs gcc and librdkafka-dev): ${r.error?.message ?? r.stderr}`);
  }
  renameSync(tmp, bin); // atomic: a parallel build never sees a half-written binary
  return bin;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

/**
 * Start a mock cluster with the given topics (name -> partitions). The broker exits by itself when this
 * process dies (its stdin is a pipe from us), so a crashed test run leaves nothing behind.
 */
export async function startMockKafka(topics: Record<string, number>, opts: { brokers?: number } = {}): Promise<MockBroker> {
  const bin = buildMockKafka();
  const args = ['-b', String(opts.brokers ?? 1), ...Object.entries(topics).map(([t, n]) => `${t}:${n}`)];
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  exited.then(() => live.delete(child));
  const bootstrap = await new Promise<string>((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`mock Kafka did not start in 20 s: ${stderr}`)), 20000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /BOOTSTRAP (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`mock Kafka exited with ${code}: ${stderr}`));
    });
  });
  let stopping: Promise<void> | null = null;
  return {
    brokers: bootstrap.split(','),
    pid: child.pid!,
    stop() {
      if (!stopping) {
        stopping = (async () => {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            const t = setTimeout(() => child.kill('SIGKILL'), 2000);
            await exited;
            clearTimeout(t);
          }
        })();
      }
      return stopping;
    },
  };
}
