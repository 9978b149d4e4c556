import type { RuleConfig } from '../../config/schema.js';
import type { Rule } from '../../domain/types.js';
import type { Criterion, KeyCriterion, PairCriterion } from './criterion.js';
import { simultaneity, timeDistance } from './pair-rules.js';
import { sharedImei } from './shared-imei.js';
import { inconsistentRat, unknownTac } from './tac-rules.js';

export type { Criterion, KeyCriterion, KeyEvidence, KeyState, PairCriterion } from './criterion.js';

/** Every criterion clonewatch knows, built from the one config. */
const FACTORIES: Record<Rule, (c: RuleConfig) => Criterion> = {
  simultaneity: (c) => simultaneity({ overlapToleranceMs: c.overlapToleranceS * 1000 }),
  time_distance: (c) => timeDistance({ overlapToleranceMs: c.overlapToleranceS * 1000, windowMs: c.windowS * 1000, minDistanceKm: c.minDistanceKm, maxSpeedKmh: c.maxSpeedKmh }),
  shared_imei: (c) => sharedImei({ minImsis: c.sharedImeiMinImsis, periodMs: c.sharedImeiPeriodS * 1000 }),
  inconsistent_rat: (c) => inconsistentRat({ suppressionMs: c.suppressionS * 1000 }),
  unknown_tac: (c) => unknownTac({ suppressionMs: c.suppressionS * 1000 }),
};

/**
 * The enabled criteria, pair ones in SPEC's order (simultaneity before time_distance, so a pair that fires
 * both writes them in that order whatever order `rules` names them in).
 */
export function buildCriteria(c: RuleConfig): { pair: PairCriterion[]; key: KeyCriterion[] } {
  const on = new Set(c.rules);
  const all = (Object.keys(FACTORIES) as Rule[]).filter((r) => on.has(r)).map((r) => FACTORIES[r](c));
  return { pair: all.filter((x): x is PairCriterion => x.kind === 'pair'), key: all.filter((x): x is KeyCriterion => x.kind === 'key') };
}
