// Minimal SVG line charts (log-scaled x), written by hand so the bench needs no charting dependency.

export interface Series {
  name: string;
  points: { x: number; y: number }[];
  color: string;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  logX?: boolean;
  logY?: boolean;
  width?: number;
  height?: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function fmtNum(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(2)}`;
}

function ticks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
    return out.filter((t) => t >= lo / 1.0001 && t <= hi * 1.0001);
  }
  const step0 = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(step0 || 1));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) out.push(t);
  return out;
}

export function lineChart(series: Series[], o: ChartOptions): string {
  const W = o.width ?? 700;
  const H = o.height ?? 360;
  const m = { l: 70, r: 190, t: 36, b: 48 };
  const pts = series.flatMap((s) => s.points);
  let xLo = Math.min(...pts.map((p) => p.x));
  let xHi = Math.max(...pts.map((p) => p.x));
  let yLo = o.logY ? Math.min(...pts.map((p) => p.y)) : 0;
  let yHi = Math.max(...pts.map((p) => p.y));
  if (o.logX) {
    xLo = 10 ** Math.floor(Math.log10(xLo));
    xHi = 10 ** Math.ceil(Math.log10(xHi) - 0.02); // 10.1M still ends the axis at 10M
  }
  if (o.logY) {
    yLo = 10 ** Math.floor(Math.log10(yLo));
    yHi = 10 ** Math.ceil(Math.log10(yHi));
  } else yHi *= 1.1;
  if (xHi === xLo) xHi = xLo + 1;
  if (yHi === yLo) yHi = yLo + 1;
  const fx = (x: number) => m.l + ((o.logX ? Math.log10(x) - Math.log10(xLo) : x - xLo) / (o.logX ? Math.log10(xHi) - Math.log10(xLo) : xHi - xLo)) * (W - m.l - m.r);
  const fy = (y: number) => H - m.b - ((o.logY ? Math.log10(y) - Math.log10(yLo) : y - yLo) / (o.logY ? Math.log10(yHi) - Math.log10(yLo) : yHi - yLo)) * (H - m.t - m.b);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2 - m.r / 2 + m.l / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(o.title)}</text>`);
  for (const t of ticks(xLo, xHi, !!o.logX)) {
    const x = fx(t).toFixed(1);
    out.push(`<line x1="${x}" y1="${m.t}" x2="${x}" y2="${H - m.b}" stroke="#ddd"/>`, `<text x="${x}" y="${H - m.b + 16}" text-anchor="middle">${fmtNum(t)}</text>`);
  }
  for (const t of ticks(yLo, yHi, !!o.logY)) {
    const y = fy(t).toFixed(1);
    out.push(`<line x1="${m.l}" y1="${y}" x2="${W - m.r}" y2="${y}" stroke="#ddd"/>`, `<text x="${m.l - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${fmtNum(t)}</text>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 10}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  series.forEach((s, k) => {
    const ps = s.points.slice().sort((a, b) => a.x - b.x);
    if (ps.length) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${ps.map((p) => `${fx(p.x).toFixed(1)},${fy(p.y).toFixed(1)}`).join(' ')}"/>`);
    for (const p of ps) out.push(`<circle cx="${fx(p.x).toFixed(1)}" cy="${fy(p.y).toFixed(1)}" r="3.5" fill="${s.color}"><title>${esc(s.name)}: ${fmtNum(p.x)} -> ${fmtNum(p.y)}</title></circle>`);
    const ly = m.t + 10 + k * 20;
    out.push(`<line x1="${W - m.r + 12}" y1="${ly}" x2="${W - m.r + 32}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`, `<text x="${W - m.r + 38}" y="${ly}" dominant-baseline="middle">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
