import type { ParseArgsConfig } from 'node:util';
import { UsageError } from '../domain/errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** One setting of run/replay: its flag, its environment variable and where it goes in the config. */
export interface Setting {
  flag: string;
  env: string;
  path: [string, string];
  kind: 'string' | 'list' | 'int' | 'number' | 'bool';
  help: string;
}

export const KAFKA_SETTINGS: Setting[] = [
  { flag: 'brokers', env: 'CLONEWATCH_BROKERS', path: ['kafka', 'brokers'], kind: 'list', help: 'bootstrap brokers, host:port,... (default localhost:9092)' },
  { flag: 'client-id', env: 'CLONEWATCH_CLIENT_ID', path: ['kafka', 'clientId'], kind: 'string', help: 'Kafka client id (default clonewatch)' },
  { flag: 'group-id', env: 'CLONEWATCH_GROUP_ID', path: ['kafka', 'groupId'], kind: 'string', help: 'consumer group (default clonewatch)' },
  { flag: 'topic', env: 'CLONEWATCH_TOPIC', path: ['kafka', 'inputTopic'], kind: 'string', help: 'CDR topic (default cdrs)' },
  { flag: 'candidates-topic', env: 'CLONEWATCH_CANDIDATES_TOPIC', path: ['kafka', 'candidatesTopic'], kind: 'string', help: 'block candidates topic (default block-candidates)' },
  { flag: 'rejects-topic', env: 'CLONEWATCH_REJECTS_TOPIC', path: ['kafka', 'rejectsTopic'], kind: 'string', help: 'dead-letter topic of rejected CDRs (default cdrs-rejects)' },
  { flag: 'ssl', env: 'CLONEWATCH_SSL', path: ['kafka', 'ssl'], kind: 'bool', help: 'TLS to the brokers (true/false)' },
  { flag: 'session-timeout-ms', env: 'CLONEWATCH_SESSION_TIMEOUT_MS', path: ['kafka', 'sessionTimeoutMs'], kind: 'int', help: 'group session timeout (default 30000)' },
  { flag: 'commit-interval-ms', env: 'CLONEWATCH_COMMIT_INTERVAL_MS', path: ['kafka', 'commitIntervalMs'], kind: 'int', help: 'flush sinks and commit at least this often (default 1000)' },
  { flag: 'from-beginning', env: 'CLONEWATCH_FROM_BEGINNING', path: ['kafka', 'fromBeginning'], kind: 'bool', help: 'a new group starts at the earliest offset (default true)' },
];

const SASL = {
  mechanism: 'CLONEWATCH_SASL_MECHANISM',
  username: 'CLONEWATCH_SASL_USERNAME',
  password: 'CLONEWATCH_SASL_PASSWORD',
};

export const RUN_SETTINGS: Setting[] = [
  ...KAFKA_SETTINGS,
  { flag: 'clickhouse', env: 'CLONEWATCH_CLICKHOUSE', path: ['clickhouse', 'target'], kind: 'string', help: 'ClickHouse URL, chDB directory, or none (default ./clonewatch-data/clickhouse)' },
  { flag: 'cells', env: 'CLONEWATCH_CELLS', path: ['stream', 'cells'], kind: 'string', help: 'cell catalogue CSV (OpenCelliD layout), reloaded on change and SIGHUP' },
  { flag: 'exceptions', env: 'CLONEWATCH_EXCEPTIONS', path: ['stream', 'exceptions'], kind: 'string', help: 'exception list CSV, reloaded on change and SIGHUP' },
  { flag: 'out', env: 'CLONEWATCH_OUT', path: ['stream', 'out'], kind: 'string', help: 'also write clones.ndjson, block-candidates.ndjson, rejects.ndjson here' },
  { flag: 'fetch-max-wait-ms', env: 'CLONEWATCH_FETCH_MAX_WAIT_MS', path: ['kafka', 'fetchMaxWaitMs'], kind: 'int', help: 'longest a fetch waits for new messages (default 100)' },
  { flag: 'ordering-delay-s', env: 'CLONEWATCH_ORDERING_DELAY_S', path: ['stream', 'orderingDelayS'], kind: 'number', help: 'event time a CDR waits before matching; 0 = on arrival (default 0)' },
  { flag: 'idle-drain-ms', env: 'CLONEWATCH_IDLE_DRAIN_MS', path: ['stream', 'idleDrainMs'], kind: 'int', help: 'match buffered CDRs of a partition idle this long; 0 = never (default 2000)' },
  { flag: 'metrics-host', env: 'CLONEWATCH_METRICS_HOST', path: ['stream', 'metricsHost'], kind: 'string', help: 'address of /metrics and /healthz (default 0.0.0.0)' },
  { flag: 'metrics-port', env: 'CLONEWATCH_METRICS_PORT', path: ['stream', 'metricsPort'], kind: 'int', help: 'port of /metrics and /healthz; 0 = off (default 9464)' },
  { flag: 'shutdown-timeout-ms', env: 'CLONEWATCH_SHUTDOWN_TIMEOUT_MS', path: ['stream', 'shutdownTimeoutMs'], kind: 'int', help: 'graceful shutdown limit (default 30000)' },
  { flag: 'reload-poll-ms', env: 'CLONEWATCH_RELOAD_POLL_MS', path: ['stream', 'reloadPollMs'], kind: 'int', help: 'poll interval of the reference files (default 2000)' },
  { flag: 'state-dir', env: 'CLONEWATCH_STATE_DIR', path: ['stream', 'stateDir'], kind: 'string', help: 'snapshots of suppression/candidate state per partition (restart-exact)' },
  { flag: 'log-level', env: 'CLONEWATCH_LOG_LEVEL', path: ['stream', 'logLevel'], kind: 'string', help: 'debug, info, warn or error (default info)' },
];

export function settingOptions(settings: Setting[]): Options {
  const o: Options = {};
  for (const s of settings) o[s.flag] = { type: 'string' };
  return o;
}

export function settingHelp(settings: Setting[]): string {
  return settings.map((s) => `  --${(s.flag + ' <v>').padEnd(26)}${s.help} [${s.env}; config ${s.path.join('.')}]`).join('\n');
}

function convert(s: Setting, v: string, from: string): unknown {
  switch (s.kind) {
    case 'string':
      return v;
    case 'list':
      return v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
    case 'bool':
      if (/^(1|true|yes|on)$/i.test(v)) return true;
      if (/^(0|false|no|off)$/i.test(v)) return false;
      throw new UsageError(`${from} needs true or false, got "${v}"`);
    default: {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n) || (s.kind === 'int' && !Number.isInteger(n))) throw new UsageError(`${from} needs ${s.kind === 'int' ? 'an integer' : 'a number'}, got "${v}"`);
      return n;
    }
  }
}

/** Apply environment, then flags, over the config file's values (flags win). */
export function applySettings(raw: Record<string, unknown>, values: Record<string, unknown>, settings: Setting[], env: NodeJS.ProcessEnv = process.env): void {
  const set = (path: [string, string], v: unknown) => {
    const sec = (raw[path[0]] ??= {}) as Record<string, unknown>;
    if (typeof sec !== 'object' || sec === null) throw new UsageError(`config key ${path[0]} must be an object`);
    sec[path[1]] = v;
  };
  for (const s of settings) {
    const e = env[s.env];
    if (e !== undefined && e !== '') set(s.path, convert(s, e, s.env));
  }
  for (const s of settings) {
    const v = values[s.flag];
    if (typeof v === 'string') set(s.path, convert(s, v, `--${s.flag}`));
  }
  if (settings.some((s) => s.path[0] === 'kafka') && env[SASL.username]) {
    const kafka = (raw.kafka ??= {}) as Record<string, unknown>;
    kafka.sasl = { mechanism: env[SASL.mechanism] ?? 'plain', username: env[SASL.username], password: env[SASL.password] ?? '' };
  }
}

export const SASL_HELP = `SASL: set ${SASL.mechanism} (plain, scram-sha-256, scram-sha-512), ${SASL.username} and ${SASL.password},
or kafka.sasl in the config file; TLS with --ssl true.`;
