// npm run bench:gen -- --rows N --seed S --out DIR [--devices M] [--gzip] [--hours H] [--clone-rate R] ...
import { parseArgs, num } from './args.js';
import { generate } from './generator.js';

const USAGE = `usage: bench:gen -- --rows N --seed S --out DIR [--devices M] [--gzip] [--hours H]
  [--clone-rate R] [--lookalike-rate R] [--min-per-kind K] [--invalid-rate R] [--duplicate-rate R]
  [--late-rate R] [--rows-per-file N] [--disorder-s S] [--sites N] [--start ISO] [--dense SHARE] [--extra-criteria] [--quiet]
  --extra-criteria also plants the Art. 22(c) scenarios (shared IMEIs, cross-generation and invented-TAC clones,
  and their look-alikes); tac-db.csv is written beside the data either way`;

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (a.help || !a.out) {
    process.stderr.write(USAGE + '\n');
    process.exit(a.help ? 0 : 2);
  }
  const truth = await generate({
    rows: num(a.rows, 100000),
    seed: num(a.seed, 1),
    out: String(a.out),
    devices: a.devices === undefined ? undefined : num(a.devices, 0),
    gzip: a.gzip === true,
    hours: num(a.hours, 24),
    start: typeof a.start === 'string' ? a.start : undefined,
    cloneRate: a['clone-rate'] === undefined ? undefined : num(a['clone-rate'], 0),
    lookalikeRate: a['lookalike-rate'] === undefined ? undefined : num(a['lookalike-rate'], 0),
    minPerKind: a['min-per-kind'] === undefined ? undefined : num(a['min-per-kind'], 0),
    invalidRate: a['invalid-rate'] === undefined ? undefined : num(a['invalid-rate'], 0),
    duplicateRate: a['duplicate-rate'] === undefined ? undefined : num(a['duplicate-rate'], 0),
    lateRate: a['late-rate'] === undefined ? undefined : num(a['late-rate'], 0),
    rowsPerFile: a['rows-per-file'] === undefined ? undefined : num(a['rows-per-file'], 0),
    disorderS: a['disorder-s'] === undefined ? undefined : num(a['disorder-s'], 200),
    sites: a.sites === undefined ? undefined : num(a.sites, 0),
    dense: a.dense === undefined ? undefined : num(a.dense, 0),
    extraCriteria: a['extra-criteria'] === true,
    progress: a.quiet !== true,
  });
  const rejects = Object.values(truth.rows.rejects).reduce((s, n) => s + n, 0);
  process.stdout.write(
    JSON.stringify({ out: String(a.out), lines: truth.rows.lines, valid: truth.rows.valid, rejects, imeiKeys: truth.imeiKeys, findings: truth.findings.length, keyFindings: truth.keyFindings.length, candidates: truth.candidates.length, files: truth.files.length }) + '\n',
  );
}

main().catch((e) => {
  process.stderr.write(`bench:gen: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
