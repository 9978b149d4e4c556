import { esc, fmtNum, ruleColour } from './html.js';
import type { EvidenceModel } from './evidence.js';

/**
 * The timeline of the explain page: one lane per IMSI, a bar per evidence CDR (the part of its interval the
 * findings prove), overlaps as bands across the two lanes, and time-distance gaps as dashed connectors.
 * Bursts of evidence hours apart get their own stretch of axis with a break between them, so a 2-minute
 * overlap stays visible next to evidence from the night before.
 */

const WIDTH = 980;
const LABEL_W = 210;
const LANE_H = 38;
const TOP = 30;
const BREAK_W = 46;
/** Evidence closer than this in time shares one stretch of axis. */
const CLUSTER_GAP_MS = 20 * 60_000;

interface Stretch {
  startMs: number;
  endMs: number;
  x0: number;
  x1: number;
}

function clusters(spans: [number, number][]): [number, number][] {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s - last[1] <= CLUSTER_GAP_MS) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** Stretches of axis: each cluster gets a share of the width (a floor so none vanishes, the rest by length). */
function layout(spans: [number, number][], x0: number, x1: number): Stretch[] {
  const cs = clusters(spans).map(([s, e]) => {
    // Pad each burst a little, and give an instant some width.
    const pad = Math.max((e - s) * 0.06, 30_000);
    return [s - pad, e + pad] as [number, number];
  });
  const usable = x1 - x0 - BREAK_W * (cs.length - 1);
  const total = cs.reduce((t, [s, e]) => t + (e - s), 0);
  const floor = 0.35 / cs.length;
  let x = x0;
  return cs.map(([s, e]) => {
    const w = usable * (floor + (1 - 0.35) * ((e - s) / total));
    const st = { startMs: s, endMs: e, x0: x, x1: x + w };
    x += w + BREAK_W;
    return st;
  });
}

function xAt(stretches: Stretch[], t: number): number {
  for (let i = 0; i < stretches.length; i++) {
    const s = stretches[i];
    if (t <= s.endMs || i === stretches.length - 1) {
      if (t < s.startMs) {
        const prev = stretches[i - 1];
        if (!prev) return s.x0;
        // Inside a break: interpolate across it.
        return prev.x1 + ((t - prev.endMs) / (s.startMs - prev.endMs)) * (s.x0 - prev.x1);
      }
      return s.x0 + ((Math.min(t, s.endMs) - s.startMs) / (s.endMs - s.startMs)) * (s.x1 - s.x0);
    }
  }
  return stretches[0]?.x0 ?? 0;
}

function hhmmss(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} min`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}

function ticks(st: Stretch): number[] {
  const span = st.endMs - st.startMs;
  const px = st.x1 - st.x0;
  const want = Math.max(1, Math.floor(px / 110));
  const steps = [10e3, 30e3, 60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3, 7200e3, 10800e3, 21600e3, 43200e3, 86400e3];
  const step = steps.find((s) => span / s <= want) ?? 86400e3;
  const out: number[] = [];
  for (let t = Math.ceil(st.startMs / step) * step; t <= st.endMs; t += step) out.push(t);
  return out;
}

export function timelineSvg(model: EvidenceModel): string {
  if (model.cdrs.length === 0) return '<p class="note">No evidence CDRs.</p>';
  const height = TOP + model.lanes.length * LANE_H + 34;
  const spans: [number, number][] = model.cdrs.map((c) => [c.startMs, c.knownEndMs]);
  const st = layout(spans, LABEL_W + 8, WIDTH - 12);
  const x = (t: number) => xAt(st, t);
  const laneY = new Map(model.lanes.map((l, i) => [l.imsi, TOP + i * LANE_H]));
  const parts: string[] = [];

  // Axis: one per stretch, with a break mark and the time skipped between stretches.
  const axisY = TOP + model.lanes.length * LANE_H + 6;
  const firstDay = new Date(model.startMs).toISOString().slice(0, 10);
  parts.push(`<text x="${LABEL_W + 8}" y="16" font-size="11" fill="#5b6b7b">UTC, ${firstDay}</text>`);
  st.forEach((s, i) => {
    parts.push(`<line x1="${s.x0.toFixed(1)}" x2="${s.x1.toFixed(1)}" y1="${axisY}" y2="${axisY}" stroke="#8a96a3"/>`);
    for (const t of ticks(s)) {
      const tx = x(t).toFixed(1);
      const day = new Date(t).toISOString().slice(0, 10);
      parts.push(`<line x1="${tx}" x2="${tx}" y1="${axisY}" y2="${axisY + 4}" stroke="#8a96a3"/>`);
      parts.push(
        `<text x="${tx}" y="${axisY + 16}" font-size="10.5" text-anchor="middle" fill="#5b6b7b">${day === firstDay ? '' : day.slice(5) + ' '}${hhmmss(t).slice(0, t % 60000 === 0 ? 5 : 8)}</text>`,
      );
    }
    const next = st[i + 1];
    if (next) {
      const mx = (s.x1 + next.x0) / 2;
      parts.push(
        `<g class="axis-break"><text x="${mx.toFixed(1)}" y="${axisY + 4}" font-size="13" text-anchor="middle" fill="#8a96a3">≈</text>` +
          `<text x="${mx.toFixed(1)}" y="${axisY + 27}" font-size="9.5" text-anchor="middle" fill="#8a96a3">+${esc(duration(next.startMs - s.endMs))}</text></g>`,
      );
    }
  });

  // Lanes.
  model.lanes.forEach((lane, i) => {
    const y = TOP + i * LANE_H;
    parts.push(
      `<g class="lane" data-imsi="${esc(lane.imsi)}"><rect x="0" y="${y}" width="${WIDTH}" height="${LANE_H}" fill="${i % 2 ? '#fff' : '#f7f9fb'}"/>` +
        `<text x="8" y="${y + 16}" font-size="12" class="mono">${esc(lane.imsi)}</text>` +
        `<text x="8" y="${y + 30}" font-size="10.5" fill="#5b6b7b">${esc(lane.msisdns.join(', ') || 'no MSISDN')}${lane.exempt ? ' · exempt' : ''}</text></g>`,
    );
  });

  // Overlaps: a band spanning both lanes of the pair.
  for (const o of model.overlaps) {
    const ya = laneY.get(o.imsiA)!;
    const yb = laneY.get(o.imsiB)!;
    const y0 = Math.min(ya, yb) + 3;
    const y1 = Math.max(ya, yb) + LANE_H - 3;
    const x0 = x(o.startMs);
    const w = Math.max(x(o.endMs) - x0, 2);
    parts.push(
      `<rect class="overlap" data-finding-id="${esc(o.findingId)}" x="${x0.toFixed(1)}" y="${y0}" width="${w.toFixed(1)}" height="${y1 - y0}" fill="${ruleColour('simultaneity')}" fill-opacity="0.22" stroke="${ruleColour('simultaneity')}" stroke-width="1"><title>overlap ${fmtNum((o.endMs - o.startMs) / 1000, 3)} s (${esc(o.rule)})</title></rect>`,
    );
  }

  // Gaps: from a's end to b's start.
  for (const g of model.gaps) {
    const ya = laneY.get(g.imsiA)! + LANE_H / 2;
    const yb = laneY.get(g.imsiB)! + LANE_H / 2;
    const x0 = x(g.fromMs);
    const x1 = x(g.toMs);
    parts.push(
      `<path class="gap" data-finding-id="${esc(g.findingId)}" d="M${x0.toFixed(1)},${ya} L${x1.toFixed(1)},${yb}" stroke="${ruleColour(g.rule)}" stroke-width="1.5" stroke-dasharray="4 3" fill="none"><title>gap ${fmtNum((g.toMs - g.fromMs) / 1000, 3)} s (${esc(g.rule)})</title></path>`,
    );
  }

  // Evidence CDRs.
  for (const c of model.cdrs) {
    const y = laneY.get(c.imsi)! + 11;
    const x0 = x(c.startMs);
    const w = Math.max(x(c.knownEndMs) - x0, 3);
    const lasted = (c.knownEndMs - c.startMs) / 1000;
    const title = `${c.record} · ${c.cell ?? 'cell not in catalogue'}\nstart ${new Date(c.startMs).toISOString()}\n${
      c.endExact ? `ended ${new Date(c.knownEndMs).toISOString()} (${fmtNum(lasted, 3)} s)` : `lasted at least ${fmtNum(lasted, 3)} s`
    }`;
    parts.push(
      `<g class="cdr" data-record="${esc(c.record)}" data-findings="${esc(c.findingIds.join(' '))}">` +
        `<rect x="${x0.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="16" rx="2" fill="#3d5a80"/>` +
        (c.endExact ? '' : `<rect x="${(x0 + w).toFixed(1)}" y="${y}" width="14" height="16" fill="url(#open-end)"/>`) +
        `<title>${esc(title)}</title></g>`,
    );
  }

  const defs =
    '<defs><linearGradient id="open-end"><stop offset="0" stop-color="#3d5a80" stop-opacity="0.55"/><stop offset="1" stop-color="#3d5a80" stop-opacity="0"/></linearGradient></defs>';
  return `<svg class="timeline" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="timeline of the evidence CDRs, one lane per IMSI">${defs}${parts.join('')}</svg>`;
}
