import { z } from 'zod';
import type { TimeBounds } from '../domain/time.js';

/** An instant given as ISO-8601 text with a zone or as epoch milliseconds, in epoch ms (NaN when unreadable). */
export function instantMs(v: string | number): number {
  if (typeof v === 'number') return Number.isInteger(v) ? v : NaN;
  if (/^-?\d+$/.test(v.trim())) return Number(v);
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v.trim())) return NaN;
  return Date.parse(v.trim().replace(' ', 'T'));
}
import { DEFAULT_RULES, RULES, TAC_RULES } from '../domain/types.js';
import { DEFAULT_MAX_LINE_BYTES, DEFAULT_TIMEZONE, TIMEZONE_FORMAT } from './defaults.js';

/**
 * The one config of clonewatch: every threshold with SPEC.md's default, in one place.
 * A JSON config file uses these keys; every threshold is also a CLI flag (see THRESHOLD_FLAGS).
 */
export const ruleSchema = z
  .object({
    /** simultaneity: overlap must exceed this (s). */
    overlapToleranceS: z.number().min(0).default(2),
    /** time_distance: maximum gap between the two CDRs (s). */
    windowS: z.number().positive().default(7200),
    /** time_distance: minimum effective distance (km), must be > 0. */
    minDistanceKm: z.number().positive({ message: 'minDistanceKm must be above 0 (two CDRs on one cell at one time would be "infinitely fast")' }).default(1),
    /** time_distance: implied speed must exceed this (km/h). */
    maxSpeedKmh: z.number().positive().default(900),
    /** Out-of-order tolerance in event time (s); later rows are late_record. */
    allowedLatenessS: z.number().min(0).default(600),
    /** One finding per (IMEI key, IMSI pair, rule) per this much event time (s). */
    suppressionS: z.number().min(0).default(86400),
    /**
     * How long an IMEI's block-candidate state (IMSIs already sent) is kept after its last finding (s).
     * SPEC re-emits a candidate only when a new IMSI joins; this bounds memory over months of streaming.
     */
    candidateRetentionS: z.number().min(0).default(30 * 86400),
    /** Cell range when the catalogue has none or 0 (m). */
    defaultRangeM: z.number().min(0).default(1000),
    /** Cell ranges are capped at this (m). */
    maxRangeM: z.number().min(0).default(10000),
    /** Plausible times: a start_time more than this after the wall clock at reading is invalid_time (s). */
    maxFutureS: z.number().min(0).default(86400),
    /** Plausible times: a start_time before this instant is invalid_time (ISO-8601 with a zone, or epoch ms). */
    minEventTime: z
      .union([z.string(), z.number()])
      .default('2000-01-01T00:00:00Z')
      .refine((v) => Number.isFinite(instantMs(v)), { message: 'minEventTime must be an ISO-8601 instant with a zone (2000-01-01T00:00:00Z) or epoch milliseconds' })
      .refine((v) => instantMs(v) >= 0, { message: 'minEventTime must not be before 1970-01-01T00:00:00Z (ClickHouse DateTime starts there)' }),
    /** A CSV line longer than this is a malformed_row; reading goes on at the next line (bytes). */
    maxLineBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(DEFAULT_MAX_LINE_BYTES),
    /**
     * detect writes at most this many rejects of one reason to the outputs; the rest are counted in the
     * summary and pipeline_runs but not written (0 = no cap).
     */
    maxRejectsPerReason: z.number().int().min(0).default(100000),
    /** Pair findings (simultaneity, time_distance) per IMEI key per suppressionS; the rest are counted as suppressed. */
    maxPairFindingsPerImei: z.number().int().min(1).default(100),
    /**
     * The criteria to apply (SPEC "Extra criteria"): the two of Art. 22 by default; Art. 22(c) extras
     * (shared_imei, inconsistent_rat, unknown_tac) are enabled by naming them.
     */
    rules: z
      .array(z.enum(RULES, { message: `rules: each must be one of ${RULES.join(', ')}` }))
      .min(1, { message: 'rules must name at least one criterion' })
      .default([...DEFAULT_RULES]),
    /** shared_imei: this many distinct non-exempt IMSIs on one IMEI key within sharedImeiPeriodS make a finding. */
    sharedImeiMinImsis: z.number().int().min(2, { message: 'sharedImeiMinImsis must be a whole number >= 2' }).default(5),
    /** shared_imei: the period of event time the IMSIs are counted over (s); one finding per IMEI key per period. */
    sharedImeiPeriodS: z.number().positive().default(86400),
    /** TAC database (CSV tac,manufacturer,model,radios) for inconsistent_rat and unknown_tac. */
    tacDb: z.string().min(1).optional(),
    /** Zone of CDR times written without one, as ±hh:mm. */
    timezone: z
      .string()
      .regex(TIMEZONE_FORMAT, { message: 'timezone must look like -05:00' })
      .default(DEFAULT_TIMEZONE),
  })
  .strict();

export const clickhouseSchema = z
  .object({
    /** 'none', an http(s):// URL, or a chDB data directory. */
    target: z.string().default('./clonewatch-data/clickhouse'),
    database: z.string().default('clonewatch'),
    username: z.string().optional(),
    password: z.string().optional(),
    /** Rows per insert. */
    batchRows: z.number().int().positive().default(50000),
    /** Longest time a row waits in the buffer (ms). */
    flushIntervalMs: z.number().int().positive().default(1000),
    /** Rows buffered before the source is slowed down. */
    maxBufferedRows: z.number().int().positive().default(500000),
    /** How long a failing insert is retried (with backoff) before the run fails: an outage shorter than this costs time, never rows (ms). */
    retryForMs: z.number().int().positive().default(600000),
  })
  .strict();

export const kafkaSchema = z
  .object({
    brokers: z.array(z.string()).default(['localhost:9092']),
    clientId: z.string().default('clonewatch'),
    groupId: z.string().default('clonewatch'),
    inputTopic: z.string().default('cdrs'),
    candidatesTopic: z.string().default('block-candidates'),
    rejectsTopic: z.string().default('cdrs-rejects'),
    ssl: z.boolean().default(false),
    sasl: z
      .object({
        mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
        username: z.string(),
        password: z.string(),
      })
      .optional(),
    sessionTimeoutMs: z.number().int().positive().default(30000),
    /** A new consumer group starts at the earliest offset (true) or only reads new messages (false). */
    fromBeginning: z.boolean().default(true),
    /** Flush the sinks and commit offsets at least this often while consuming (ms). */
    commitIntervalMs: z.number().int().positive().default(1000),
    /** Largest fetch per partition (bytes). */
    maxBytesPerPartition: z.number().int().positive().default(1048576),
    /** Largest fetch response (bytes). */
    maxBytes: z.number().int().positive().default(10485760),
    /**
     * Longest a fetch waits for new messages before it returns empty (ms). A broker answers at once when
     * there is data; librdkafka's mock cluster always waits this long on an empty fetch, so it bounds how
     * late a quiet moment can delay the next message. Short: more empty fetches while idle, nothing else.
     */
    fetchMaxWaitMs: z.number().int().positive().max(30000).default(100),
    /** Batches kafkajs hands over at once (processing stays serial; more lets fetches overlap it). */
    partitionsConsumedConcurrently: z.number().int().positive().default(1),
  })
  .strict();

/** `clonewatch run`: reference files, operations endpoints, shutdown (see docs/streaming.md). */
export const streamSchema = z
  .object({
    /** Cell catalogue (OpenCelliD CSV), reloaded when it changes and on SIGHUP. */
    cells: z.string().optional(),
    /** Exception list CSV, reloaded when it changes and on SIGHUP. */
    exceptions: z.string().optional(),
    /** Also write clones.ndjson, block-candidates.ndjson and rejects.ndjson here. */
    out: z.string().optional(),
    /**
     * Event time a CDR waits before it is matched (s). 0 = on arrival (lowest latency; the same IMEI/IMSI
     * pairs as detect, possibly other evidence CDRs); allowedLatenessS = detect's event-time order.
     */
    orderingDelayS: z.number().min(0).default(0),
    /** Match what is buffered once a partition has had no message for this long (ms); 0 = never. */
    idleDrainMs: z.number().int().min(0).default(2000),
    /** /metrics and /healthz listen here; port 0 = no HTTP server. */
    metricsHost: z.string().default('0.0.0.0'),
    metricsPort: z.number().int().min(0).max(65535).default(9464),
    /** Graceful shutdown (finish batch, flush, commit, leave group) must end within this (ms). */
    shutdownTimeoutMs: z.number().int().positive().default(30000),
    /** Poll interval of the reference files (ms). */
    reloadPollMs: z.number().int().positive().default(2000),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    /**
     * Directory for per-partition snapshots of the suppression and candidate state, written after a flush at
     * most every snapshotIntervalMs; a restart on the same host then emits no finding or candidate again even
     * for pairs found before the re-read window. Unset = window re-read only (docs/streaming.md).
     */
    stateDir: z.string().optional(),
    snapshotIntervalMs: z.number().int().positive().default(30000),
  })
  .strict();

/** `clonewatch route`: re-key a raw CDR topic into the keyed input topic (kafka.inputTopic). */
export const routeSchema = z
  .object({
    /** The raw CDR topic (keyed any way, or not at all). */
    fromTopic: z.string().min(1).optional(),
    /** route's own consumer group on the raw topic (never run's: instances share the raw partitions). */
    groupId: z.string().min(1).default('clonewatch-route'),
    /** A caught-up raw partition with nothing buffered holds the event-time merge this long (ms), like max.task.idle.ms. */
    maxIdleMs: z.number().int().min(0).default(1000),
    /** A raw partition known to have data but with nothing delivered holds the merge at most this long (ms). */
    maxLagWaitMs: z.number().int().min(0).default(30000),
    /** Raw messages buffered per partition before the partition is paused (it runs ahead in event time). */
    bufferPerPartition: z.number().int().min(10).default(5000),
  })
  .strict();

export const configSchema = ruleSchema
  .extend({
    route: routeSchema.default(routeSchema.parse({})),
    clickhouse: clickhouseSchema.default(clickhouseSchema.parse({})),
    kafka: kafkaSchema.default(kafkaSchema.parse({})),
    stream: streamSchema.default(streamSchema.parse({})),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.windowS < c.allowedLatenessS) {
      ctx.addIssue({
        code: 'custom',
        path: ['windowS'],
        message: `windowS (${c.windowS}) must be >= allowedLatenessS (${c.allowedLatenessS})`,
      });
    }
    const needTac = c.rules.filter((r) => TAC_RULES.includes(r));
    if (needTac.length && c.tacDb === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['rules'],
        message: `${needTac.join(' and ')} need${needTac.length === 1 ? 's' : ''} a TAC database (--tac-db <file> or config key tacDb)`,
      });
    }
    if (new Set(c.rules).size !== c.rules.length) {
      ctx.addIssue({ code: 'custom', path: ['rules'], message: `rules names a criterion twice: ${c.rules.join(',')}` });
    }
    if (c.maxRangeM < c.defaultRangeM) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxRangeM'],
        message: `maxRangeM (${c.maxRangeM}) must be >= defaultRangeM (${c.defaultRangeM})`,
      });
    }
  });

export type Config = z.infer<typeof configSchema>;
export type RuleConfig = z.infer<typeof ruleSchema>;

/** Threshold flags of the CLI: flag name -> config key. */
export const THRESHOLD_FLAGS: Record<string, { key: keyof RuleConfig; help: string }> = {
  '--overlap-tolerance-s': { key: 'overlapToleranceS', help: 'simultaneity: overlap must exceed this many seconds' },
  '--window-s': { key: 'windowS', help: 'time_distance: largest gap between the two CDRs (s)' },
  '--min-distance-km': { key: 'minDistanceKm', help: 'time_distance: smallest effective distance (km, > 0)' },
  '--max-speed-kmh': { key: 'maxSpeedKmh', help: 'time_distance: implied speed must exceed this (km/h)' },
  '--allowed-lateness-s': { key: 'allowedLatenessS', help: 'rows further behind the newest event time are late_record (s)' },
  '--suppression-s': { key: 'suppressionS', help: 'one finding per IMEI, IMSI pair and rule per this much event time (s)' },
  '--candidate-retention-s': { key: 'candidateRetentionS', help: "keep an IMEI's candidate state this long after its last finding (s)" },
  '--default-range-m': { key: 'defaultRangeM', help: 'cell range when the catalogue has none or 0 (m)' },
  '--max-range-m': { key: 'maxRangeM', help: 'cell ranges are capped at this (m)' },
  '--max-future-s': { key: 'maxFutureS', help: 'a start_time further than this after the wall clock is invalid_time (s)' },
  '--min-event-time': { key: 'minEventTime', help: 'a start_time before this instant is invalid_time (ISO-8601 with zone)' },
  '--max-line-bytes': { key: 'maxLineBytes', help: 'a CSV line longer than this is malformed_row (bytes)' },
  '--max-rejects-per-reason': { key: 'maxRejectsPerReason', help: 'detect writes at most this many rejects per reason, counts the rest (0 = all)' },
  '--max-pair-findings-per-imei': { key: 'maxPairFindingsPerImei', help: 'pair findings per IMEI key per suppressionS; the rest are suppressed' },
  '--timezone': { key: 'timezone', help: 'zone of CDR times written without one (±hh:mm)' },
  '--rules': { key: 'rules', help: 'criteria to apply, comma-separated: simultaneity,time_distance,shared_imei,inconsistent_rat,unknown_tac' },
  '--shared-imei-min-imsis': { key: 'sharedImeiMinImsis', help: 'shared_imei: distinct non-exempt IMSIs on one IMEI key that make a finding' },
  '--shared-imei-period-s': { key: 'sharedImeiPeriodS', help: 'shared_imei: period the IMSIs are counted over (s)' },
  '--tac-db': { key: 'tacDb', help: 'TAC database CSV (tac,manufacturer,model,radios) for inconsistent_rat and unknown_tac' },
};

/** Turn zod issues into one line a user can act on. */
export function formatConfigError(err: z.ZodError): string {
  return err.issues
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

export function parseConfig(input: unknown): { ok: true; config: Config } | { ok: false; message: string } {
  const r = configSchema.safeParse(input);
  if (r.success) return { ok: true, config: r.data };
  return { ok: false, message: formatConfigError(r.error) };
}

/** SPEC's plausible-time bounds of a config (minEventTime, maxFutureS). */
export function timeBounds(config: Pick<RuleConfig, 'maxFutureS' | 'minEventTime'>): TimeBounds {
  return { minMs: instantMs(config.minEventTime), maxFutureMs: config.maxFutureS * 1000 };
}
