// npm run bench:score -- --data DIR --out DIR [--json]
import { parseArgs } from './args.js';
import { formatScore, score } from './scorer.js';

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (typeof a.data !== 'string' || typeof a.out !== 'string') {
    process.stderr.write('usage: bench:score -- --data DIR (generated, with truth.json) --out DIR (clones.ndjson, block-candidates.ndjson, rejects.ndjson) [--json]\n');
    process.exit(2);
  }
  const s = await score(a.data, a.out);
  process.stdout.write((a.json ? JSON.stringify(s, null, 1) : formatScore(s)) + '\n');
}

main().catch((e) => {
  process.stderr.write(`bench:score: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
