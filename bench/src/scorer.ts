// Scores any output directory (clones.ndjson, block-candidates.ndjson, rejects.ndjson) against the
// generator's truth: precision/recall per rule on (IMEI key, unordered IMSI pair, rule), candidates (IMEIs
// and their IMSI sets), exempt-pair violations, and reject recall by reason.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Truth, TruthFinding } from './generator.js';
import type { TruthKeyFinding } from './criteria-scenarios.js';

export const PAIR_RULE_NAMES = ['simultaneity', 'time_distance'] as const;
export const KEY_RULE_NAMES = ['shared_imei', 'inconsistent_rat', 'unknown_tac'] as const;
export const ALL_RULE_NAMES = [...PAIR_RULE_NAMES, ...KEY_RULE_NAMES] as const;
export type ScoredRule = (typeof ALL_RULE_NAMES)[number];

export interface PR {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
}

export interface Score {
  /** Per enabled rule, and `all` over them. */
  rules: Partial<Record<ScoredRule, PR>> & { all: PR };
  findingLines: number;
  /** Lines whose (IMEI, pair, rule) was already reported (allowed once per suppressionS of event time). */
  repeatedTriples: number;
  /** Repeats less than suppressionS (86400 s) of event time after the previous finding of the triple: a bug. */
  repeatedWithinSuppression: number;
  duplicateFindingIds: number;
  /** Findings whose exempt_imsis differ from what the exception list says. */
  wrongExemptImsis: number;
  /** Findings whose `imei` is not a 14-digit key, or whose a starts after b, or malformed fields. */
  malformedFindings: number;
  candidates: PR & { imsiSetExact: number; imsiSetWrong: number; lines: number };
  /** Candidate lines that list an exempt IMSI in `imsis`. */
  exemptViolations: number;
  rejects: {
    byReason: Record<string, { expected: number; found: number; wrongReason: number; recall: number }>;
    /** Rejects at lines the truth holds valid, by reason. */
    unexpected: Record<string, number>;
    recall: number;
  };
  examples: { fp: string[]; fn: string[]; unexpectedRejects: string[]; wrongReason: string[]; exemptViolations: string[]; other: string[] };
}

function pr(tp: number, fp: number, fn: number): PR {
  return { tp, fp, fn, precision: tp + fp === 0 ? 1 : tp / (tp + fp), recall: tp + fn === 0 ? 1 : tp / (tp + fn) };
}

async function* ndjson(file: string): AsyncGenerator<Record<string, unknown>> {
  if (!fs.existsSync(file)) return;
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    yield JSON.parse(line) as Record<string, unknown>;
  }
}

const triple = (imei: string, a: string, b: string, rule: string) => (a < b ? `${imei}|${a}|${b}|${rule}` : `${imei}|${b}|${a}|${rule}`);

/**
 * What a finding is scored as: pair rules by (IMEI key, unordered IMSI pair, rule); shared_imei and
 * unknown_tac by (IMEI key, rule); inconsistent_rat by (IMEI key, radio, rule), as SPEC dedups them.
 */
function findingKey(f: Record<string, unknown>): string {
  const rule = String(f.rule);
  if (rule === 'shared_imei' || rule === 'unknown_tac') return `${String(f.imei)}|${rule}`;
  if (rule === 'inconsistent_rat') return `${String(f.imei)}|${String(f.radio)}|${rule}`;
  return triple(String(f.imei), String(f.imsi_a), String(f.imsi_b), rule);
}

function keyTruthKey(f: TruthKeyFinding): string {
  return f.rule === 'inconsistent_rat' ? `${f.imei}|${f.radio}|${f.rule}` : `${f.imei}|${f.rule}`;
}

/** Block candidates implied by the truth findings of the enabled rules (final IMSI set per IMEI, exempt IMSIs left out). */
export function expectedCandidates(truth: Truth, rules: readonly string[]): Map<string, string> {
  const ex = new Set(truth.exemptPairs.map((e) => `${e.imei}|${e.imsi}`));
  const by = new Map<string, Set<string>>();
  const add = (imei: string, imsis: string[]) => {
    let s = by.get(imei);
    if (!s) by.set(imei, (s = new Set()));
    for (const x of imsis) if (!ex.has(`${imei}|${x}`)) s.add(x);
  };
  for (const f of truth.findings as TruthFinding[]) if (rules.includes(f.rule)) add(f.imei, f.imsis);
  for (const f of truth.keyFindings ?? []) if (rules.includes(f.rule)) add(f.imei, f.imsis);
  const out = new Map<string, string>();
  for (const [imei, s] of by) if (s.size) out.set(imei, [...s].sort().join(','));
  return out;
}

export function readTruth(dataDir: string): Truth {
  return JSON.parse(fs.readFileSync(path.join(dataDir, 'truth.json'), 'utf8')) as Truth;
}

export async function score(
  dataDir: string,
  outDir: string,
  truth: Truth = readTruth(dataDir),
  suppressionS = 86400,
  enabled: readonly ScoredRule[] = PAIR_RULE_NAMES,
): Promise<Score> {
  const ex: Score['examples'] = { fp: [], fn: [], unexpectedRejects: [], wrongReason: [], exemptViolations: [], other: [] };
  const note = (list: string[], s: string) => list.length < 10 && list.push(s);

  const want = new Set([
    ...truth.findings.filter((f) => enabled.includes(f.rule)).map((f) => triple(f.imei, f.imsis[0], f.imsis[1], f.rule)),
    ...(truth.keyFindings ?? []).filter((f) => enabled.includes(f.rule)).map(keyTruthKey),
  ]);
  const exempt = new Set(truth.exemptPairs.map((e) => `${e.imei}|${e.imsi}`));
  const got = new Set<string>();
  const lastAt = new Map<string, number>();
  let repeatedWithin = 0;
  let findingLines = 0;
  let repeated = 0;
  let wrongExempt = 0;
  let malformed = 0;
  const ids = new Set<string>();
  let dupIds = 0;
  for await (const f of ndjson(path.join(outDir, 'clones.ndjson'))) {
    findingLines++;
    const imei = String(f.imei);
    const k = findingKey(f);
    const at = Math.max(Date.parse(String(f.time_a)), Date.parse(String(f.time_b)));
    if (got.has(k)) {
      repeated++;
      if (Math.abs(at - lastAt.get(k)!) < suppressionS * 1000) {
        repeatedWithin++;
        note(ex.other, `repeated within ${suppressionS} s: ${k}`);
      }
    }
    got.add(k);
    lastAt.set(k, at);
    if (f.finding_id !== undefined) {
      const id = String(f.finding_id);
      if (ids.has(id)) dupIds++;
      ids.add(id);
    }
    if (!/^\d{14}$/.test(imei) || Date.parse(String(f.time_a)) > Date.parse(String(f.time_b)) || typeof f.gap_s !== 'number' || typeof f.overlap_s !== 'number') {
      malformed++;
      note(ex.other, `malformed finding ${JSON.stringify(f).slice(0, 300)}`);
    }
    const expEx = [String(f.imsi_a), String(f.imsi_b)].filter((s) => exempt.has(`${imei}|${s}`)).sort();
    const gotEx = (Array.isArray(f.exempt_imsis) ? (f.exempt_imsis as string[]) : []).slice().sort();
    if (expEx.join(',') !== gotEx.join(',')) {
      wrongExempt++;
      note(ex.other, `exempt_imsis ${JSON.stringify(gotEx)} expected ${JSON.stringify(expEx)} in ${k}`);
    }
  }
  const rules = {} as Score['rules'];
  for (const rule of [...enabled, 'all'] as const) {
    const match = (k: string) => rule === 'all' || k.endsWith('|' + rule);
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const k of got) {
      if (!match(k)) continue;
      if (want.has(k)) tp++;
      else {
        fp++;
        if (rule === 'all') note(ex.fp, k);
      }
    }
    for (const k of want) {
      if (!match(k) || got.has(k)) continue;
      fn++;
      if (rule === 'all') note(ex.fn, k);
    }
    rules[rule] = pr(tp, fp, fn);
  }

  // Candidates: the final IMSI set of each IMEI is the union over its lines.
  const candWant = expectedCandidates(truth, enabled);
  const candGot = new Map<string, Set<string>>();
  let candLines = 0;
  let exemptViolations = 0;
  for await (const c of ndjson(path.join(outDir, 'block-candidates.ndjson'))) {
    candLines++;
    const imei = String(c.imei);
    let s = candGot.get(imei);
    if (!s) candGot.set(imei, (s = new Set()));
    for (const x of (c.imsis as string[]) ?? []) {
      s.add(x);
      if (exempt.has(`${imei}|${x}`)) {
        exemptViolations++;
        note(ex.exemptViolations, `${imei} lists exempt IMSI ${x}`);
      }
    }
  }
  let ctp = 0;
  let cfp = 0;
  let exact = 0;
  let wrongSet = 0;
  for (const [imei, s] of candGot) {
    const w = candWant.get(imei);
    if (w === undefined) {
      cfp++;
      note(ex.other, `candidate not in truth: ${imei} ${[...s].join(',')}`);
      continue;
    }
    ctp++;
    if ([...s].sort().join(',') === w) exact++;
    else {
      wrongSet++;
      note(ex.other, `candidate ${imei} imsis ${[...s].sort().join(',')} expected ${w}`);
    }
  }
  let cfn = 0;
  for (const imei of candWant.keys()) if (!candGot.has(imei)) {
    cfn++;
    note(ex.other, `candidate missing: ${imei}`);
  }

  // Rejects, matched on (file name, line).
  const expected = new Map<string, string>();
  for (const line of fs.readFileSync(path.join(dataDir, 'truth-rejects.ndjson'), 'utf8').split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as { source: string; line: number; reason: string };
    expected.set(`${path.basename(r.source)}:${r.line}`, r.reason);
  }
  const byReason: Score['rejects']['byReason'] = {};
  for (const reason of expected.values()) {
    byReason[reason] ??= { expected: 0, found: 0, wrongReason: 0, recall: 0 };
    byReason[reason].expected++;
  }
  const unexpected: Record<string, number> = {};
  const seenRej = new Set<string>();
  for await (const r of ndjson(path.join(outDir, 'rejects.ndjson'))) {
    const k = `${path.basename(String(r.source))}:${String(r.line)}`;
    if (seenRej.has(k)) continue;
    seenRej.add(k);
    const w = expected.get(k);
    const reason = String(r.reason);
    if (w === undefined) {
      unexpected[reason] = (unexpected[reason] ?? 0) + 1;
      note(ex.unexpectedRejects, `${k} ${reason} ${String(r.detail ?? '')} | ${String(r.raw ?? '').slice(0, 160)}`);
    } else if (w === reason) byReason[w].found++;
    else {
      byReason[w].wrongReason++;
      note(ex.wrongReason, `${k} expected ${w} got ${reason} (${String(r.detail ?? '')}) | ${String(r.raw ?? '').slice(0, 160)}`);
    }
  }
  let totalExp = 0;
  let totalFound = 0;
  for (const v of Object.values(byReason)) {
    v.recall = v.expected ? v.found / v.expected : 1;
    totalExp += v.expected;
    totalFound += v.found;
  }

  return {
    rules,
    findingLines,
    repeatedTriples: repeated,
    repeatedWithinSuppression: repeatedWithin,
    duplicateFindingIds: dupIds,
    wrongExemptImsis: wrongExempt,
    malformedFindings: malformed,
    candidates: { ...pr(ctp, cfp, cfn), imsiSetExact: exact, imsiSetWrong: wrongSet, lines: candLines },
    exemptViolations,
    rejects: { byReason, unexpected, recall: totalExp ? totalFound / totalExp : 1 },
    examples: ex,
  };
}

const f3 = (x: number) => x.toFixed(4);

export function formatScore(s: Score): string {
  const out: string[] = [];
  out.push('| rule | TP | FP | FN | precision | recall |', '|---|---:|---:|---:|---:|---:|');
  for (const [k, v] of Object.entries(s.rules)) out.push(`| ${k} | ${v.tp} | ${v.fp} | ${v.fn} | ${f3(v.precision)} | ${f3(v.recall)} |`);
  const c = s.candidates;
  out.push(`| candidates (IMEIs) | ${c.tp} | ${c.fp} | ${c.fn} | ${f3(c.precision)} | ${f3(c.recall)} |`);
  out.push('');
  out.push(
    `finding lines ${s.findingLines}, repeated triples ${s.repeatedTriples} (within suppression: ${s.repeatedWithinSuppression}), duplicate finding_ids ${s.duplicateFindingIds}, wrong exempt_imsis ${s.wrongExemptImsis}, malformed ${s.malformedFindings}; candidate lines ${c.lines}, IMSI sets exact ${c.imsiSetExact}/${c.tp}; exempt-pair violations ${s.exemptViolations}`,
  );
  out.push('');
  out.push('| reject reason | expected | found | wrong reason | recall |', '|---|---:|---:|---:|---:|');
  for (const [k, v] of Object.entries(s.rejects.byReason).sort()) out.push(`| ${k} | ${v.expected} | ${v.found} | ${v.wrongReason} | ${f3(v.recall)} |`);
  out.push(`| all | | | | ${f3(s.rejects.recall)} |`);
  const un = Object.entries(s.rejects.unexpected);
  if (un.length) out.push('', `unexpected rejects (truth says valid): ${un.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  for (const [k, v] of Object.entries(s.examples)) if (v.length) out.push('', `${k}:`, ...v.map((x) => `  ${x}`));
  return out.join('\n');
}

export interface Comparison {
  onlyA: string[];
  onlyB: string[];
  common: number;
  candidatesOnlyA: string[];
  candidatesOnlyB: string[];
  candidateSetsDiffer: string[];
}

/** Compares two output directories (e.g. the engine and the SQL twin) on finding triples and candidate sets. */
export async function compareOutputs(a: string, b: string): Promise<Comparison> {
  const triples = async (dir: string) => {
    const s = new Set<string>();
    for await (const f of ndjson(path.join(dir, 'clones.ndjson'))) s.add(triple(String(f.imei), String(f.imsi_a), String(f.imsi_b), String(f.rule)));
    return s;
  };
  const cands = async (dir: string) => {
    const m = new Map<string, Set<string>>();
    for await (const c of ndjson(path.join(dir, 'block-candidates.ndjson'))) {
      const imei = String(c.imei);
      if (!m.has(imei)) m.set(imei, new Set());
      for (const x of (c.imsis as string[]) ?? []) m.get(imei)!.add(x);
    }
    return m;
  };
  const [ta, tb, ca, cb] = await Promise.all([triples(a), triples(b), cands(a), cands(b)]);
  const key = (s: Set<string>) => [...s].sort().join(',');
  return {
    onlyA: [...ta].filter((k) => !tb.has(k)),
    onlyB: [...tb].filter((k) => !ta.has(k)),
    common: [...ta].filter((k) => tb.has(k)).length,
    candidatesOnlyA: [...ca.keys()].filter((k) => !cb.has(k)),
    candidatesOnlyB: [...cb.keys()].filter((k) => !ca.has(k)),
    candidateSetsDiffer: [...ca.keys()].filter((k) => cb.has(k) && key(ca.get(k)!) !== key(cb.get(k)!)),
  };
}
