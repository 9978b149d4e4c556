// node bench/dist/twin-cli.js --data DIR --out DIR: runs the ClickHouse-SQL twin (chDB) over a generated data set.
import { parseArgs } from './args.js';
import { runTwin, twinRulesSql, twinSql } from './twin.js';

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (typeof a.data !== 'string') {
    process.stderr.write('usage: twin-cli --data DIR [--out DIR] [--print-sql]\n');
    process.exit(2);
  }
  if (a['print-sql']) {
    process.stdout.write(`CREATE TABLE c ENGINE = Memory AS ${twinSql(a.data)};\n${twinRulesSql()};\n`);
    return;
  }
  const t0 = performance.now();
  const r = await runTwin(a.data, typeof a.out === 'string' ? a.out : `${a.data}/twin-out`);
  process.stdout.write(JSON.stringify({ ...r, totalS: (performance.now() - t0) / 1000 }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`twin: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
