import type { Config } from '../config/schema.js';
import { redactedJson, redactText } from '../config/redact.js';
import type { PipelineRun, RunCounters } from '../domain/types.js';

/**
 * The record of a finished run (`pipeline_runs`), the same for `detect` and `run`. Its config and notes are
 * stored redacted: no password of the ClickHouse URL, the config or the Kafka SASL settings.
 */
export function pipelineRun(o: {
  runId: string;
  mode: PipelineRun['mode'];
  startedAt: Date;
  finishedAt?: Date;
  inputs: string;
  counters: RunCounters;
  config: Config;
  notes?: string[];
}): PipelineRun {
  return {
    run_id: o.runId,
    mode: o.mode,
    started_at: o.startedAt.toISOString(),
    finished_at: (o.finishedAt ?? new Date()).toISOString(),
    inputs: o.inputs,
    counters: o.counters,
    config_json: redactedJson(o.config),
    notes: (o.notes ?? []).map(redactText),
  };
}
