// Scenarios of the Art. 22(c) criteria (generator option extraCriteria): clones that only the extra criteria
// catch, and look-alikes that must not fire. Kept apart from generator.ts so other profiles can change the
// ordinary traffic without touching these.
//
// Clones (the two Art. 22 rules give nothing on them, by construction: the reference rules are run on every
// planted device and a device with any pair finding is redrawn):
// - clone_shared: one IMEI copied onto 5-8 phones used alternately in one city in one day, never overlapping and
//   never far apart: shared_imei (with the default sharedImeiMinImsis 5).
// - clone_rat: the IMEI of an old 2G or 3G model (its owner only ever on the radios it supports) copied onto a
//   modern phone used in the same city on LTE/NR: inconsistent_rat per radio the model lacks.
// - clone_tac: an IMEI with an invented TAC (not in the TAC database): unknown_tac.
// Look-alikes: family_two_sims (one phone, two SIMs a day, alternately), refurbished (an old SIM, then hours
// later a new SIM on the phone, now reporting another IMEISV), dual_sim_listed (a dual-SIM phone reporting one
// IMEI for both slots, busy on both at once: simultaneity findings, but both IMSIs are on the exception list,
// so no candidate and no shared_imei).

import type { Cell, Site } from './catalogue.js';
import { haversineKm } from './geo.js';
import { reported } from './ids.js';
import { referenceFindings } from './reference.js';
import { Rng } from './rng.js';
import { INVENTED_TACS, OLD_TACS } from './tac-models.js';
import { lifeRows, makePerson, makeRow, toRef, type Ctx, type GRow, type Person, type Special, type TruthSpecial } from './generator.js';

export const CRITERIA_CLONE_KINDS = ['clone_shared', 'clone_rat', 'clone_tac'] as const;
export const CRITERIA_LOOKALIKE_KINDS = ['family_two_sims', 'refurbished', 'dual_sim_listed'] as const;
export type CriteriaKind = (typeof CRITERIA_CLONE_KINDS)[number] | (typeof CRITERIA_LOOKALIKE_KINDS)[number];
export type KeyRuleName = 'shared_imei' | 'inconsistent_rat' | 'unknown_tac';

/** A finding of an Art. 22(c) criterion the data must give: one per IMEI key (and radio for inconsistent_rat). */
export interface TruthKeyFinding {
  imei: string;
  rule: KeyRuleName;
  radio?: string;
  /** The IMSIs the finding puts on the block candidate. */
  imsis: string[];
}

/** shared_imei's default threshold: the truth is written for it. */
export const SHARED_MIN_IMSIS = 5;
const ALL_RADIOS = ['GSM', 'UMTS', 'LTE', 'NR'];
const MIN_MS = 60_000;

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** Known cells of a city whose radio is in `radios`. */
function cityCells(ctx: Ctx, city: number, radios: readonly string[]): Cell[] {
  const k = `${city}|${radios.join(',')}`;
  let l = ctx.radioCache.get(k);
  if (!l) {
    l = ctx.cat.citySites[city].flatMap((s) => s.cells).filter((c) => c.known && radios.includes(c.radio));
    ctx.radioCache.set(k, l);
  }
  return l;
}

/** Move every row onto the nearest known cell of its city with an allowed radio (false when the city has none). */
function restrictRadios(ctx: Ctx, rows: GRow[], city: number, radios: readonly string[]): boolean {
  const cells = cityCells(ctx, city, radios);
  if (!cells.length) return false;
  for (const r of rows) {
    if (r.cell.known && radios.includes(r.cell.radio)) continue;
    let best = cells[0];
    let bestKm = Infinity;
    for (const c of cells) {
      const d = haversineKm(r.cell.lat, r.cell.lon, c.lat, c.lon);
      if (d < bestKm) {
        bestKm = d;
        best = c;
      }
    }
    r.cell = best;
  }
  return true;
}

/** Day-0 instant at local day fraction f (0..1) of the span. */
const at = (ctx: Ctx, f: number): number => ctx.spanStart + Math.floor((f * ctx.dayLenMs) / 1000) * 1000;

/** A few CDRs of p inside [fromMs, toMs), each ending before toMs, on p's home or work site. */
function slotRows(ctx: Ctx, rng: Rng, p: Person, fromMs: number, toMs: number, seq0: number): GRow[] {
  const rows: GRow[] = [];
  const n = rng.int(1, 4);
  for (let k = 0; k < n; k++) {
    const t = fromMs + Math.floor(rng.range(0, 0.8) * (toMs - fromMs) / 1000) * 1000;
    const site: Site = rng.chance(0.5) ? p.home : p.work;
    const r = makeRow(ctx, rng, p, seq0 + k, t, site);
    const maxS = Math.max(0, Math.floor((toMs - r.startMs) / 1000) - 1);
    if (r.durS > maxS) r.durS = maxS;
    r.cell = rng.pick(site.cells);
    rows.push(r);
  }
  return rows;
}

/**
 * Phones used alternately: `people` take turns in `slots` slots between 07:00 and 23:00 of day 0 (every person
 * at least once), with 10 minutes of nothing at each slot's ends, so no two CDRs of different IMSIs overlap.
 */
function alternate(ctx: Ctx, rng: Rng, people: Person[], slots: number): GRow[] {
  const order: number[] = people.map((_, j) => j);
  for (let j = order.length - 1; j > 0; j--) {
    const x = rng.int(0, j);
    [order[j], order[x]] = [order[x], order[j]];
  }
  while (order.length < slots) {
    let j = rng.int(0, people.length - 1);
    if (j === order[order.length - 1]) j = (j + 1) % people.length;
    order.push(j);
  }
  const from = at(ctx, 7 / 24);
  const len = (at(ctx, 23 / 24) - from) / slots;
  const margin = Math.min(10 * MIN_MS, len / 5);
  const rows: GRow[] = [];
  order.forEach((j, s) => {
    const a = from + s * len + margin;
    const b = from + (s + 1) * len - margin;
    rows.push(...slotRows(ctx, rng, people[j], a, b, s * 10));
  });
  return rows;
}

interface Built extends Special {
  /** dual_sim_listed must give pair findings (exempt); the others none. */
  wantPairFindings: boolean;
}

function build(ctx: Ctx, rng: Rng, i: number, kind: CriteriaKind, n: number): Built | null {
  const rows: GRow[] = [];
  const exceptions: string[][] = [];
  const keyFindings: TruthKeyFinding[] = [];
  const truth: TruthSpecial = { kind, imeis: [], imsis: [], exempt_imsis: [], findings: [], keyFindings };
  const person = (role: number, key: string, city?: number): Person => {
    const p = makePerson(ctx, rng, i, role, key, city, rng.chance(0.8) ? 'plain' : 'empty');
    delete p.trip;
    truth.imsis.push(p.imsi);
    return p;
  };
  let wantPairFindings = false;
  // Serial numbers of the planted keys: the device index (unique per data set), in a TAC of its own.
  const serial = pad(i % 1_000_000, 6);
  switch (kind) {
    case 'clone_shared': {
      const key = keyOf(i);
      const k = rng.int(SHARED_MIN_IMSIS, SHARED_MIN_IMSIS + 3);
      const A = person(0, key);
      const people = [A];
      for (let r = 1; r < k; r++) {
        const q = person(r, key, A.city);
        q.imei = rng.chance(0.7) ? A.imei : reported(key, 'zero');
        people.push(q);
      }
      rows.push(...alternate(ctx, rng, people, k + rng.int(0, k)));
      truth.imeis = [A.imei];
      // The finding counts the first SHARED_MIN_IMSIS IMSIs to appear; they make the candidate.
      const firstSeen = new Map<string, number>();
      for (const r of rows) if (!firstSeen.has(r.imsi) || r.startMs < firstSeen.get(r.imsi)!) firstSeen.set(r.imsi, r.startMs);
      const order = [...firstSeen].sort((x, y) => x[1] - y[1]).map(([imsi]) => imsi);
      if (order.length < SHARED_MIN_IMSIS) return null;
      keyFindings.push({ imei: key, rule: 'shared_imei', imsis: order.slice(0, SHARED_MIN_IMSIS).sort() });
      break;
    }
    case 'clone_rat': {
      const model = rng.pick(OLD_TACS);
      const supported = model.radios.split('|');
      const missing = ALL_RADIOS.filter((r) => !supported.includes(r));
      const key = model.tac + serial;
      const A = person(0, key);
      A.imei = reported(key, 'luhn');
      rows.push(...lifeRows(ctx, rng, A, n));
      if (!restrictRadios(ctx, rows, A.city, supported)) return null;
      const B = person(1, key, A.city);
      B.imei = A.imei;
      const busy = rows.map((r) => [r.startMs - 15 * MIN_MS, r.startMs + Math.ceil(r.durS) * 1000 + 15 * MIN_MS]);
      const mine = lifeRows(ctx, rng, B, rng.int(3, 8), -Infinity, Infinity, 0).filter((r) => {
        const end = r.startMs + Math.ceil(r.durS) * 1000;
        return !busy.some(([s, e]) => r.startMs < e && end > s);
      });
      if (!mine.length || !restrictRadios(ctx, mine, A.city, missing)) return null;
      rows.push(...mine);
      truth.imeis = [A.imei];
      for (const radio of new Set(mine.map((r) => r.cell.radio))) keyFindings.push({ imei: key, rule: 'inconsistent_rat', radio, imsis: [B.imsi] });
      break;
    }
    case 'clone_tac': {
      const key = rng.pick(INVENTED_TACS) + serial;
      const A = person(0, key);
      A.imei = reported(key, rng.chance(0.5) ? 'luhn' : 'zero');
      rows.push(...lifeRows(ctx, rng, A, n));
      truth.imeis = [A.imei];
      keyFindings.push({ imei: key, rule: 'unknown_tac', imsis: [A.imsi] });
      break;
    }
    case 'family_two_sims': {
      const key = keyOf(i);
      const A = person(0, key);
      const B = person(1, key, A.city);
      B.imei = A.imei;
      B.home = A.home;
      rows.push(...alternate(ctx, rng, [A, B], rng.int(2, 6)));
      truth.imeis = [A.imei];
      break;
    }
    case 'refurbished': {
      const key = keyOf(i);
      const A = person(0, key);
      A.imei = reported(key, 'sv', rng.int(1, 40));
      rows.push(...lifeRows(ctx, rng, A, n, -Infinity, at(ctx, 10 / 24)));
      if (!rows.length) return null;
      const B = person(1, key);
      B.imei = reported(key, 'sv', rng.int(41, 99)); // new software after refurbishing, same IMEI key
      rows.push(...lifeRows(ctx, rng, B, n, at(ctx, 15 / 24), Infinity, 1));
      truth.imeis = [A.imei, B.imei];
      break;
    }
    case 'dual_sim_listed': {
      const key = keyOf(i);
      const A = person(0, key);
      const B = person(1, key, A.city);
      B.imei = A.imei;
      Object.assign(B, { home: A.home, work: A.work, errand: A.errand, leaveF: A.leaveF, arriveF: A.arriveF, leaveWorkF: A.leaveWorkF, errandEndF: A.errandEndF, worker: A.worker });
      rows.push(...lifeRows(ctx, rng, A, n), ...lifeRows(ctx, rng, B, Math.max(2, n >> 1), -Infinity, Infinity, 0));
      // Busy on both slots at once: a call on B's SIM during a data session on A's.
      const host = rows.find((r) => r.imsi === A.imsi && r.durS >= 300);
      if (!host) return null;
      const r = makeRow(ctx, rng, B, 900, host.startMs + 60_000, A.home, 'voice_mt', 90);
      r.cell = host.cell;
      rows.push(r);
      for (const p of [A, B]) {
        exceptions.push([rng.chance(0.5) ? key : A.imei.slice(0, 15), p.imsi, '']);
        truth.exempt_imsis.push(p.imsi);
      }
      truth.imeis = [A.imei];
      wantPairFindings = true;
      break;
    }
  }
  rows.sort((a, b) => a.startMs - b.startMs);
  return { rows, exceptions, truth, wantPairFindings };
}

/** The IMEI key of a planted device of these scenarios: a modern model's TAC (in the database), device-unique serial. */
function keyOf(i: number): string {
  // TAC 35330711 is one of the generator's primary TACs (all radios); serials from 500000 up stay clear of the
  // ordinary devices' keys of data sets below 8M devices (serial = i / 16).
  return '35330711' + pad(500_000 + (i % 500_000), 6);
}

/** A planted device of the Art. 22(c) scenarios whose truth the reference rules confirm (redrawn otherwise). */
export function makeCriteriaSpecial(ctx: Ctx, i: number, kind: CriteriaKind, rowsPerDevice: number): Special {
  for (let attempt = 0; attempt < 80; attempt++) {
    const rng = Rng.of(ctx.opt.seed, 'criteria', i, attempt);
    const sp = build(ctx, rng, i, kind, Math.max(6, Math.round(rowsPerDevice)));
    if (!sp) continue;
    if (!sp.rows.every((r) => r.startMs >= ctx.spanStart && r.startMs < ctx.spanStart + ctx.spanMs)) continue;
    const { findings, ambiguous } = referenceFindings(sp.rows.map(toRef));
    if (ambiguous) continue;
    if (sp.wantPairFindings !== findings.length > 0) continue;
    sp.truth.findings = findings.map((f) => ({ imsis: f.imsis, rule: f.rule }));
    return sp;
  }
  throw new Error(`could not build special ${kind} for device ${i}`);
}
