import { listCdrInputs } from '../input/cdr-files.js';
import { InputError, ServiceError, UsageError } from '../domain/errors.js';
import { createLogger } from '../ops/log.js';
import { createKafka } from '../kafka/client.js';
import { replayCdrs } from '../kafka/replay.js';
import { buildConfig, parseCommandArgs } from './common.js';
import { applySettings, KAFKA_SETTINGS, SASL_HELP, settingHelp, settingOptions } from './kafka-options.js';

const REPLAY_SETTINGS = KAFKA_SETTINGS.filter((s) => ['brokers', 'client-id', 'topic', 'ssl'].includes(s.flag));

const USAGE = `clonewatch replay: produce CDR CSV files into the CDR topic (demos, tests, benchmarks)

Usage: clonewatch replay --cdrs <file|dir> [--brokers h:p,...] [--topic cdrs] [--rate N] [--config <file>]

Each row becomes one message: the value a JSON object with SPEC's CDR field names (text values as in the
file; the consumer validates them), the key the 14-digit IMEI key, so one device's CDRs share a partition
and keep their file order. A directory means every *.csv and *.csv.gz in it, in name order.

  --cdrs <file|dir>           CDR CSV input (plain or gzip)
  --rate <n>                  messages per second (default: as fast as the brokers acknowledge)
  --batch <n>                 messages per produce request (default 2000)
${settingHelp(REPLAY_SETTINGS)}

${SASL_HELP}`;

export async function replayCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    config: { type: 'string' },
    cdrs: { type: 'string' },
    rate: { type: 'string' },
    batch: { type: 'string' },
    ...settingOptions(REPLAY_SETTINGS),
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (typeof values.cdrs !== 'string') throw new UsageError('replay needs --cdrs <file|dir>; see clonewatch replay --help');
  const num = (name: string, v: unknown): number | undefined => {
    if (typeof v !== 'string') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} needs a positive number, got "${v}"`);
    return n;
  };
  const ratePerS = num('rate', values.rate);
  const batchSize = num('batch', values.batch);
  const config = buildConfig(values, (raw) => applySettings(raw, values, REPLAY_SETTINGS));
  const inputs = listCdrInputs(values.cdrs);
  const log = createLogger(config.stream.logLevel, { cmd: 'replay' });
  const kafka = createKafka(config.kafka, log, 'replay');
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  try {
    await producer.connect();
  } catch (err) {
    throw new ServiceError(`cannot reach the brokers ${config.kafka.brokers.join(',')}: ${(err as Error).message}`, 'BROKERS_UNREACHABLE', { retriable: true, cause: err });
  }
  try {
    const r = await replayCdrs({ inputs, producer, topic: config.kafka.inputTopic, ratePerS, batchSize: batchSize && Math.floor(batchSize) });
    const rate = r.elapsedMs > 0 ? Math.round(r.messages / (r.elapsedMs / 1000)) : 0;
    process.stderr.write(`clonewatch: replayed ${r.messages} CDRs into ${config.kafka.inputTopic} in ${(r.elapsedMs / 1000).toFixed(1)} s (${rate} msg/s)\n`);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new ServiceError(`replay failed: ${(err as Error).message}`, 'REPLAY_FAILED', { cause: err });
  } finally {
    await producer.disconnect().catch(() => {});
  }
  return 0;
}
