// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by file, for "where the time goes".
import * as fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

export interface ProfileSummary {
  totalMs: number;
  byFunction: { name: string; ms: number; pct: number }[];
  byFile: { file: string; ms: number; pct: number }[];
}

export function summariseProfile(file: string, top = 15): ProfileSummary {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const fn = new Map<string, number>();
  const files = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const cf = byId.get(id)!.callFrame;
    const url = cf.url.replace(/^file:\/\//, '').replace(/.*\/(dist|node_modules)\//, '$1/') || '(native)';
    const name = `${cf.functionName || '(anonymous)'} ${url}${cf.url ? ':' + (cf.lineNumber + 1) : ''}`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    const f = url.startsWith('node:') ? 'node internals' : url;
    files.set(f, (files.get(f) ?? 0) + us);
    total += us;
  }
  const rank = <K extends string>(m: Map<string, number>, key: K) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => ({ [key]: k, ms: us / 1000, pct: (us / total) * 100 }) as { [P in K]: string } & { ms: number; pct: number });
  return { totalMs: total / 1000, byFunction: rank(fn, 'name'), byFile: rank(files, 'file') };
}
