// The parse workers of a parallel `detect`, started as early as possible. A worker spends its first ~0.5 s
// loading its modules and reading the JIT warm-up input; the main thread meanwhile spends ~0.3 s loading the
// rest of the program (zod alone ~0.1 s), parsing the config and loading the catalogue. cli/main.ts starts
// the workers for `detect` before all that, so both happen at once; a parallel file run adopts them
// (takeParseWorkers), and whatever is not adopted is stopped when the command ends. This module loads nothing
// heavy on purpose.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** A started worker, with what happened to it before anybody listened. */
export interface PrestartedWorker {
  worker: Worker;
  error: Error | null;
  exitCode: number | null;
}

let started: PrestartedWorker[] = [];

const WORKER_URL = new URL('./parse-worker.js', import.meta.url);

function start(): PrestartedWorker {
  const p: PrestartedWorker = { worker: new Worker(WORKER_URL), error: null, exitCode: null };
  // Until a run adopts it: remembered, not thrown (an 'error' event without a listener would end the process).
  p.worker.on('error', (err) => (p.error ??= err));
  p.worker.on('exit', (code) => (p.exitCode ??= code));
  // Not adopted, it must not keep the process alive.
  p.worker.unref();
  return p;
}

/**
 * For `detect` arguments that will (most likely) make a parallel file run: `--threads` other than 1 (default:
 * the available parallelism) and `--cdrs` naming files, not stdin. A guess from the arguments only: the run
 * may still not adopt them (a config that needs every key matched, a usage error), and then they are stopped.
 * Returns how many it started (null: none, the arguments do not make a parallel file run).
 */
export function prestartForDetect(argv: readonly string[]): number | null {
  if (argv.includes('--help') || argv.includes('-h') || argv.includes('--no-prefilter')) return null;
  const cdrs = flagValue(argv, '--cdrs');
  const threadsArg = flagValue(argv, '--threads');
  const threads = threadsArg === undefined ? availableParallelism() : Number(threadsArg);
  if (cdrs === undefined || cdrs === '-' || !Number.isInteger(threads) || threads < 2 || threads > 64) return null;
  for (let i = started.length; i < threads; i++) started.push(start());
  return threads;
}

/** The value of `--flag value` or `--flag=value` in raw arguments (before the command parses them). */
export function flagValue(argv: readonly string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  if (i >= 0) return argv[i + 1];
  return argv.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
}

/** n parse workers for a run: the ones started early first, new ones for the rest. They keep the process alive. */
export function takeParseWorkers(n: number): PrestartedWorker[] {
  const taken = started.splice(0, n);
  while (taken.length < n) taken.push(start());
  for (const p of taken) p.worker.ref();
  return taken;
}

/** How many workers started early wait to be adopted. */
export function prestartedCount(): number {
  return started.length;
}

/** Stop the workers started early that no run adopted. */
export async function stopPrestartedWorkers(): Promise<void> {
  const left = started;
  started = [];
  await Promise.all(left.map((p) => p.worker.terminate()));
}
