// Spawning the built `clonewatch` binary and reading what it wrote: shared by the golden and CLI tests.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(ROOT, 'dist/cli/main.js');
export const BUNDLED_CELLS = join(ROOT, 'cell-sites/peru-cells.csv');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Fail early with one clear message when the CLI has not been built. */
export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} does not exist: run "npm run build" first`);
}

/** Run `node dist/cli/main.js ...args` from the repository root. */
export function runCli(
  args: string[],
  opts: { input?: string | Buffer; cwd?: string; timeoutMs?: number; onStderr?: (text: string) => void } = {},
): Promise<CliResult> {
  assertBuilt();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => {
      err.push(b);
      opts.onStderr?.(Buffer.concat(err).toString('utf8'));
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    // The child may exit before reading stdin (bad arguments): ignore EPIPE.
    child.stdin.on('error', () => {});
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

export function tempDir(prefix = 'clonewatch-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The objects of an NDJSON file, one a line (blank lines ignored). */
export function readNdjson<T = Record<string, unknown>>(path: string): T[] {
  const text = readFileSync(path, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as T;
      } catch (e) {
        throw new Error(`${path}:${i + 1} is not JSON: ${(e as Error).message}: ${l.slice(0, 200)}`);
      }
    });
}

/** Output text without its wall-clock fields (detected_at, emitted_at), to compare two runs' outputs. */
export const volatile = (text: string) => text.replace(/"(detected_at|emitted_at)":"[^"]*"/g, '"$1":""');

export const OUTPUT_FILES = ['clones.ndjson', 'block-candidates.ndjson', 'rejects.ndjson'] as const;

/** Read the three output files of a detect run. */
export function readOutputs(outDir: string) {
  return {
    findings: readNdjson(join(outDir, 'clones.ndjson')),
    candidates: readNdjson(join(outDir, 'block-candidates.ndjson')),
    rejects: readNdjson(join(outDir, 'rejects.ndjson')),
  };
}

/** The lines of stderr that are not progress-bar redraws. */
export function stderrLines(r: CliResult): string[] {
  return r.stderr
    .split(/\r?\n/)
    .map((l) => l.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trim())
    .filter((l) => l !== '');
}
