import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/domain/types.js';
import type { CellRange } from '../../src/views/evidence-map.js';
import { explainPage, type ExplainView } from '../../src/views/explain-page.js';
import { latestFindings, type CandidateView } from '../../src/views/store.js';

// The explain page as text (the browser tests open the demo's pages): candidate fields, criteria's own
// finding fields, and the map's parts for a hand-made IMEI.

const td: Finding = {
  imei: '35693803564380',
  imei_reported_a: '356938035643809',
  imei_reported_b: '3569380356438012',
  rule: 'time_distance',
  imsi_a: '716100000000001',
  imsi_b: '716100000000002',
  msisdn_a: '',
  msisdn_b: '+51999000002',
  record_a: 'r3',
  record_b: 'r4',
  time_a: '2026-03-01T15:30:00.000Z',
  time_b: '2026-03-01T15:35:00.000Z',
  cell_a: 'LTE:716:10:100:1',
  cell_b: 'LTE:716:10:200:2',
  lat_a: -12.05,
  lon_a: -77.03,
  lat_b: -16.4,
  lon_b: -71.54,
  distance_km: 763.138,
  gap_s: 300,
  overlap_s: 0,
  speed_kmh: 9157.7,
  exempt_imsis: [],
  detected_at: '2026-11-24T18:50:20.380Z',
  finding_id: '50c041daf3f106879a323d49ded733e4',
};

const candidate: CandidateView = {
  imei: td.imei,
  imsis: ['716100000000001', '716100000000002'],
  exempt_imsis: [],
  rules: ['time_distance'],
  first_evidence_at: td.time_a,
  findings: 1,
  emitted_at: '2026-11-24T18:50:20.380Z',
};

function view(over: Partial<ExplainView> = {}): ExplainView {
  return {
    imei: td.imei,
    findings: [td],
    candidates: [candidate],
    ranges: new Map<string, CellRange>([
      ['LTE:716:10:100:1', { rangeM: 1500, source: 'catalogue' }],
      ['LTE:716:10:200:2', { rangeM: 1000, source: 'assumed' }],
    ]),
    rangeNote: 'note',
    source: 'chDB test',
    generatedAt: '2026-11-24T19:00:00.000Z',
    ...over,
  };
}

const count = (html: string, re: RegExp) => [...html.matchAll(re)].length;

describe('explain page', () => {
  it('a marker and a circle per cell, a labelled line per time-distance finding, a lane per IMSI', () => {
    const html = explainPage(view());
    expect(count(html, /<g class="cell-marker"/g)).toBe(2);
    expect(count(html, /<path class="range"/g)).toBe(2);
    expect(count(html, /stroke-dasharray="3 3"/g)).toBe(1); // the assumed range only
    expect(count(html, /<g class="td-line"/g)).toBe(1);
    expect(html).toContain('763.1 km · 9,158 km/h');
    expect(count(html, /<g class="lane"/g)).toBe(2);
    expect(html).toContain('<td class="num distance">763.138</td>');
  });

  it('without the candidate columns in the store, the page says so instead of inventing values', () => {
    const html = explainPage(view());
    expect(html).toMatch(/Likely genuine IMSI<\/dt><dd class="likely-genuine"><span class="note">not in this store/);
    expect(html).toMatch(/MSISDNs to notify<\/dt><dd class="notify"><span class="note">not in this store/);
  });

  it('shows likely_genuine_imsi with its reason and notify_msisdns when the store has them', () => {
    const c = { ...candidate, likely_genuine_imsi: '716100000000001', likely_genuine_reason: 'first_seen', notify_msisdns: ['+51999000002'] };
    const html = explainPage(view({ candidates: [c] }));
    expect(html).toContain('<dd class="likely-genuine"><span class="tag genuine">716100000000001</span> (first_seen)</dd>');
    expect(html).toContain('<dd class="notify">+51999000002</dd>');
  });

  it("a criterion's own fields (imsi_count, radio) are shown in the detail column; Output 1's are not repeated", () => {
    const shared = { ...td, rule: 'shared_imei', record_b: 'r3', imsi_b: td.imsi_a, time_b: td.time_a, imsi_count: 6 } as unknown as Finding;
    const html = explainPage(view({ findings: [shared] }));
    expect(html).toContain('<td class="detail">imsi_count 6</td>');
    expect(count(html, /<g class="td-line"/g)).toBe(0);
    expect(html).toContain('shared_imei');
  });

  it('an IMEI whose IMSIs are all exempt: no candidate, said plainly', () => {
    const html = explainPage(view({ candidates: [], findings: [{ ...td, exempt_imsis: [td.imsi_a, td.imsi_b] }] }));
    expect(html).toContain('<strong>No block candidate.</strong>');
  });

  it('text from the store is escaped', () => {
    const html = explainPage(view({ findings: [{ ...td, record_a: '<script>alert(1)</script>' }] }));
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('more findings than shown: the page says how many there are in all', () => {
    const html = explainPage(view({ totalFindings: 250 }));
    expect(html).toContain('<strong>: the latest 1 of 250</strong>');
    expect(explainPage(view())).not.toContain('the latest');
  });
});

describe('latestFindings', () => {
  it('keeps the latest n by event time, oldest first', () => {
    const at = (i: number): Finding => ({ ...td, finding_id: `f${i}`, time_a: new Date(Date.UTC(2026, 2, 1, i)).toISOString(), time_b: new Date(Date.UTC(2026, 2, 1, i, 5)).toISOString() });
    const fs = [at(3), at(1), at(4), at(2)];
    expect(latestFindings(fs, 2).map((f) => f.finding_id)).toEqual(['f3', 'f4']);
    expect(latestFindings(fs, 10).map((f) => f.finding_id)).toEqual(['f1', 'f2', 'f3', 'f4']);
  });
});
