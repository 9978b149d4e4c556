// The synthetic TAC database of the bench and of fixtures/tac-db.csv: every TAC the generator gives ordinary
// devices (modern smartphones: all four radios, so an ordinary day never looks inconsistent), plus older
// models (2G-only and 2G/3G feature phones) whose IMEIs the cross-generation clones copy. No real GSMA data
// is reachable here: manufacturers and models are invented, the TAC format (8 digits) is real.

import { TACS_OTHER, TACS_PRIMARY, TACS_SECOND } from './ids.js';

export interface TacModelRow {
  tac: string;
  manufacturer: string;
  model: string;
  radios: string;
}

const MAKERS = ['Andina Mobile', 'Pacifico Devices', 'Inka Telecom', 'Condor Phones'];

/** Older models: what a cross-generation clone's genuine device is. */
export const OLD_TACS: TacModelRow[] = [
  { tac: '35100101', manufacturer: 'Andina Mobile', model: 'A105 (2G)', radios: 'GSM' },
  { tac: '35100102', manufacturer: 'Pacifico Devices', model: 'Basic 2 (2G)', radios: 'GSM' },
  { tac: '35200201', manufacturer: 'Inka Telecom', model: 'Qhapaq 3G', radios: 'GSM|UMTS' },
  { tac: '35200202', manufacturer: 'Condor Phones', model: 'C300 (3G)', radios: 'GSM|UMTS' },
  { tac: '35200203', manufacturer: 'Andina Mobile', model: 'A3G Flip', radios: 'GSM|UMTS' },
  { tac: '35300301', manufacturer: 'Pacifico Devices', model: 'Ola 4G Lite', radios: 'GSM|UMTS|LTE' },
];

/** TACs no model has: the invented-TAC clones use these (and they stay out of the database). */
export const INVENTED_TACS = ['99000017', '12345678', '00000042', '98765432'];

export function tacModels(): TacModelRow[] {
  const modern = [...TACS_PRIMARY, ...TACS_SECOND, ...TACS_OTHER].map((tac, i) => ({
    tac,
    manufacturer: MAKERS[i % MAKERS.length],
    model: `Smart ${String.fromCharCode(65 + (i % 26))}${10 + i}`,
    radios: 'GSM|UMTS|LTE|NR',
  }));
  return [...modern, ...OLD_TACS];
}

/** The database as CSV (header tac,manufacturer,model,radios; one model name is quoted: it has a comma). */
export function tacDbCsv(): string {
  const q = (v: string) => (/[",]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const rows = tacModels().map((m, i) => [m.tac, i === 3 ? `${m.manufacturer}, S.A.C.` : m.manufacturer, m.model, m.radios].map(q).join(','));
  return ['tac,manufacturer,model,radios', ...rows].join('\n') + '\n';
}
