import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ServiceError, UsageError } from '../domain/errors.js';
import { buildConfig, parseCommandArgs } from './common.js';
import { loadCellCatalogue } from '../input/cell-catalogue.js';
import { ClickHouseStoreError, firstLine, openStore, type ClickHouseStore } from '../sinks/clickhouse/connect.js';
import type { CellRange } from '../views/evidence-map.js';
import { explainPage } from '../views/explain-page.js';
import { readExplainInput } from '../views/store.js';
import type { Radio } from '../domain/types.js';

const HELP = `clonewatch explain <imei>: one self-contained HTML page with the evidence of one IMEI key

Usage:
  clonewatch explain <imei> [--clickhouse <url|dir>] [--cells <file>] [--out <file.html>] [--max-findings <n>]
                            [--config <file>]

  <imei>                  14, 15 or 16 digits; the page is for its IMEI key (the first 14)
  --clickhouse <url|dir>  the store detect/run wrote to: a chDB data directory (default ./clonewatch-data/clickhouse)
                          or http(s)://[user[:password]@]host:port[/database] (see clonewatch sql --help)
  --cells <file>          the cell catalogue, for the coverage radius of each evidence cell; without it the
                          circles show the configured default range (defaultRangeM) and say so
  --out <file.html>       where to write the page (default ./explain-<imei key>.html)
  --max-findings <n>      show the latest n findings (default 100, the per-IMEI cap of one suppression period);
                          the page says how many there are in all
  --config <file>         the JSON config file of detect/run (clickhouse section, defaultRangeM, maxRangeM)
  -h, --help              this help

The page needs no network: styles, script, base map (Natural Earth via world-atlas) and data are inline.
It shows the block candidate, a map of the evidence cells, a timeline with one lane per IMSI and the findings.
Exit status: 0 when the page is written; 2 with one line on stderr for a malformed IMEI, an IMEI key with no
findings in the store, an unreadable catalogue, or a store that cannot be opened; 1 when a query fails.`;

/** The IMEI key of an IMEI argument (SPEC Input 1: first 14 of 14-16 digits, not all zeros). */
export function imeiKeyArg(arg: string): string {
  const s = arg.trim();
  if (!/^\d{14,16}$/.test(s)) throw new UsageError(`explain needs an IMEI of 14, 15 or 16 digits, got ${JSON.stringify(arg.slice(0, 40))}`);
  const key = s.slice(0, 14);
  if (/^0+$/.test(key)) throw new UsageError(`IMEI ${s} has an all-zero key: not a valid IMEI`);
  return key;
}

function parseCellId(id: string): { radio: Radio; mcc: number; mnc: number; lac: number; ci: number } | null {
  const m = /^(GSM|UMTS|LTE|NR):(\d+):(\d+):(\d+):(\d+)$/.exec(id);
  return m ? { radio: m[1] as Radio, mcc: +m[2], mnc: +m[3], lac: +m[4], ci: +m[5] } : null;
}

/** Findings shown at most by default: what one IMEI key can get in one suppression period (maxPairFindingsPerImei). */
export const DEFAULT_MAX_FINDINGS = 100;

export async function explainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      clickhouse: { type: 'string' },
      config: { type: 'string' },
      cells: { type: 'string' },
      out: { type: 'string' },
      'max-findings': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'explain needs an IMEI: clonewatch explain <imei> (see --help)' : 'explain takes one IMEI');
  }
  const imei = imeiKeyArg(positionals[0]);
  const maxArg = (values['max-findings'] as string | undefined) ?? String(DEFAULT_MAX_FINDINGS);
  const maxFindings = Number(maxArg);
  if (!/^\d+$/.test(maxArg) || maxFindings < 1) throw new UsageError(`--max-findings needs a whole number >= 1, got ${JSON.stringify(maxArg)}`);
  const config = buildConfig(values, (raw) => {
    if (typeof values.clickhouse === 'string') {
      raw.clickhouse = { ...((raw.clickhouse as Record<string, unknown>) ?? {}), target: values.clickhouse };
    }
  });
  if (config.clickhouse.target === 'none') throw new UsageError('explain reads ClickHouse: --clickhouse <url|dir>, not none');
  const out = resolve((values.out as string | undefined) ?? `explain-${imei}.html`);
  const cellsPath = values.cells as string | undefined;

  const store: ClickHouseStore = await openStore(config.clickhouse, { create: false });
  let input;
  try {
    input = await readExplainInput(store, imei, maxFindings);
  } catch (err) {
    if (err instanceof ClickHouseStoreError) throw err;
    throw new ServiceError(`cannot read the findings of IMEI ${imei} (${store.label}): ${firstLine((err as Error).message ?? String(err))}`, 'QUERY', { cause: err });
  } finally {
    await store.close().catch(() => {});
  }
  if (input.findings.length === 0) {
    throw new UsageError(
      `no findings for IMEI key ${imei} in ${store.label}, database ${store.database}: nothing to explain ` +
        `(list IMEIs with findings: clonewatch sql "SELECT imei, count() FROM suspected_clones FINAL GROUP BY imei")`,
    );
  }

  const ranges = new Map<string, CellRange>();
  const ids = new Set(input.findings.flatMap((f) => [f.cell_a, f.cell_b]).filter((c): c is string => c !== null));
  let rangeNote = `Ranges are the configured default (${config.defaultRangeM} m, dashed): pass --cells <catalogue> for each cell's own.`;
  if (cellsPath) {
    let catalogue;
    try {
      ({ catalogue } = await loadCellCatalogue(cellsPath, config));
    } catch (err) {
      throw new UsageError(`cannot read cell catalogue ${cellsPath}: ${firstLine((err as NodeJS.ErrnoException).code ?? (err as Error).message)}`);
    }
    let missing = 0;
    for (const id of ids) {
      const k = parseCellId(id);
      const site = k ? catalogue.lookup(k.radio, k.mcc, k.mnc, k.lac, k.ci) : undefined;
      // An ambiguous short UMTS key (several catalogue cells) has no range to show: treated as not in the catalogue.
      if (site && Number.isFinite(site.rangeM)) ranges.set(id, { rangeM: site.rangeM, source: 'catalogue' });
      else missing++;
    }
    rangeNote = `Ranges from ${cellsPath}${missing ? `; ${missing} cell(s) not in it drawn with the default ${config.defaultRangeM} m (dashed)` : ''}.`;
  }
  for (const id of ids) if (!ranges.has(id)) ranges.set(id, { rangeM: config.defaultRangeM, source: 'assumed' });

  const html = explainPage({
    imei,
    findings: input.findings,
    totalFindings: input.totalFindings,
    candidates: input.candidates,
    ranges,
    rangeNote,
    source: `${store.label}, database ${store.database}`,
    generatedAt: new Date().toISOString(),
  });
  try {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, html);
  } catch (err) {
    throw new UsageError(`cannot write ${out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  process.stderr.write(
    `explain: IMEI ${imei}: ${input.totalFindings} finding(s)${input.totalFindings > input.findings.length ? ` (the latest ${input.findings.length} shown; --max-findings)` : ''}, ${input.candidates.length ? 'block candidate' : 'no block candidate (all IMSIs exempt)'}; wrote ${out} (${(Buffer.byteLength(html) / 1024).toFixed(0)} KB)\n`,
  );
  return 0;
}
