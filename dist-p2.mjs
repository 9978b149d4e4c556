import { CdrCsvParser } from './dist/input/cdr-csv.js';
import { readCdrChunks } from './dist/input/cdr-files.js';
import { blankCdr } from './dist/domain/types.js';
import fs from 'node:fs';
const file = process.argv[2];
const input = { name: file, path: file, bytes: fs.statSync(file).size };
let rows = 0, rej = 0;
const handler = { record() { rows++; }, reject() { rej++; } };
for (let r = 0; r < 4; r++) {
  const t = performance.now();
  const p = new CdrCsvParser('x', -300, handler, 1 << 20);
  p.reuseCdr(blankCdr());
  for await (const c of readCdrChunks(input)) p.push(c);
  p.end();
  console.log(`pass2-like parse ${(performance.now() - t).toFixed(0)} ms rows ${rows} rej ${rej}`);
}
