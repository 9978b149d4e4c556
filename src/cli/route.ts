import { timeBounds, type Config } from '../config/schema.js';
import { ServiceError, UsageError } from '../domain/errors.js';
import { tzOffsetMinutes } from '../domain/time.js';
import { createKafka } from '../kafka/client.js';
import { RouteJob, RouteMetrics } from '../kafka/route.js';
import { startOpsServer } from '../ops/http.js';
import { createLogger } from '../ops/log.js';
import { gracefulStop } from '../ops/shutdown.js';
import { Registry } from '../ops/metrics.js';
import { buildConfig, parseCommandArgs, thresholdOptions } from './common.js';
import { applySettings, KAFKA_SETTINGS, SASL_HELP, settingHelp, settingOptions, type Setting } from './kafka-options.js';

const pick = (flags: string[]) => KAFKA_SETTINGS.filter((s) => flags.includes(s.flag));

const ROUTE_SETTINGS: Setting[] = [
  { flag: 'from', env: 'CLONEWATCH_ROUTE_FROM', path: ['route', 'fromTopic'], kind: 'string', help: 'the raw CDR topic (keyed any way, or not at all)' },
  { flag: 'to', env: 'CLONEWATCH_TOPIC', path: ['kafka', 'inputTopic'], kind: 'string', help: 'the keyed CDR topic that run reads (default cdrs)' },
  { flag: 'group-id', env: 'CLONEWATCH_ROUTE_GROUP_ID', path: ['route', 'groupId'], kind: 'string', help: "route's consumer group on the raw topic (default clonewatch-route)" },
  ...pick(['brokers', 'client-id', 'rejects-topic', 'ssl', 'session-timeout-ms', 'commit-interval-ms', 'from-beginning']),
  { flag: 'max-idle-ms', env: 'CLONEWATCH_ROUTE_MAX_IDLE_MS', path: ['route', 'maxIdleMs'], kind: 'int', help: 'a caught-up raw partition with nothing buffered holds the event-time merge this long (default 1000)' },
  { flag: 'max-lag-wait-ms', env: 'CLONEWATCH_ROUTE_MAX_LAG_WAIT_MS', path: ['route', 'maxLagWaitMs'], kind: 'int', help: 'a raw partition with data but nothing delivered holds it at most this long (default 30000)' },
  { flag: 'buffer-per-partition', env: 'CLONEWATCH_ROUTE_BUFFER', path: ['route', 'bufferPerPartition'], kind: 'int', help: 'raw messages buffered per partition before it is paused (default 5000)' },
  { flag: 'metrics-host', env: 'CLONEWATCH_METRICS_HOST', path: ['stream', 'metricsHost'], kind: 'string', help: 'address of /metrics and /healthz (default 0.0.0.0)' },
  { flag: 'metrics-port', env: 'CLONEWATCH_METRICS_PORT', path: ['stream', 'metricsPort'], kind: 'int', help: 'port of /metrics and /healthz; 0 = off (default 9464)' },
  { flag: 'shutdown-timeout-ms', env: 'CLONEWATCH_SHUTDOWN_TIMEOUT_MS', path: ['stream', 'shutdownTimeoutMs'], kind: 'int', help: 'graceful shutdown limit (default 30000)' },
  { flag: 'log-level', env: 'CLONEWATCH_LOG_LEVEL', path: ['stream', 'logLevel'], kind: 'string', help: 'debug, info, warn or error (default info)' },
];

const USAGE = `clonewatch route: re-key a CDR topic that is not keyed by IMEI into the keyed topic run reads

Usage: clonewatch route --from <topic> [--to <topic>] [--brokers h:p,...] [--config <file>]

Kafka Streams' selectKey + repartition: consumes the raw topic in its own consumer group (several instances
share its partitions), produces each value unchanged to --to with the 14-digit IMEI key and Kafka's default
murmur2 partition of it, and commits a raw offset only after that produce is acknowledged (at-least-once:
a redelivered CDR is a duplicate_record in run). A value without a readable IMEI goes to the dead-letter
topic with its reason. The raw partitions it reads are merged in event-time order (partitions that run
ahead are paused); a row late in its own partition stays late. See docs/streaming.md.
Settings: flag > environment > config file (JSON, keys as shown) > default.

${settingHelp(ROUTE_SETTINGS)}

${SASL_HELP}

--timezone and --min-event-time / --max-future-s (see clonewatch detect --help) apply to reading start_time.

Signals: SIGTERM/SIGINT stop gracefully (the produce under way finishes, its offsets are committed, the
group is left) within --shutdown-timeout-ms; a second one exits at once.
GET /metrics (Prometheus) and /healthz on --metrics-port. Logs: JSON lines on stderr.`;

export async function routeCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { ...thresholdOptions(), ...settingOptions(ROUTE_SETTINGS), help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const config = buildConfig(values, (raw) => applySettings(raw, values, ROUTE_SETTINGS));
  if (!config.route.fromTopic) throw new UsageError('route needs --from <raw topic>; see clonewatch route --help');
  if (config.route.fromTopic === config.kafka.inputTopic) throw new UsageError(`route --from and --to are both ${config.kafka.inputTopic}: it would re-read what it writes`);
  return routeStream(config);
}

async function routeStream(config: Config): Promise<number> {
  const log = createLogger(config.stream.logLevel, { cmd: 'route' });
  const kafka = createKafka(config.kafka, log, 'route');
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false, maxInFlightRequests: 1 });
  const registry = new Registry();
  const metrics = new RouteMetrics(registry);
  const job = new RouteJob(
    {
      fromTopic: config.route.fromTopic!,
      toTopic: config.kafka.inputTopic,
      rejectsTopic: config.kafka.rejectsTopic,
      groupId: config.route.groupId,
      sessionTimeoutMs: config.kafka.sessionTimeoutMs,
      commitIntervalMs: config.kafka.commitIntervalMs,
      fromBeginning: config.kafka.fromBeginning,
      maxIdleMs: config.route.maxIdleMs,
      maxLagWaitMs: config.route.maxLagWaitMs,
      bufferPerPartition: config.route.bufferPerPartition,
      tzOffsetMin: tzOffsetMinutes(config.timezone),
      bounds: timeBounds(config),
    },
    { kafka, producer, log, metrics },
  );

  let ops: { port: number; close(): Promise<void> } | null = null;
  if (config.stream.metricsPort > 0) {
    ops = await startOpsServer(config.stream.metricsHost, config.stream.metricsPort, registry, () => ({
      ok: job.state === 'running',
      state: job.state,
      partitions: job.assignedPartitions(),
      bufferedRecords: job.bufferedRecords(),
      lastProduceAt: job.lastSendMs ? new Date(job.lastSendMs).toISOString() : null,
    }));
    log.info('ops endpoint listening', { host: config.stream.metricsHost, port: ops.port, paths: ['/metrics', '/healthz'] });
  }

  const stop = gracefulStop(log, config.stream.shutdownTimeoutMs);

  let code = 0;
  try {
    try {
      await producer.connect();
    } catch (err) {
      throw new ServiceError(`cannot reach the brokers ${config.kafka.brokers.join(',')}: ${(err as Error).message}`, 'BROKERS_UNREACHABLE', { retriable: true, cause: err });
    }
    await job.start();
    log.info('routing', { brokers: config.kafka.brokers, from: config.route.fromTopic, to: config.kafka.inputTopic, deadLetter: config.kafka.rejectsTopic, groupId: config.route.groupId });
    await Promise.race([stop.asked, job.done]);
  } catch (err) {
    log.error('route failed', { error: (err as Error).message });
    code = 1;
  }
  stop.begin();
  await job.stop();
  if (job.error) code = 1;
  await producer.disconnect().catch(() => {});
  await ops?.close();
  stop.release();
  log.info('stopped', { code, recordsIn: metrics.recordsIn.get(), produced: metrics.produced.get() });
  setTimeout(() => process.exit(code), 200).unref();
  return code;
}
