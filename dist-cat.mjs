import { loadCellCatalogue } from './dist/input/cell-catalogue.js';
import { buildConfig } from './dist/cli/common.js';
const cfg = buildConfig({}, () => {});
for (let r = 0; r < 3; r++) {
  const t = performance.now();
  const { catalogue, rejects } = await loadCellCatalogue(process.argv[2], cfg);
  console.log(`load ${(performance.now() - t).toFixed(0)} ms, rejects ${rejects.length}`);
}
