import { isSimultaneous, isTimeDistanceConflict, type RuleThresholds } from '../rules.js';
import type { PairCriterion } from './criterion.js';

/** Art. 22(a) simultaneity as a plug-in. */
export function simultaneity(t: Pick<RuleThresholds, 'overlapToleranceMs'>): PairCriterion {
  const tol = t.overlapToleranceMs;
  return { kind: 'pair', name: 'simultaneity', fires: (a, b) => isSimultaneous(a, b, tol) };
}

/** Art. 22(b) time-distance conflict as a plug-in. */
export function timeDistance(t: RuleThresholds): PairCriterion {
  return { kind: 'pair', name: 'time_distance', fires: (_a, _b, m) => isTimeDistanceConflict(m, t) };
}
