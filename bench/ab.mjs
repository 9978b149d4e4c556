#!/usr/bin/env node
// Two builds of clonewatch, alternated on the same data: is a change faster, and are its outputs the same?
// The host this project is measured on varies by about ±10 % from run to run for one and the same binary, so a
// step is judged by many alternated runs (A, B, A, B, ...), not by one run of each.
//
//   cp -r dist /tmp/dist-before            # before the change (npm run build first)
//   ... change, npm run build ...
//   node bench/ab.mjs --a /tmp/dist-before --b dist --data bench/data/s1000000-seed1 --runs 10
//
// Each run is `node <dist>/cli/main.js detect --cdrs D/cdrs --cells D/cells.csv [--exceptions D/exceptions.csv]
// --out <tmp> --clickhouse none --no-progress [extra args after --]`, timed by /usr/bin/time (wall, user + sys
// CPU, peak RSS). It prints each run, then median / mean / min per build, and whether the two builds wrote the same
// clones, block candidates and rejects (compared without the fields that hold the wall clock) and the same summary.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: a, positionals } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string' },
    data: { type: 'string' },
    runs: { type: 'string', default: '6' },
  },
  allowPositionals: true,
});
function fail(message) {
  process.stderr.write(`ab: ${message}\n`);
  process.exit(2);
}
if (!a.a || !a.b || !a.data) fail('usage: node bench/ab.mjs --a DIST_A --b DIST_B --data DATA_DIR [--runs N] [-- extra detect args]');
const runs = Number(a.runs);
if (!Number.isInteger(runs) || runs < 1) fail(`--runs ${a.runs}: a whole number of runs, at least 1`);
const data = resolve(a.data);
const builds = { A: resolve(a.a), B: resolve(a.b) };
for (const [k, dir] of Object.entries(builds)) if (!existsSync(join(dir, 'cli/main.js'))) fail(`--${k.toLowerCase()} ${dir}: no cli/main.js there (a dist/ directory, built)`);
if (!existsSync(join(data, 'cdrs')) || !existsSync(join(data, 'cells.csv'))) fail(`--data ${data}: needs cdrs/ and cells.csv (a data set of bench/data)`);
const work = mkdtempSync(join(tmpdir(), 'clonewatch-ab-'));

function detect(dist, out) {
  const args = ['-f', '%e %U %S %M', node(), join(dist, 'cli/main.js'), 'detect', '--cdrs', join(data, 'cdrs'), '--cells', join(data, 'cells.csv')];
  if (existsSync(join(data, 'exceptions.csv'))) args.push('--exceptions', join(data, 'exceptions.csv'));
  args.push('--out', out, '--clickhouse', 'none', '--no-progress', ...positionals);
  rmSync(out, { recursive: true, force: true });
  const r = spawnSync('/usr/bin/time', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  // detect writes its summary to stderr; /usr/bin/time adds its line last.
  const lines = r.stderr.trim().split('\n');
  const [wall, user, sys, rssKb] = (lines.pop() ?? '').split(' ').map(Number);
  if (r.status !== 0 || !Number.isFinite(wall)) fail(`detect with ${dist} failed (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
  return { wall, cpu: user + sys, rssMb: rssKb / 1024, summary: lines.join('\n') };
}

function node() {
  return process.execPath;
}

const stats = { A: [], B: [] };
const last = {};
for (let i = 0; i < runs; i++) {
  for (const k of ['A', 'B']) {
    const out = join(work, k);
    const r = detect(builds[k], out);
    stats[k].push(r);
    last[k] = { out, summary: r.summary };
    process.stdout.write(`${k} run ${i + 1}/${runs}: ${r.wall.toFixed(2)} s, ${r.cpu.toFixed(2)} CPU-s, ${r.rssMb.toFixed(0)} MB\n`);
  }
}

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mean = (xs) => xs.reduce((x, y) => x + y, 0) / xs.length;
for (const k of ['A', 'B']) {
  const w = stats[k].map((r) => r.wall);
  const c = stats[k].map((r) => r.cpu);
  process.stdout.write(`${k} ${builds[k]}: wall median ${median(w).toFixed(2)} s, mean ${mean(w).toFixed(2)}, min ${Math.min(...w).toFixed(2)}; CPU median ${median(c).toFixed(2)} s, mean ${mean(c).toFixed(2)}, min ${Math.min(...c).toFixed(2)}\n`);
}

// Outputs: the same lines once the wall-clock fields (detected_at, emitted_at, ...) and the wall clock in an
// implausible-time reject's detail are taken out; the summary without its timing and file lines.
const clock = (text) => text.replace(/"[a-z_]*_at":"[^"]*"/g, '').replace(/after the wall clock \([^)]*\)/g, '');
let same = true;
for (const f of readdirSync(last.A.out)) {
  const eq = clock(readFileSync(join(last.A.out, f), 'utf8')) === clock(readFileSync(join(last.B.out, f), 'utf8'));
  if (!eq) same = false;
  process.stdout.write(`${eq ? 'same' : 'DIFFERENT'} ${f}\n`);
}
const summary = (s, out) => s.split('\n').filter((l) => !/^\s*(time|files:)/.test(l)).join('\n').split(out).join('<out>');
const sameSummary = summary(last.A.summary, last.A.out) === summary(last.B.summary, last.B.out);
process.stdout.write(`${sameSummary ? 'same' : 'DIFFERENT'} summary\n`);
rmSync(work, { recursive: true, force: true });
process.exit(same && sameSummary ? 0 : 1);
