import type { BlockCandidate, Finding, PipelineRun, Reject } from '../domain/types.js';

/** What one step of the pipeline produced. */
export interface OutputBatch {
  findings: Finding[];
  candidates: BlockCandidate[];
  rejects: Reject[];
}

/**
 * A destination of the outputs. `write` may apply backpressure by resolving late; once `flush` resolves
 * everything written before it is durable (on disk, confirmed by ClickHouse, acknowledged by Kafka).
 * `close` flushes and is idempotent.
 */
export interface Sink {
  readonly name: string;
  write(batch: OutputBatch): Promise<void>;
  flush(): Promise<void>;
  /** Record the counters of a finished run or streaming interval (audit trail). Optional. */
  recordRun?(run: PipelineRun): Promise<void>;
  /** Human-readable lines for the summary (where the data went, outages seen...). */
  describe?(): string[];
  close(): Promise<void>;
}

export function emptyBatch(): OutputBatch {
  return { findings: [], candidates: [], rejects: [] };
}

export function isEmptyBatch(b: OutputBatch): boolean {
  return b.findings.length === 0 && b.candidates.length === 0 && b.rejects.length === 0;
}
