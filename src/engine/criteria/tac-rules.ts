import { radioBit, radioNames } from '../../domain/lookups.js';
import type { KeyCriterion } from './criterion.js';

/**
 * Art. 22(c) inconsistent_rat: a CDR on a radio its TAC's model does not support (a 3G-only model on LTE is an
 * IMEI copied onto a device of another generation; DIRBS-Core's inconsistent_rat). One finding per IMEI key
 * and radio per suppression period. A TAC the database does not list is unknown_tac's business.
 */
export function inconsistentRat(o: { suppressionMs: number }): KeyCriterion {
  return {
    kind: 'key',
    name: 'inconsistent_rat',
    needsTac: true,
    examine(s) {
      if (s.tac === undefined || (s.tac.radios & radioBit(s.radio)) !== 0) return null;
      return {
        a: null,
        suppressionKey: `${s.key}|${s.radio}|inconsistent_rat`,
        periodMs: o.suppressionMs,
        imsis: [],
        extra: { radio: s.radio, tac_radios: radioNames(s.tac.radios) },
      };
    },
  };
}

/**
 * Art. 22(c) unknown_tac: an IMEI whose TAC the TAC database does not list (an invented or altered IMEI,
 * "IMEI alterado, invalido" in OSIPTEL's words). One finding per IMEI key per suppression period.
 */
export function unknownTac(o: { suppressionMs: number }): KeyCriterion {
  return {
    kind: 'key',
    name: 'unknown_tac',
    needsTac: true,
    examine(s) {
      if (s.tac !== undefined) return null;
      return { a: null, suppressionKey: `${s.key}|unknown_tac`, periodMs: o.suppressionMs, imsis: [], extra: {} };
    },
  };
}
