import { baseMapSvg, fitProjection, peruBounds, type LonLat } from './geo.js';
import { esc, fmtNum, fmtTime, page, ruleColour } from './html.js';
import type { ReportInput } from './store.js';
import { requireCjs } from '../domain/cjs.js';

const { cellToBoundary, cellToLatLng, cellToParent, isValidCell } = requireCjs('h3-js') as typeof import('h3-js');

/**
 * report.html: findings per day and rule, candidates per day, rejects by reason, a map of findings by H3
 * cell and the runs. Every chart is SVG drawn here, with its numbers in a table beside it; nothing is
 * computed in the browser, so a report over any number of findings opens as fast as a small one.
 */

export interface ReportView {
  input: ReportInput;
  /** 'all dates' or 'from 2026-11-23 to 2026-11-24 (UTC days, inclusive)'. */
  rangeText: string;
  source: string;
  generatedAt: string;
}

/** H3 resolution of the map's hexagons: the stored resolution-7 cells (~5 km²) are too small to see at country scale. */
export const MAP_H3_RESOLUTION = 4;

const BAR_W = 580;
const BAR_H = 220;

function stackedBars(
  cls: string,
  categories: string[],
  series: string[],
  value: (cat: string, s: string) => number,
  colour: (s: string) => string,
): string {
  if (categories.length === 0) return '<p class="note">Nothing in this range.</p>';
  const left = 44;
  const bottom = 34;
  const plotH = BAR_H - bottom - 10;
  const totals = categories.map((c) => series.reduce((t, s) => t + value(c, s), 0));
  const max = Math.max(1, ...totals);
  const step = (BAR_W - left - 10) / categories.length;
  const bw = Math.max(2, Math.min(48, step * 0.7));
  const y = (n: number) => 10 + plotH - (n / max) * plotH;
  const parts: string[] = [];
  for (const t of [0, 0.5, 1]) {
    const v = Math.round(max * t);
    parts.push(
      `<line x1="${left}" x2="${BAR_W - 10}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e1e6eb"/><text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="10.5" text-anchor="end" fill="#5b6b7b">${fmtNum(v)}</text>`,
    );
  }
  const labelEvery = Math.ceil(categories.length / 12);
  categories.forEach((cat, i) => {
    const x = left + i * step + (step - bw) / 2;
    let acc = 0;
    let segs = '';
    for (const s of series) {
      const n = value(cat, s);
      if (n === 0) continue;
      const y0 = y(acc + n);
      const h = y(acc) - y0;
      segs += `<rect class="seg" data-series="${esc(s)}" data-n="${n}" x="${x.toFixed(1)}" y="${y0.toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.max(h, 0.5).toFixed(1)}" fill="${colour(s)}"><title>${esc(`${cat} ${s}: ${n}`)}</title></rect>`;
      acc += n;
    }
    const label = i % labelEvery === 0 ? `<text x="${(x + bw / 2).toFixed(1)}" y="${BAR_H - bottom + 16}" font-size="10.5" text-anchor="middle" fill="#5b6b7b">${esc(cat.length === 10 ? cat.slice(5) : cat)}</text>` : '';
    parts.push(`<g class="${cls}" data-key="${esc(cat)}" data-n="${totals[i]}">${segs}${label}</g>`);
  });
  const legend =
    series.length > 1
      ? series.map((s, i) => `<rect x="${left + i * 130}" y="${BAR_H - 12}" width="10" height="10" fill="${colour(s)}"/><text x="${left + 14 + i * 130}" y="${BAR_H - 3}" font-size="11">${esc(s)}</text>`).join('')
      : '';
  return `<svg class="chart ${cls}-chart" viewBox="0 0 ${BAR_W} ${BAR_H + (legend ? 4 : 0)}" width="100%" style="max-width:${BAR_W}px" role="img">${parts.join('')}${legend}</svg>`;
}

function hBars(cls: string, rows: { key: string; n: number }[], colour: string): string {
  if (rows.length === 0) return '<p class="note">None.</p>';
  const max = Math.max(1, ...rows.map((r) => r.n));
  const labelW = 150;
  const w = BAR_W - labelW - 70;
  const rowH = 20;
  const parts = rows.map((r, i) => {
    const y = 4 + i * rowH;
    const bw = Math.max(1, (r.n / max) * w);
    return `<g class="${cls}" data-key="${esc(r.key)}" data-n="${r.n}"><text x="${labelW - 6}" y="${y + 13}" font-size="11.5" text-anchor="end">${esc(r.key)}</text><rect x="${labelW}" y="${y + 2}" width="${bw.toFixed(1)}" height="${rowH - 6}" fill="${colour}"/><text x="${(labelW + bw + 5).toFixed(1)}" y="${y + 13}" font-size="11">${fmtNum(r.n)}</text></g>`;
  });
  return `<svg class="chart ${cls}-chart" viewBox="0 0 ${BAR_W} ${rows.length * rowH + 8}" width="100%" style="max-width:${BAR_W}px" role="img">${parts.join('')}</svg>`;
}

function h3Hex(h3: string): string | null {
  try {
    const hex = BigInt(h3).toString(16);
    return isValidCell(hex) ? hex : null;
  } catch {
    return null;
  }
}

const RAMP = ['#fee8c8', '#fdbb84', '#fc8d59', '#e34a33', '#b30000'];

function h3Map(perH3: { h3: string; n: number }[]): { svg: string; unplaced: number; top: { hex: string; n: number; lat: number; lon: number }[] } {
  const W = 560;
  const H = 760;
  const byParent = new Map<string, number>();
  let unplaced = 0;
  const top: { hex: string; n: number; lat: number; lon: number }[] = [];
  for (const { h3, n } of perH3) {
    const hex = h3 === '0' ? null : h3Hex(h3);
    if (!hex) {
      unplaced += n;
      continue;
    }
    if (top.length < 15) {
      const [lat, lon] = cellToLatLng(hex);
      top.push({ hex, n, lat, lon });
    }
    const parent = cellToParent(hex, MAP_H3_RESOLUTION);
    byParent.set(parent, (byParent.get(parent) ?? 0) + n);
  }
  // Fit Peru, widened to any hexagon outside it.
  let [[w, s], [e, nn]] = peruBounds();
  for (const hex of byParent.keys()) {
    const [lat, lon] = cellToLatLng(hex);
    w = Math.min(w, lon - 0.3);
    e = Math.max(e, lon + 0.3);
    s = Math.min(s, lat - 0.3);
    nn = Math.max(nn, lat + 0.3);
  }
  const bounds: [LonLat, LonLat] = [
    [w, s],
    [e, nn],
  ];
  const projection = fitProjection(bounds, W, H, 10);
  const max = Math.max(1, ...byParent.values());
  const parts: string[] = [`<rect width="${W}" height="${H}" fill="#dfeaf2"/>`, baseMapSvg(projection)];
  // Small counts first, so the busiest hexagons are drawn on top.
  const hexes = [...byParent.entries()].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
  for (const [hex, n] of hexes) {
    const pts = cellToBoundary(hex).map(([lat, lon]) => projection([lon, lat]));
    if (pts.some((p) => p === null)) continue;
    const d = 'M' + (pts as [number, number][]).map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join('L') + 'Z';
    const k = Math.min(RAMP.length - 1, Math.floor(Math.sqrt(n / max) * RAMP.length));
    parts.push(`<path class="h3-hex" data-h3="${hex}" data-n="${n}" d="${d}" fill="${RAMP[k]}" stroke="#7a2e1d" stroke-width="0.6"><title>${esc(`H3 ${hex}: ${n} finding${n === 1 ? '' : 's'}`)}</title></path>`);
  }
  // Class k holds counts n with floor(sqrt(n / max) * 5) = k: its lower bound is ceil(max * (k / 5)^2).
  const bounds5 = RAMP.map((_, i) => Math.max(1, Math.ceil(max * (i / RAMP.length) ** 2)));
  const shown = RAMP.map((c, i) => ({ c, lo: bounds5[i] })).filter((x, i) => i === 0 || x.lo > bounds5[i - 1]);
  const legend = shown
    .map(({ c, lo }, i) => `<rect x="${12 + i * 46}" y="${H - 26}" width="44" height="10" fill="${c}" stroke="#7a2e1d" stroke-width="0.4"/><text x="${12 + i * 46}" y="${H - 30}" font-size="10">≥${fmtNum(lo)}</text>`)
    .join('');
  parts.push(`<rect x="6" y="${H - 44}" width="${shown.length * 46 + 14}" height="40" fill="#fff" fill-opacity="0.8"/>${legend}`);
  return {
    svg: `<svg class="chart h3-map" viewBox="0 0 ${W} ${H}" width="100%" style="max-width:${W}px" role="img" aria-label="findings by H3 cell">${parts.join('')}</svg>`,
    unplaced,
    top,
  };
}

function table(cls: string, head: string[], rows: (string | number)[][], numeric: boolean[]): string {
  const th = head.map((h, i) => `<th${numeric[i] ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="num"' : ''}>${typeof c === 'number' ? c : c}</td>`).join('')}</tr>`).join('');
  return `<div class="wrap"><table class="${cls}"><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table></div>`;
}

function isoOfMs(v: unknown): string {
  const n = Number(v);
  return Number.isFinite(n) ? new Date(n).toISOString() : '';
}

export function reportPage(v: ReportView): string {
  const { input } = v;
  const days = [...new Set(input.findingsPerDay.map((r) => r.day))].sort();
  const ruleOrder = ['simultaneity', 'time_distance', 'shared_imei', 'inconsistent_rat', 'unknown_tac'];
  const rules = [...new Set(input.findingsPerDay.map((r) => r.rule))].sort((a, b) => {
    const ia = ruleOrder.indexOf(a);
    const ib = ruleOrder.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
  });
  const perDay = new Map(input.findingsPerDay.map((r) => [`${r.day}|${r.rule}`, r.n]));
  const fv = (d: string, r: string) => perDay.get(`${d}|${r}`) ?? 0;
  const totalFindings = input.findingsPerDay.reduce((t, r) => t + r.n, 0);

  const candDays = new Map<string, number>();
  for (const c of input.candidates) {
    const d = c.first_evidence_at.slice(0, 10);
    candDays.set(d, (candDays.get(d) ?? 0) + 1);
  }
  const cDays = [...candDays.keys()].sort();
  const totalRejects = input.rejectsByReason.reduce((t, r) => t + r.n, 0);
  const map = h3Map(input.findingsPerH3);

  const findingsRows = days.map((d) => [esc(d), ...rules.map((r) => fv(d, r)), rules.reduce((t, r) => t + fv(d, r), 0)]);
  const runsRows = input.runs.map((r) => {
    let byRule = '';
    try {
      const c = JSON.parse(String(r.counters_json)) as { findingsByRule?: Record<string, number> };
      byRule = Object.entries(c.findingsByRule ?? {})
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
    } catch {
      byRule = '?';
    }
    const notes = Array.isArray(r.notes) ? (r.notes as string[]).join('; ') : '';
    return [
      `<span class="mono">${esc(String(r.run_id).slice(0, 8))}</span>`,
      esc(r.mode_name),
      esc(fmtTime(isoOfMs(r.started_at_ms))),
      esc(fmtTime(isoOfMs(r.finished_at_ms))),
      `<span title="${esc(r.inputs)}">${esc(String(r.inputs).length > 48 ? String(r.inputs).slice(0, 47) + '…' : r.inputs)}</span>`,
      fmtNum(Number(r.records_read)),
      fmtNum(Number(r.records_accepted)),
      fmtNum(Number(r.rejected)),
      esc(byRule || '0'),
      fmtNum(Number(r.candidates)),
      fmtNum(Number(r.unknown_cell)),
      esc(notes),
    ];
  });

  const body = `
<section id="summary"><dl class="kv">
<dt>Range</dt><dd>${esc(v.rangeText)}</dd>
<dt>Findings</dt><dd class="total-findings">${totalFindings} (${esc(rules.map((r) => `${r} ${days.reduce((t, d) => t + fv(d, r), 0)}`).join(', ') || 'none')})</dd>
<dt>Block candidates</dt><dd class="total-candidates">${input.candidates.length} IMEIs (list: <a href="candidates.csv">candidates.csv</a>)</dd>
<dt>Rejects</dt><dd class="total-rejects">${totalRejects}</dd>
<dt>Runs</dt><dd>${input.runsTotal}</dd>
</dl></section>
<div class="grid2">
<section id="findings-per-day"><h2>Findings per day and rule</h2>
${stackedBars('day-bar', days, rules, fv, ruleColour)}
${table('findings-per-day', ['day (UTC)', ...rules, 'total'], findingsRows, [false, ...rules.map(() => true), true])}
</section>
<section id="candidates-per-day"><h2>Block candidates per day of first evidence</h2>
${stackedBars('cand-bar', cDays, ['candidates'], (d) => candDays.get(d) ?? 0, () => '#c0392b')}
${table('candidates-per-day', ['day (UTC)', 'candidates'], cDays.map((d) => [esc(d), candDays.get(d) ?? 0]), [false, true])}
<p class="note">One per IMEI key with a finding in the range, in its current state (its last emission).</p>
</section>
</div>
<div class="grid2">
<section id="map"><h2>Where: findings by H3 cell</h2>
${map.svg}
<p class="note">Each finding counts once, in the H3 cell of its first CDR (of its second when the first has no
position); hexagons are H3 resolution ${MAP_H3_RESOLUTION} (about 1,800 km²) grouping the stored resolution-7 cells.
${map.unplaced ? `<span class="unplaced" data-n="${map.unplaced}">${map.unplaced} finding(s) with no known cell are not on the map.</span>` : ''}</p>
</section>
<section id="rejects"><h2>Rejects by reason</h2>
${hBars('reject-bar', input.rejectsByReason.map((r) => ({ key: r.reason, n: r.n })), '#8a6d3b')}
${table('rejects-by-reason', ['reason', 'rejects'], input.rejectsByReason.map((r) => [esc(r.reason), r.n]), [false, true])}
<h2 style="margin-top:16px">Busiest H3 cells (resolution 7)</h2>
${table('top-h3', ['H3 cell', 'lat', 'lon', 'findings'], map.top.map((t) => [`<span class="mono">${t.hex}</span>`, t.lat.toFixed(4), t.lon.toFixed(4), t.n]), [false, true, true, true])}
</section>
</div>
<section id="runs"><h2>Runs</h2>
<p class="note">${input.runsTotal > input.runs.length ? `The latest ${input.runs.length} of ${input.runsTotal} runs. ` : ''}A streaming run writes one row per interval.
With a date range: the runs that wrote a finding in it and the runs started in it; rejects are those of these runs.</p>
${table('runs', ['run', 'mode', 'started', 'finished', 'inputs', 'read', 'accepted', 'rejected', 'findings', 'candidates', 'unknown cell', 'notes'], runsRows, [false, false, false, false, false, true, true, true, false, true, true, false])}
</section>
<p class="note">Generated by clonewatch report at ${esc(v.generatedAt)} from ${esc(v.source)}. Days are UTC days of the first CDR's start (time_a).</p>`;
  return page({
    title: `clonewatch report: ${totalFindings} findings, ${input.candidates.length} block candidates`,
    subtitle: `RENTESEG Art. 22 · ${v.rangeText}`,
    body,
  });
}
