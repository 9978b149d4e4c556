#!/usr/bin/env node
import { UsageError } from '../domain/errors.js';
import { redactText } from '../config/redact.js';
import { exitCodeFor } from './exit-code.js';
import { prestartForDetect, stopPrestartedWorkers } from '../pipeline/parse-pool.js';
import { scanEarly, stopEarlyScan } from '../pipeline/scan-start.js';

const USAGE = `clonewatch: finds cloned IMEIs in CDRs (RENTESEG Art. 22: simultaneity and time-distance conflict)

Usage:
  clonewatch detect --cdrs <file|dir|-> --cells <file> [--exceptions <file>] --out <dir>
                    [--clickhouse <url|dir|none>] [--config <file>] [thresholds]
  clonewatch run    [--config <file>] [--brokers h:p,...] [thresholds]   consume CDRs from Kafka
  clonewatch replay --cdrs <file|dir> --brokers h:p,... [--rate N]       produce CDR files into Kafka
  clonewatch route  --from <topic> [--to cdrs] --brokers h:p,...         re-key a raw CDR topic by IMEI
  clonewatch sql "<query>" [--clickhouse <url|dir>] [--format table|jsonl|csv] [--write]
  clonewatch explain <imei> [--clickhouse <url|dir>] [--cells <file>] [--out <file.html>]
                                                                         one IMEI's evidence as an HTML page
  clonewatch report [--from <date>] [--to <date>] [--clickhouse <url|dir>] --out <dir>
                                                                         report.html and candidates.csv

Run "clonewatch <command> --help" for the flags of a command.`;

type Command = (argv: string[]) => Promise<number>;

// Each command lives in its own module, loaded only when asked for (chDB and kafkajs are heavy).
const COMMANDS: Record<string, () => Promise<Command>> = {
  detect: async () => (await import('./detect.js')).detectCommand,
  run: async () => (await import('./run.js')).runCommand,
  replay: async () => (await import('./replay.js')).replayCommand,
  route: async () => (await import('./route.js')).routeCommand,
  sql: async () => (await import('./sql.js')).sqlCommand,
  explain: async () => (await import('./explain.js')).explainCommand,
  report: async () => (await import('./report.js')).reportCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE + '\n');
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) throw new UsageError(`unknown command "${name}" (expected one of: ${Object.keys(COMMANDS).join(', ')}); see clonewatch --help`);
  // detect: its parse workers start now, and read pass 1 while the command's modules load (pipeline/parse-pool.ts,
  // pipeline/scan-start.ts).
  if (name === 'detect') scanEarly(rest, prestartForDetect(rest));
  try {
    const command = await load();
    return await command(rest);
  } finally {
    await stopEarlyScan();
    await stopPrestartedWorkers();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const e = err as Error;
    process.stderr.write(`clonewatch: ${redactText(e?.message ?? String(err))}\n`);
    if (process.env.CLONEWATCH_DEBUG) process.stderr.write(`${redactText(String(e?.stack))}\n`);
    process.exitCode = exitCodeFor(err);
  },
);
