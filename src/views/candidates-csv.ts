import type { CandidateView } from './store.js';

/**
 * candidates.csv: the list of block candidates the operator remits to OSIPTEL, one row per IMEI key (its
 * current state), in SPEC's columns. Lists are `|`-separated inside one field (as the TAC database's radios);
 * fields are quoted per RFC 4180 only when they need it. Empty when the store has no such column yet.
 */

export const CANDIDATE_COLUMNS = [
  'imei',
  'imsis',
  'exempt_imsis',
  'rules',
  'first_evidence_at',
  'findings',
  'likely_genuine_imsi',
  'notify_msisdns',
] as const;

function field(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function candidatesCsv(candidates: readonly CandidateView[]): string {
  let out = CANDIDATE_COLUMNS.join(',') + '\r\n';
  for (const c of candidates) {
    const row = [
      c.imei,
      c.imsis.join('|'),
      c.exempt_imsis.join('|'),
      c.rules.join('|'),
      c.first_evidence_at,
      String(c.findings),
      c.likely_genuine_imsi ?? '',
      (c.notify_msisdns ?? []).join('|'),
    ];
    out += row.map(field).join(',') + '\r\n';
  }
  return out;
}
