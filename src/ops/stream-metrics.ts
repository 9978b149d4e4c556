import { LATENCY_BUCKETS_S, Registry, type Counter, type Gauge, type Histogram } from './metrics.js';

/** The metrics of `clonewatch run` (names documented in docs/streaming.md). */
export class StreamMetrics {
  readonly registry = new Registry();
  readonly recordsIn: Counter;
  readonly rejects: Counter;
  readonly findings: Counter;
  readonly suppressed: Counter;
  readonly overPairCap: Counter;
  readonly candidates: Counter;
  readonly rebuildRecords: Counter;
  readonly commits: Counter;
  readonly sinkFailures: Counter;
  readonly reloads: Counter;
  readonly consumerRestarts: Counter;
  readonly misrouted: Counter;
  readonly unresolvedCells: Counter;
  readonly lag: Gauge;
  readonly partitions: Gauge;
  readonly batchSeconds: Histogram;
  readonly findingLatency: Histogram;
  readonly commitLatency: Histogram;

  constructor(stats: () => { activeImeis: number; windowRecords: number; bufferedRecords: number; approxStateBytes: number }) {
    const r = this.registry;
    this.recordsIn = r.counter('clonewatch_records_in_total', 'CDR messages consumed (live, rebuild replays excluded)');
    this.rejects = r.counter('clonewatch_rejects_total', 'Rejected CDR messages by reason');
    this.findings = r.counter('clonewatch_findings_total', 'Suspected clones emitted by rule');
    this.suppressed = r.counter('clonewatch_findings_suppressed_total', 'Matches not emitted because their (IMEI, IMSI pair, rule) already had a finding');
    this.overPairCap = r.counter('clonewatch_cdrs_over_pair_cap_total', 'CDRs not compared because their IMEI key had maxPairFindingsPerImei findings in the suppression period');
    this.candidates = r.counter('clonewatch_block_candidates_total', 'Block candidates emitted');
    this.rebuildRecords = r.counter('clonewatch_rebuild_records_total', 'Messages re-read to rebuild window state after an assignment');
    this.commits = r.counter('clonewatch_commits_total', 'Offset commits (each after every sink confirmed)');
    this.sinkFailures = r.counter('clonewatch_sink_failures_total', 'Sink flushes that failed or had to wait, by sink');
    this.reloads = r.counter('clonewatch_reference_reloads_total', 'Reference data reloads by kind and result');
    this.unresolvedCells = r.counter(
      'clonewatch_unresolved_cells_total',
      'Accepted CDRs without a cell position: unknown_cell (not in the catalogue) or ambiguous_cell (a UMTS short key several cells share)',
    );
    this.misrouted = r.counter(
      'clonewatch_misrouted_records_total',
      'CDR messages whose key is not their IMEI key or whose partition is not its murmur2 partition, by problem (still processed)',
    );
    this.consumerRestarts = r.counter('clonewatch_consumer_restarts_total', 'Consumer restarts after errors kafkajs does not retry');
    this.lag = r.gauge('clonewatch_consumer_lag', 'Messages behind the partition high watermark, by partition');
    this.partitions = r.gauge('clonewatch_assigned_partitions', 'Partitions of the CDR topic assigned to this instance');
    r.gauge('clonewatch_active_imeis', 'IMEI keys with CDRs in a window', () => [[undefined, stats().activeImeis]]);
    r.gauge('clonewatch_window_records', 'CDRs held in the windows', () => [[undefined, stats().windowRecords]]);
    r.gauge('clonewatch_buffered_records', 'CDRs waiting for event-time order', () => [[undefined, stats().bufferedRecords]]);
    r.gauge('clonewatch_state_bytes', 'Estimated heap bytes of the window state', () => [[undefined, stats().approxStateBytes]]);
    r.gauge('clonewatch_process_resident_bytes', 'Resident set size of the process', () => [[undefined, process.memoryUsage.rss()]]);
    r.gauge('clonewatch_process_cpu_seconds', 'CPU time (user + system) used by the process so far', () => {
      const u = process.cpuUsage();
      return [[undefined, (u.user + u.system) / 1e6]];
    });
    this.batchSeconds = r.histogram('clonewatch_batch_seconds', 'Time to process one fetched batch', LATENCY_BUCKETS_S);
    this.findingLatency = r.histogram(
      'clonewatch_finding_latency_seconds',
      'From the produce time of the CDR that completed a finding to every sink confirming it',
      LATENCY_BUCKETS_S,
    );
    this.commitLatency = r.histogram('clonewatch_commit_seconds', 'Flush of every sink plus the offset commit', LATENCY_BUCKETS_S);
  }
}
