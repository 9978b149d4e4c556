// Effectiveness of the Art. 22(c) criteria (the table an operator's proposal to OSIPTEL needs): generate a
// data set with the criteria scenarios, run detect with the two Art. 22 rules and with all five, score each
// criterion, and count the planted clones the two rules miss that the extra criteria find.
// node bench/dist/criteria-bench.js [--rows 100000] [--seed 5] [--min-per-kind 30] [--out bench/out/criteria]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { parseArgs, num } from './args.js';
import { CLONE_KINDS, generate } from './generator.js';
import { CRITERIA_CLONE_KINDS } from './criteria-scenarios.js';
import { ALL_RULE_NAMES, KEY_RULE_NAMES, PAIR_RULE_NAMES, score, type PR } from './scorer.js';

async function imeisByRule(file: string): Promise<Map<string, Set<string>>> {
  const m = new Map<string, Set<string>>();
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    const f = JSON.parse(line) as { imei: string; rule: string };
    if (!m.has(f.rule)) m.set(f.rule, new Set());
    m.get(f.rule)!.add(f.imei);
  }
  return m;
}

function barChart(rows: Array<{ label: string; precision: number; recall: number }>, title: string): string {
  const W = 640;
  const H = 300;
  const left = 60;
  const bottom = 250;
  const bw = (W - left - 20) / rows.length;
  const y = (v: number) => bottom - v * 200;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">${title}</text>`];
  for (const t of [0, 0.25, 0.5, 0.75, 1]) parts.push(`<line x1="${left}" x2="${W - 20}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/><text x="${left - 6}" y="${y(t) + 4}" text-anchor="end">${t.toFixed(2)}</text>`);
  rows.forEach((r, i) => {
    const x = left + i * bw + bw * 0.15;
    const w = bw * 0.33;
    parts.push(`<rect x="${x}" y="${y(r.precision)}" width="${w}" height="${bottom - y(r.precision)}" fill="#3b6ea5"><title>precision ${r.precision.toFixed(4)}</title></rect>`);
    parts.push(`<rect x="${x + w + 2}" y="${y(r.recall)}" width="${w}" height="${bottom - y(r.recall)}" fill="#e08a2c"><title>recall ${r.recall.toFixed(4)}</title></rect>`);
    parts.push(`<text x="${x + w}" y="${bottom + 16}" text-anchor="middle">${r.label}</text>`);
  });
  parts.push(`<rect x="${left}" y="272" width="12" height="12" fill="#3b6ea5"/><text x="${left + 16}" y="282">precision</text><rect x="${left + 90}" y="272" width="12" height="12" fill="#e08a2c"/><text x="${left + 106}" y="282">recall</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const rows = num(a.rows, 100000);
  const seed = num(a.seed, 5);
  const out = typeof a.out === 'string' ? a.out : 'bench/out/criteria';
  const data = path.join('bench/data', `criteria-${rows}-seed${seed}`);
  const truth = await generate({ rows, seed, out: data, extraCriteria: true, minPerKind: num(a['min-per-kind'], 30) });
  const cli = path.resolve('dist/cli/main.js');
  const run = (dir: string, extra: string[]) => {
    fs.rmSync(dir, { recursive: true, force: true });
    const t0 = Date.now();
    execFileSync(process.execPath, [cli, 'detect', '--cdrs', path.join(data, 'cdrs'), '--cells', path.join(data, 'cells.csv'), '--exceptions', path.join(data, 'exceptions.csv'), '--out', dir, '--clickhouse', 'none', '--no-progress', ...extra], { stdio: ['ignore', 'ignore', 'ignore'] });
    return (Date.now() - t0) / 1000;
  };
  const base = path.join(out, 'art22');
  const all = path.join(out, 'all');
  const tBase = run(base, []);
  const tAll = run(all, ['--rules', ALL_RULE_NAMES.join(','), '--tac-db', path.join(data, 'tac-db.csv')]);
  const sBase = await score(data, base, truth, 86400, PAIR_RULE_NAMES);
  const sAll = await score(data, all, truth, 86400, ALL_RULE_NAMES);
  const gotBase = await imeisByRule(path.join(base, 'clones.ndjson'));
  const gotAll = await imeisByRule(path.join(all, 'clones.ndjson'));
  const art22 = (imei: string) => PAIR_RULE_NAMES.some((r) => gotBase.get(r)?.has(imei));
  const extras = (imei: string) => KEY_RULE_NAMES.some((r) => gotAll.get(r)?.has(imei));

  const f4 = (x: number) => x.toFixed(4);
  const line = (name: string, p: PR) => `| ${name} | ${p.tp} | ${p.fp} | ${p.fn} | ${f4(p.precision)} | ${f4(p.recall)} |`;
  const md: string[] = [];
  md.push(`Data: \`bench:gen --rows ${rows} --seed ${seed} --extra-criteria --min-per-kind ${num(a['min-per-kind'], 30)}\` (${truth.rows.lines.toLocaleString('en-US')} lines, ${truth.imeiKeys.toLocaleString('en-US')} IMEI keys, ${truth.specials.length} planted devices); detect with the two Art. 22 rules ${tBase.toFixed(1)} s, with all five ${tAll.toFixed(1)} s (shared machine).`, '');
  md.push('Per criterion, with all five rules on (`--rules simultaneity,time_distance,shared_imei,inconsistent_rat,unknown_tac --tac-db tac-db.csv`):', '');
  md.push('| criterion | TP | FP | FN | precision | recall |', '|---|---:|---:|---:|---:|---:|');
  for (const r of ALL_RULE_NAMES) md.push(line(r, sAll.rules[r]!));
  md.push(line('all findings', sAll.rules.all), line('block candidates (IMEIs)', sAll.candidates), '');
  md.push('The same data with the default rules only:', '', '| rules | TP | FP | FN | precision | recall |', '|---|---:|---:|---:|---:|---:|');
  md.push(line('simultaneity + time_distance', sBase.rules.all), line('block candidates (IMEIs)', sBase.candidates), '');
  md.push('Planted clones, by kind: found by the two Art. 22 rules, and found only by the extra criteria:', '');
  md.push('| kind | planted | found by Art. 22 rules | missed by them, found by extra criteria | missed by all |', '|---|---:|---:|---:|---:|');
  let totP = 0;
  let totA = 0;
  let totX = 0;
  let totM = 0;
  for (const kind of [...CLONE_KINDS, ...CRITERIA_CLONE_KINDS]) {
    const sp = truth.specials.filter((s) => s.kind === kind);
    const keys = sp.map((s) => s.imeis[0].slice(0, 14));
    const byA = keys.filter(art22).length;
    const onlyX = keys.filter((k) => !art22(k) && extras(k)).length;
    const none = keys.filter((k) => !art22(k) && !extras(k)).length;
    totP += keys.length;
    totA += byA;
    totX += onlyX;
    totM += none;
    md.push(`| ${kind} | ${keys.length} | ${byA} | ${onlyX} | ${none} |`);
  }
  md.push(`| all planted clones | ${totP} | ${totA} | ${totX} | ${totM} |`, '');
  md.push(`Exempt-pair violations in candidates: ${sAll.exemptViolations} (all five), ${sBase.exemptViolations} (Art. 22 rules).`);
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'criteria.md'), md.join('\n') + '\n');
  fs.mkdirSync('bench/charts', { recursive: true });
  fs.writeFileSync('bench/charts/criteria.svg', barChart(ALL_RULE_NAMES.map((r) => ({ label: r, precision: sAll.rules[r]!.precision, recall: sAll.rules[r]!.recall })), `Precision and recall per criterion (${rows.toLocaleString('en-US')} rows, seed ${seed})`));
  process.stdout.write(md.join('\n') + '\n');
}

main().catch((e) => {
  process.stderr.write(`criteria-bench: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
