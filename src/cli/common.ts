import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseConfig, THRESHOLD_FLAGS, ruleSchema, type Config } from '../config/schema.js';
import { UsageError } from '../domain/errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs options for every threshold flag plus --config. */
export function thresholdOptions(): Options {
  const opts: Options = { config: { type: 'string' } };
  for (const flag of Object.keys(THRESHOLD_FLAGS)) opts[flag.slice(2)] = { type: 'string' };
  return opts;
}

/** Help lines for the threshold flags, with SPEC's defaults. */
export function thresholdHelp(): string {
  const defaults = ruleSchema.parse({}) as Record<string, unknown>;
  return Object.entries(THRESHOLD_FLAGS)
    .map(([flag, { key, help }]) => {
      const arg = key === 'rules' ? ' <list>' : key === 'tacDb' ? ' <file>' : key === 'timezone' ? ' <±hh:mm>' : ' <n>';
      const d = defaults[key] === undefined ? 'none' : Array.isArray(defaults[key]) ? (defaults[key] as string[]).join(',') : defaults[key];
      const text = `${help} (default ${d}; config key ${key})`;
      // A flag too long for the column gets a line of its own, its text under the others'.
      const name = flag + arg;
      return name.length < 28 ? `  ${name.padEnd(28)}${text}` : `  ${name}\n${' '.repeat(30)}${text}`;
    })
    .join('\n');
}

/** Parse argv with node:util, turning its errors into UsageErrors. */
export function parseCommandArgs(argv: string[], options: Options, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]} (see --help)`);
  }
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const v = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`config file ${path} is not a JSON object: ${(err as Error).message}`);
  }
}

/**
 * Build the one Config: defaults, then the config file, then flags. `extra` lets a command set nested
 * values (clickhouse, kafka) from its own flags.
 */
export function buildConfig(values: Record<string, unknown>, extra?: (raw: Record<string, unknown>) => void): Config {
  const raw: Record<string, unknown> = typeof values.config === 'string' ? readConfigFile(values.config) : {};
  for (const [flag, { key }] of Object.entries(THRESHOLD_FLAGS)) {
    const v = values[flag.slice(2)];
    if (typeof v !== 'string') continue;
    if (key === 'timezone' || key === 'minEventTime' || key === 'tacDb') {
      raw[key] = v;
      continue;
    }
    if (key === 'rules') {
      raw[key] = v.split(',').map((x) => x.trim()).filter((x) => x !== '');
      continue;
    }
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} needs a number, got "${v}"`);
    raw[key] = n;
  }
  extra?.(raw);
  const r = parseConfig(raw);
  if (!r.ok) throw new UsageError(`invalid configuration: ${r.message}`);
  return r.config;
}

/**
 * A count with thousands separators, as `toLocaleString('en-US')` writes it. Not that function itself: its
 * first call loads ICU's number formats, 17-65 ms measured at the end of every run, after the work is done.
 */
export function thousands(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n));
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return n < 0 ? `-${out}` : out;
}
