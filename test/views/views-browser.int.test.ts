import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlockCandidate, Finding, Reject } from '../../src/domain/types.js';
import { launchChromium, openFile } from '../helpers/browser.js';
import { readNdjson, ROOT, runCli, tempDir } from '../helpers/cli.js';

// Issue 13: the analysts' pages open in a real browser with no console error and no request, and show the
// same numbers as the NDJSON files of a detect run over the demo CDRs.

/** The IMEI the README's quick start opens; the screenshots in docs/ are of it. */
export const DEMO_IMEI = '86891203000036';
const SCREENSHOTS = join(ROOT, 'out/screenshots');

const tmp = tempDir('clonewatch-views-');
const chdb = join(tmp, 'clickhouse');
const out = join(tmp, 'detect');
let findings: Finding[];
let candidates: BlockCandidate[];
let rejects: Reject[];
let browser: Browser;

/** The current state of each IMEI's candidate: its last emission in the file. */
function latestCandidates(): Map<string, BlockCandidate> {
  const m = new Map<string, BlockCandidate>();
  for (const c of candidates) m.set(c.imei, c);
  return m;
}

function countBy<T>(xs: T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
}

beforeAll(async () => {
  const r = await runCli(
    [
      'detect',
      '--cdrs', join(ROOT, 'fixtures/demo/cdrs'),
      '--cells', join(ROOT, 'fixtures/demo/cells.csv.gz'),
      '--exceptions', join(ROOT, 'fixtures/demo/exceptions.csv'),
      '--out', out,
      '--clickhouse', chdb,
    ],
    { timeoutMs: 90_000 },
  );
  expect(r.code, r.stderr).toBe(0);
  findings = readNdjson<Finding>(join(out, 'clones.ndjson'));
  candidates = readNdjson<BlockCandidate>(join(out, 'block-candidates.ndjson'));
  rejects = readNdjson<Reject>(join(out, 'rejects.ndjson'));
  mkdirSync(SCREENSHOTS, { recursive: true });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('clonewatch explain in headless Chromium', () => {
  const cases: [string, () => string][] = [
    ['the README demo IMEI (a candidate with an exempt IMSI)', () => DEMO_IMEI],
    ['the IMEI with the most findings', () => Object.entries(countBy(findings, (f) => f.imei)).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0][0]],
    ['an IMEI whose IMSIs are all exempt (no candidate)', () => findings.map((f) => f.imei).find((i) => !latestCandidates().has(i))!],
  ];
  for (const [name, pick] of cases) {
    it(name, async () => {
      const imei = pick();
      expect(imei).toBeTruthy();
      const mine = findings.filter((f) => f.imei === imei);
      expect(mine.length).toBeGreaterThan(0);
      const file = join(tmp, `explain-${imei}.html`);
      // The reported IMEI (15 digits) is accepted and keyed by its first 14.
      const r = await runCli(['explain', mine[0].imei_reported_a, '--clickhouse', chdb, '--cells', join(ROOT, 'fixtures/demo/cells.csv.gz'), '--out', file], { timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(statSync(file).size).toBeLessThan(1024 * 1024);

      const { page, errors, requests } = await openFile(browser, file);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);

      const knownCells = new Set(mine.flatMap((f) => [f.lat_a !== null ? f.cell_a : null, f.lat_b !== null ? f.cell_b : null]).filter((c) => c !== null));
      expect(await page.locator('svg.evidence-map .cell-marker').count()).toBe(knownCells.size);
      expect(await page.locator('svg.evidence-map .range').count()).toBe(knownCells.size);
      const td = mine.filter((f) => f.rule === 'time_distance');
      expect(await page.locator('svg.evidence-map .td-line').count()).toBe(td.length);
      for (const f of td) {
        const label = await page.locator(`svg.evidence-map .td-line[data-finding-id="${f.finding_id}"] text`).textContent();
        expect(label).toContain(`${f.distance_km!.toLocaleString('en-US', { maximumFractionDigits: 1 })} km`);
        expect(label).toContain(f.speed_kmh === null ? '∞ km/h' : `${Math.round(f.speed_kmh).toLocaleString('en-US')} km/h`);
      }

      const imsis = new Set(mine.flatMap((f) => [f.imsi_a, f.imsi_b]));
      expect(await page.locator('svg.timeline .lane').count()).toBe(imsis.size);
      expect(new Set(await page.locator('svg.timeline .lane').evaluateAll((els) => els.map((e) => e.getAttribute('data-imsi'))))).toEqual(imsis);
      const records = new Set(mine.flatMap((f) => [f.record_a, f.record_b]));
      expect(await page.locator('svg.timeline .cdr').count()).toBe(records.size);
      const overlapping = mine.filter((f) => f.overlap_s > 0 || f.rule === 'simultaneity');
      expect(await page.locator('svg.timeline .overlap').count()).toBe(overlapping.length);
      expect(await page.locator('svg.timeline .gap').count()).toBe(mine.filter((f) => f.gap_s > 0).length);

      // The findings table: one row per finding, numbers as in clones.ndjson.
      expect(await page.locator('table.findings tr.finding').count()).toBe(mine.length);
      const show = (n: number | null) => (n === null ? '—' : String(n));
      for (const f of mine) {
        const row = page.locator(`table.findings tr[data-finding-id="${f.finding_id}"]`);
        expect(await row.getAttribute('data-rule')).toBe(f.rule);
        expect(await row.locator('td.distance').textContent()).toBe(show(f.distance_km));
        expect(await row.locator('td.gap').textContent()).toBe(show(f.gap_s));
        expect(await row.locator('td.overlap').textContent()).toBe(show(f.overlap_s));
        expect(await row.locator('td.speed').textContent()).toBe(show(f.speed_kmh));
      }
      // Clicking a time-distance finding highlights its line on the map.
      if (td.length) {
        await page.locator(`table.findings tr[data-finding-id="${td[0].finding_id}"]`).click();
        expect(await page.locator(`svg.evidence-map .td-line[data-finding-id="${td[0].finding_id}"]`).getAttribute('class')).toContain('hl');
        await page.locator(`table.findings tr[data-finding-id="${td[0].finding_id}"]`).click();
      }

      const cand = latestCandidates().get(imei);
      if (cand) {
        expect(await page.locator('#candidate .imsis .tag').allTextContents()).toEqual(cand.imsis);
        expect(await page.locator('#candidate .exempt-imsis .tag').allTextContents()).toEqual(cand.exempt_imsis);
        expect(await page.locator('#candidate table.history tbody tr').count()).toBe(candidates.filter((c) => c.imei === imei).length);
        // SPEC "Block candidates: what the operator needs to act".
        expect(await page.locator('#candidate .likely-genuine').textContent()).toBe(`${cand.likely_genuine_imsi} (${cand.likely_genuine_reason})`);
        expect(await page.locator('#candidate .notify').textContent()).toBe(cand.notify_msisdns.join(', ') || '—');
      } else {
        expect(await page.locator('#candidate').textContent()).toContain('No block candidate');
      }
      expect(errors).toEqual([]);
      await page.screenshot({ path: join(SCREENSHOTS, `explain-${imei}.png`), fullPage: true });
      await page.close();
    });
  }

  it('an IMEI key with no findings: exit 2, one line, no page', async () => {
    const file = join(tmp, 'none.html');
    const r = await runCli(['explain', '35000000000001', '--clickhouse', chdb, '--out', file], { timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no findings for IMEI key 35000000000001 .*nothing to explain/);
    expect(() => statSync(file)).toThrow();
  });

  it('--max-findings n shows the latest n and says how many there are', async () => {
    const [imei, n] = Object.entries(countBy(findings, (f) => f.imei)).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
    const file = join(tmp, 'capped.html');
    const r = await runCli(['explain', imei, '--clickhouse', chdb, '--max-findings', '2', '--out', file], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect([...html.matchAll(/<tr class="finding"/g)]).toHaveLength(2);
    expect(html).toContain(`the latest 2 of ${n}`);
    const latest = findings.filter((f) => f.imei === imei).sort((a, b) => a.time_a.localeCompare(b.time_a) || a.time_b.localeCompare(b.time_b) || a.finding_id.localeCompare(b.finding_id)).slice(-2);
    for (const f of latest) expect(html).toContain(`data-finding-id="${f.finding_id}"`);
  });

  it('without --cells the circles use the default range and the page says so', async () => {
    const file = join(tmp, 'default-ranges.html');
    const r = await runCli(['explain', DEMO_IMEI, '--clickhouse', chdb, '--out', file], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('configured default (1000 m, dashed)');
    expect(html).toContain('stroke-dasharray="3 3"');
  });
});

describe('clonewatch report in headless Chromium', () => {
  it('all dates: charts, map and candidates.csv equal the NDJSON files', async () => {
    const dir = join(tmp, 'report-all');
    const r = await runCli(['report', '--clickhouse', chdb, '--out', dir], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const { page, errors, requests } = await openFile(browser, join(dir, 'report.html'));
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);

    const perDayRule = countBy(findings, (f) => `${f.time_a.slice(0, 10)}|${f.rule}`);
    const shown = await page.locator('.day-bar .seg').evaluateAll((els) =>
      els.map((e) => `${e.parentElement!.getAttribute('data-key')}|${e.getAttribute('data-series')}=${e.getAttribute('data-n')}`),
    );
    expect(shown.sort()).toEqual(Object.entries(perDayRule).map(([k, n]) => `${k}=${n}`).sort());

    const latest = [...latestCandidates().values()];
    const candDays = countBy(latest, (c) => c.first_evidence_at.slice(0, 10));
    const bars = await page.locator('.cand-bar').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-key')}=${e.getAttribute('data-n')}`));
    expect(bars.sort()).toEqual(Object.entries(candDays).map(([k, n]) => `${k}=${n}`).sort());

    const reasons = countBy(rejects, (x) => x.reason);
    const rbars = await page.locator('.reject-bar').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-key')}=${e.getAttribute('data-n')}`));
    expect(rbars.sort()).toEqual(Object.entries(reasons).map(([k, n]) => `${k}=${n}`).sort());

    const onMap = await page.locator('svg.h3-map .h3-hex').evaluateAll((els) => els.reduce((t, e) => t + Number(e.getAttribute('data-n')), 0));
    const unplaced = Number((await page.locator('.unplaced').getAttribute('data-n').catch(() => '0')) ?? 0);
    expect(onMap + unplaced).toBe(findings.length);
    expect(unplaced).toBe(findings.filter((f) => f.lat_a === null && f.lat_b === null).length);
    expect(await page.locator('table.runs tbody tr').count()).toBe(1);
    await page.screenshot({ path: join(SCREENSHOTS, 'report.png'), fullPage: true });
    await page.close();

    const csv = readFileSync(join(dir, 'candidates.csv'), 'utf8').split('\r\n').filter((l) => l !== '');
    expect(csv[0]).toBe('imei,imsis,exempt_imsis,rules,first_evidence_at,findings,likely_genuine_imsi,notify_msisdns');
    const rows = csv.slice(1).map((l) => l.split(','));
    expect(rows.map((x) => x[0]).sort()).toEqual(latest.map((c) => c.imei).sort());
    for (const c of latest) {
      const row = rows.find((x) => x[0] === c.imei)!;
      expect(row.slice(1)).toEqual([
        c.imsis.join('|'),
        c.exempt_imsis.join('|'),
        c.rules.join('|'),
        c.first_evidence_at,
        String(c.findings),
        c.likely_genuine_imsi,
        c.notify_msisdns.join('|'),
      ]);
    }
  });

  it('--from/--to select the findings of those UTC days and their candidates', async () => {
    const day = [...new Set(findings.map((f) => f.time_a.slice(0, 10)))].sort().at(-1)!;
    const dir = join(tmp, 'report-day');
    const r = await runCli(['report', '--clickhouse', chdb, '--from', day, '--to', day, '--out', dir], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    const onDay = findings.filter((f) => f.time_a.startsWith(day));
    expect(html).toContain(`<dd class="total-findings">${onDay.length} (`);
    const imeis = new Set(onDay.map((f) => f.imei).filter((i) => latestCandidates().has(i)));
    const csv = readFileSync(join(dir, 'candidates.csv'), 'utf8').split('\r\n').filter((l) => l !== '').slice(1);
    expect(csv.map((l) => l.split(',')[0]).sort()).toEqual([...imeis].sort());
  });
});
