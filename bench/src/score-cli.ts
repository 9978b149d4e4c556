// npm run bench:score -- --data DIR --out DIR [--rules simultaneity,time_distance,...] [--json]
import { parseArgs } from './args.js';
import { readTruth } from './scorer.js';
import { ALL_RULE_NAMES, formatScore, PAIR_RULE_NAMES, score, type ScoredRule } from './scorer.js';

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (typeof a.data !== 'string' || typeof a.out !== 'string') {
    process.stderr.write(
      'usage: bench:score -- --data DIR (generated, with truth.json) --out DIR (clones.ndjson, block-candidates.ndjson, rejects.ndjson)\n' +
        '         [--rules list] (the rules detect ran with; default simultaneity,time_distance) [--json]\n',
    );
    process.exit(2);
  }
  const rules = typeof a.rules === 'string' ? a.rules.split(',').map((x) => x.trim()) : [...PAIR_RULE_NAMES];
  const bad = rules.filter((r) => !(ALL_RULE_NAMES as readonly string[]).includes(r));
  if (bad.length) {
    process.stderr.write(`bench:score: unknown rule(s) ${bad.join(', ')}\n`);
    process.exit(2);
  }
  const s = await score(a.data, a.out, readTruth(a.data), 86400, rules as ScoredRule[]);
  process.stdout.write((a.json ? JSON.stringify(s, null, 1) : formatScore(s)) + '\n');
}

main().catch((e) => {
  process.stderr.write(`bench:score: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
