import type { Radio, Rule } from '../../domain/types.js';
import type { TacModel } from '../../domain/lookups.js';
import type { EvidenceCdr, ImsiSeen } from '../imei-history.js';
import type { PairMeasures, RuleCdr } from '../rules.js';

// A criterion is a plug-in: a name (the `rule` of its findings), its settings (taken from the one config at
// construction), and a pure function over an IMEI key's state that says whether it fires and with what
// evidence. The engine owns the state, the suppression and the outputs; a criterion only decides.

/** Art. 22(a)/(b) style: two CDRs of different IMSIs on one IMEI key (`a` starts first). */
export interface PairCriterion {
  readonly kind: 'pair';
  readonly name: Rule;
  fires(a: RuleCdr, b: RuleCdr, m: PairMeasures): boolean;
}

/** What a per-CDR criterion sees: the CDR just matched and its IMEI key's history. */
export interface KeyState {
  /** 14-digit IMEI key as a number. */
  key: number;
  radio: Radio;
  startMs: number;
  /** The model of the key's TAC; undefined when the TAC database does not list it. */
  tac: TacModel | undefined;
  /** True when this CDR's IMSI (re)joined the key's period count (new, or unseen for a period). */
  joined: boolean;
  /** The IMSIs remembered on the key (this CDR included). */
  seen(): ImsiSeen[];
  /** Is this IMSI exempt on the key (exception list)? */
  exempt(imsi: string): boolean;
}

/** What a per-CDR criterion found; `b` is always the CDR being matched. */
export interface KeyEvidence {
  /** The first CDR of evidence; null = `b` itself (one CDR of evidence: `b` repeats `a`). */
  a: EvidenceCdr | null;
  /** One finding per this key per suppression period. */
  suppressionKey: string;
  /** Length of the suppression period (ms). */
  periodMs: number;
  /** IMSIs that join the block candidate (besides b's, which always does). */
  imsis: string[];
  /** Fields added to the finding (new fields, never renamed ones). */
  extra: { imsi_count?: number; radio?: Radio; tac_radios?: string };
}

/** A criterion over an IMEI key's state, run once per CDR (shared_imei, inconsistent_rat, unknown_tac). */
export interface KeyCriterion {
  readonly kind: 'key';
  readonly name: Rule;
  /** Whether the TAC database must be looked up for it. */
  readonly needsTac: boolean;
  examine(s: KeyState): KeyEvidence | null;
}

export type Criterion = PairCriterion | KeyCriterion;
