import { randomUUID } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { emptyCounters, REJECT_REASONS, RULES, type Reject } from '../domain/types.js';
import { startOpsServer } from '../ops/http.js';
import { createLogger, type Logger } from '../ops/log.js';
import { gracefulStop } from '../ops/shutdown.js';
import { StreamMetrics } from '../ops/stream-metrics.js';
import { StreamJob } from '../kafka/stream-job.js';
import { pipelineRun } from '../pipeline/pipeline-run.js';
import { ReferenceData } from '../pipeline/stream-refs.js';
import { KafkaSink } from '../sinks/kafka-sink.js';
import { NdjsonSink } from '../sinks/ndjson-sink.js';
import type { Sink } from '../sinks/sink.js';
import { createKafka } from '../kafka/client.js';
import { buildConfig, parseCommandArgs, thresholdHelp, thresholdOptions } from './common.js';
import { applySettings, RUN_SETTINGS, SASL_HELP, settingHelp, settingOptions } from './kafka-options.js';

const USAGE = `clonewatch run: consume CDRs from Kafka and find cloned IMEIs online, until SIGTERM/SIGINT

Usage: clonewatch run [--config <file>] [--brokers h:p,...] [--cells <file>] [--exceptions <file>]
                      [--tac-db <file>] [--rules <list>] [--clickhouse <url|dir|none>] [--out <dir>] [thresholds]

Reads JSON CDRs (SPEC field names) from the CDR topic as consumer group --group-id; findings go to
ClickHouse (and --out), block candidates to the candidates topic keyed by IMEI, rejects to the dead-letter
topic and ClickHouse. Offsets are committed only after every output is confirmed (at-least-once).
Settings: flag > environment > config file (JSON, keys as shown) > default.

${settingHelp(RUN_SETTINGS)}

${SASL_HELP}

Thresholds:
${thresholdHelp()}

Signals: SIGTERM/SIGINT stop gracefully (finish batch, flush, commit, leave the group) within
--shutdown-timeout-ms; a second one exits at once. SIGHUP reloads the cell catalogue, the exception list and the TAC database.
GET /metrics (Prometheus) and /healthz on --metrics-port. Logs: JSON lines on stderr.
See docs/streaming.md.`;

export async function runCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { ...thresholdOptions(), ...settingOptions(RUN_SETTINGS), help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const config = buildConfig(values, (raw) => applySettings(raw, values, RUN_SETTINGS));
  const log = createLogger(config.stream.logLevel, { cmd: 'run' });
  return runStream(config, log);
}

/** The streaming job with its shell: reference data, sinks, ops endpoint, signals. */
export async function runStream(config: Config, log: Logger): Promise<number> {
  const runId = randomUUID();
  const startedAt = new Date();
  const refs = new ReferenceData({ cells: config.stream.cells, exceptions: config.stream.exceptions, tacs: config.tacDb }, config, log);
  const referenceRejects: Reject[] = await refs.loadInitial();
  if (!config.stream.cells) log.warn('no cell catalogue (--cells): time_distance needs cell positions and finds nothing', {});

  const sinks: Sink[] = [];
  if (config.clickhouse.target !== 'none') {
    const { openClickHouseSink } = await import('../sinks/clickhouse/index.js');
    sinks.push(await openClickHouseSink(config.clickhouse, { runId, log: (l) => log.info(l, { sink: 'clickhouse' }) }));
  }
  if (config.stream.out) sinks.push(new NdjsonSink(config.stream.out));

  const kafka = createKafka(config.kafka, log, 'run');
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const kafkaSink = new KafkaSink(producer, { candidates: config.kafka.candidatesTopic, rejects: config.kafka.rejectsTopic });
  let job: StreamJob;
  const metrics = new StreamMetrics(() => job.stats());
  job = new StreamJob({ config, kafka, sinks, kafkaSink, producer, refs, log, metrics });
  refs.setListener({
    cells: (c, rejects) => {
      job.setCells(c);
      void job.emitReferenceRejects(rejects).catch(() => {});
    },
    exceptions: (e, rejects) => {
      job.setExceptions(e);
      void job.emitReferenceRejects(rejects).catch(() => {});
    },
    tacs: (t, rejects) => {
      job.setTacs(t);
      void job.emitReferenceRejects(rejects).catch(() => {});
    },
    outcome: (kind, ok) => metrics.reloads.inc({ kind, result: ok ? 'ok' : 'kept_previous' }),
  });

  let ops: { port: number; close(): Promise<void> } | null = null;
  if (config.stream.metricsPort > 0) {
    ops = await startOpsServer(config.stream.metricsHost, config.stream.metricsPort, metrics.registry, () => ({
      ok: job.state === 'running' && job.sinkStalledSinceMs === null,
      // Misrouted CDRs are still processed, so this stays 200; the body says the keying is degraded.
      status: job.state !== 'running' ? job.state : job.keying.misrouted > 0 ? 'degraded' : 'ok',
      misroutedRecords: job.keying.misrouted,
      misroutedExample: job.keying.lastExample,
      state: job.state,
      partitions: job.assignedPartitions(),
      sinkStalledSince: job.sinkStalledSinceMs === null ? null : new Date(job.sinkStalledSinceMs).toISOString(),
      lastBatchAt: job.lastBatchMs ? new Date(job.lastBatchMs).toISOString() : null,
    }));
    log.info('ops endpoint listening', { host: config.stream.metricsHost, port: ops.port, paths: ['/metrics', '/healthz'] });
  }

  // Signals: the first asks for a graceful stop, a second exits at once; SIGHUP reloads reference data.
  const stop = gracefulStop(log, config.stream.shutdownTimeoutMs, { SIGHUP: () => void refs.reload('all', 'SIGHUP') });

  let code = 0;
  try {
    await producer.connect();
    await job.start();
    log.info('consuming', { brokers: config.kafka.brokers, topic: config.kafka.inputTopic, groupId: config.kafka.groupId, sinks: [kafkaSink.name, ...sinks.map((s) => s.name)], runId });
    await job.emitReferenceRejects(referenceRejects);
    refs.watch(config.stream.reloadPollMs);
    await Promise.race([stop.asked, job.done]);
  } catch (err) {
    log.error('streaming job failed', { error: (err as Error).message });
    code = 1;
  }

  // Bounded shutdown: whatever hangs, the process ends within shutdownTimeoutMs.
  stop.begin();
  if (job.error) code = 1;
  await job.stop();
  if (job.error) code = 1;
  refs.close();
  const counters = emptyCounters();
  counters.recordsRead = metrics.recordsIn.get();
  for (const r of REJECT_REASONS) {
    const n = metrics.rejects.get({ reason: r });
    if (n) counters.rejectsByReason[r] = n;
  }
  for (const r of RULES) counters.findingsByRule[r] = metrics.findings.get({ rule: r });
  counters.candidates = metrics.candidates.get();
  const run = pipelineRun({
    runId,
    mode: 'run',
    startedAt,
    inputs: `kafka:${config.kafka.inputTopic}@${config.kafka.groupId}`,
    counters,
    config,
    notes: code === 0 ? [] : [`stopped on error: ${job.error?.message ?? 'start failed'}`],
  });
  if (code === 0) {
    for (const s of sinks) if (s.recordRun) await s.recordRun(run).catch((err) => log.warn('cannot record the run', { sink: s.name, error: (err as Error).message }));
  }
  for (const s of [kafkaSink, ...sinks]) {
    if (code !== 0 && s.name === 'clickhouse') continue; // a failed sink cannot flush; its rows are re-derived after a restart
    await s.close().catch((err) => log.warn('sink close failed', { sink: s.name, error: (err as Error).message }));
  }
  await producer.disconnect().catch(() => {});
  await ops?.close();
  stop.release();
  log.info('stopped', { code, recordsIn: counters.recordsRead, findings: counters.findingsByRule, candidates: counters.candidates });
  // Some clients keep sockets open after close; do not let them keep a stopped job alive.
  setTimeout(() => process.exit(code), 200).unref();
  return code;
}
