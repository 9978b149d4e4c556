// One shard of a sharded `detect`: matches the admitted CDRs of its IMEI keys and sends back what it found.
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import { Engine } from '../engine/engine.js';
import { loadCellCatalogue } from '../input/cell-catalogue.js';
import { ExceptionList, loadExceptionList } from '../input/exception-list.js';
import { loadTacDatabase } from '../input/tac-db.js';
import { readBatch, type CdrBatch } from './cdr-batch.js';
import type { ShardReply, ShardRequest } from './sharded-run.js';

interface ShardData {
  config: Config;
  cellsPath: string;
  exceptionsPath?: string;
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('shard-worker must run as a worker thread');
  const d = workerData as ShardData;
  const { catalogue } = await loadCellCatalogue(d.cellsPath, d.config);
  const exceptions = d.exceptionsPath ? (await loadExceptionList(d.exceptionsPath)).list : ExceptionList.empty();
  const tacs = d.config.tacDb ? (await loadTacDatabase(d.config.tacDb)).db : undefined;
  const engine = new Engine(d.config, { cells: catalogue, exceptions, tacs }, { admitted: true });
  let peakImeis = 0;
  let peakRecords = 0;
  const reply = (type: ShardReply['type']): ShardReply => {
    const out = engine.take();
    const st = engine.stats();
    if (st.activeImeis > peakImeis) peakImeis = st.activeImeis;
    if (st.windowRecords > peakRecords) peakRecords = st.windowRecords;
    return { type, ...out, counters: engine.counters, peakImeis, peakRecords };
  };
  port.on('message', (m: ShardRequest) => {
    const now = Date.now();
    if (m.type === 'batch') {
      for (const cdr of readBatch(m.batch as CdrBatch)) engine.offer(cdr, now);
      port.postMessage(reply('ack'));
    } else {
      engine.drain(now);
      port.postMessage(reply('done'));
      port.close();
    }
  });
  port.postMessage({ type: 'ready' });
}

main().catch((err: unknown) => {
  // An uncaught error ends the worker; the main thread sees it through the 'error' event.
  throw err;
});
