// Where detect's time goes: times a read-only pass (bytes off disk, gunzip) and a read + parse + validate pass
// over the same CDR files, using the engine's own input modules from dist/ (no engine, no outputs).
// node bench/dist/stage-probe.js --cdrs DIR [--stage read|parse]
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from './args.js';

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const cdrs = String(a.cdrs);
  const stage = a.stage === 'read' ? 'read' : 'parse';
  const root = typeof a.root === 'string' ? a.root : process.cwd();
  const load = (m: string) => import(pathToFileURL(path.join(root, 'dist', m)).href);
  const files = await load('input/cdr-files.js');
  const csv = await load('input/cdr-csv.js');
  const t0 = performance.now();
  let bytes = 0;
  let records = 0;
  let rejects = 0;
  for (const input of files.listCdrInputs(cdrs)) {
    const parser =
      stage === 'parse'
        ? new csv.CdrCsvParser(input.name, -300, {
            record() {
              records++;
            },
            reject() {
              rejects++;
            },
          })
        : null;
    for await (const chunk of files.readCdrChunks(input)) {
      bytes += chunk.length;
      parser?.push(chunk);
    }
    parser?.end();
  }
  process.stdout.write(JSON.stringify({ stage, seconds: (performance.now() - t0) / 1000, bytes, records, rejects }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`stage-probe: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
