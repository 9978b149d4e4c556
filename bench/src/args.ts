// Tiny flag parser for the bench CLIs: --name value, --flag.

export function parseArgs(argv: string[]): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const [name, inline] = a.slice(2).split('=', 2);
    if (inline !== undefined) out[name] = inline;
    else if (k + 1 < argv.length && !argv[k + 1].startsWith('--')) out[name] = argv[++k];
    else out[name] = true;
  }
  return out;
}

export function num(v: string | true | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (v === true || !Number.isFinite(n)) throw new Error(`expected a number, got ${String(v)}`);
  return n;
}
