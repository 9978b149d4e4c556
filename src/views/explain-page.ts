import type { Finding } from '../domain/types.js';
import { evidenceModel } from './evidence.js';
import { cellLabel, evidenceMapSvg, type CellRange } from './evidence-map.js';
import { esc, fmtNum, fmtTime, jsonBlock, page, ruleColour } from './html.js';
import type { CandidateView } from './store.js';
import { timelineSvg } from './timeline.js';

/** Everything the explain page shows; built by the CLI from ClickHouse (and the cell catalogue for ranges). */
export interface ExplainView {
  imei: string;
  /** The findings shown (the latest ones when there are more than --max-findings). */
  findings: Finding[];
  /** All findings of the IMEI key in the store (default: those shown). */
  totalFindings?: number;
  /** Emissions of the IMEI's block candidate, oldest first; empty when every IMSI is exempt. */
  candidates: CandidateView[];
  /** Coverage radius of each evidence cell. */
  ranges: Map<string, CellRange>;
  /** Where the ranges came from, for the note under the map. */
  rangeNote: string;
  /** The store, without credentials. */
  source: string;
  generatedAt: string;
}

function ruleTag(rule: string): string {
  return `<span class="rule" style="background:${ruleColour(rule)}">${esc(rule)}</span>`;
}

function imsiTags(imsis: string[], cls: string): string {
  return imsis.length ? imsis.map((i) => `<span class="tag ${cls}">${esc(i)}</span>`).join(' ') : '—';
}

function candidateSection(v: ExplainView): string {
  const exempt = [...new Set(v.findings.flatMap((f) => f.exempt_imsis))].sort();
  if (v.candidates.length === 0) {
    return `<section id="candidate"><h2>Block candidate</h2>
<p><strong>No block candidate.</strong> Every IMSI in these findings is on the exception list for this IMEI
(${imsiTags(exempt, 'exempt')}): analysts see the findings, the registry gets nothing to block.</p></section>`;
  }
  const c = v.candidates[v.candidates.length - 1];
  const missing = '<span class="note">not in this store (written before the column existed)</span>';
  const genuine =
    c.likely_genuine_imsi === undefined
      ? missing
      : c.likely_genuine_imsi
        ? `<span class="tag genuine">${esc(c.likely_genuine_imsi)}</span> (${esc(c.likely_genuine_reason ?? '')})`
        : '—';
  const notify = c.notify_msisdns === undefined ? missing : c.notify_msisdns.length ? esc(c.notify_msisdns.join(', ')) : '—';
  const history = v.candidates
    .map(
      (e) => `<tr><td>${esc(fmtTime(e.emitted_at))}</td><td class="mono">${esc(e.imsis.join(', '))}</td><td class="mono">${esc(e.exempt_imsis.join(', '))}</td>` +
        `<td>${e.rules.map(ruleTag).join(' ')}</td><td class="num">${e.findings}</td></tr>`,
    )
    .join('');
  return `<section id="candidate"><h2>Block candidate</h2>
<dl class="kv">
<dt>IMSIs to block</dt><dd class="imsis">${imsiTags(c.imsis, 'block')}${c.imsi_count !== undefined && c.imsi_count > c.imsis.length ? ` (${c.imsi_count} in all)` : ''}</dd>
<dt>Exempt IMSIs</dt><dd class="exempt-imsis">${imsiTags(c.exempt_imsis, 'exempt')}</dd>
<dt>Likely genuine IMSI</dt><dd class="likely-genuine">${genuine}</dd>
<dt>MSISDNs to notify</dt><dd class="notify">${notify}</dd>
<dt>Rules</dt><dd>${c.rules.map(ruleTag).join(' ')}</dd>
<dt>Findings</dt><dd>${c.findings}</dd>
<dt>First evidence</dt><dd>${esc(fmtTime(c.first_evidence_at))}</dd>
<dt>Last emitted</dt><dd>${esc(fmtTime(c.emitted_at))}</dd>
</dl>
<h3 style="font-size:13.5px;margin:12px 0 4px">History (one row per emission: a new non-exempt IMSI joined)</h3>
<div class="wrap"><table class="history"><thead><tr><th>emitted at</th><th>IMSIs</th><th>exempt IMSIs</th><th>rules</th><th class="num">findings</th></tr></thead><tbody>${history}</tbody></table></div>
</section>`;
}

function num(n: number | null): string {
  return n === null ? '—' : String(n);
}

/** SPEC Output 1's fields; anything else a finding carries (a criterion's own fields) goes to the detail column. */
const OUTPUT1_FIELDS = new Set([
  'imei', 'imei_reported_a', 'imei_reported_b', 'rule', 'imsi_a', 'imsi_b', 'msisdn_a', 'msisdn_b', 'record_a', 'record_b',
  'time_a', 'time_b', 'cell_a', 'cell_b', 'lat_a', 'lon_a', 'lat_b', 'lon_b', 'distance_km', 'gap_s', 'overlap_s',
  'speed_kmh', 'exempt_imsis', 'detected_at', 'finding_id',
]);

function detail(f: Finding): string {
  return Object.entries(f)
    .filter(([k, v]) => !OUTPUT1_FIELDS.has(k) && v !== null && v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join('|') : String(v)}`)
    .join(', ');
}

function findingsTable(findings: Finding[]): string {
  const rows = findings
    .map(
      (f) => `<tr class="finding" data-finding-id="${esc(f.finding_id)}" data-rule="${esc(f.rule)}">
<td>${ruleTag(f.rule)}</td><td>${esc(fmtTime(f.time_a))}</td><td class="mono">${esc(f.imsi_a)}</td><td class="mono">${esc(f.msisdn_a)}</td><td class="mono">${esc(f.cell_a ?? '—')}</td>
<td>${esc(fmtTime(f.time_b))}</td><td class="mono">${esc(f.imsi_b)}</td><td class="mono">${esc(f.msisdn_b)}</td><td class="mono">${esc(f.cell_b ?? '—')}</td>
<td class="num distance">${num(f.distance_km)}</td><td class="num gap">${f.gap_s}</td><td class="num overlap">${f.overlap_s}</td><td class="num speed">${num(f.speed_kmh)}</td>
<td class="mono">${esc(f.exempt_imsis.join(', '))}</td><td class="detail">${esc(detail(f))}</td><td class="mono">${esc(f.record_a)} / ${esc(f.record_b)}</td><td class="mono">${esc(f.finding_id)}</td></tr>`,
    )
    .join('');
  return `<div class="wrap"><table class="findings"><thead><tr><th>rule</th><th>time a</th><th>IMSI a</th><th>MSISDN a</th><th>cell a</th>
<th>time b</th><th>IMSI b</th><th>MSISDN b</th><th>cell b</th><th class="num">distance km</th><th class="num">gap s</th><th class="num">overlap s</th><th class="num">speed km/h</th>
<th>exempt IMSIs</th><th>detail</th><th>records a / b</th><th>finding_id</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

// Clicking a finding highlights its line, overlap or gap and its CDRs; clicking again clears it.
const SCRIPT = `(function(){
var cur=null;
function mark(id,on){
  document.querySelectorAll('[data-finding-id="'+id+'"],[data-findings~="'+id+'"]').forEach(function(e){e.classList.toggle('hl',on)});
}
document.querySelectorAll('tr[data-finding-id]').forEach(function(tr){
  tr.addEventListener('click',function(){
    var id=tr.getAttribute('data-finding-id');
    if(cur) mark(cur,false);
    cur = cur===id ? null : id;
    if(cur) mark(cur,true);
  });
});
})();`;

export function explainPage(v: ExplainView): string {
  const model = evidenceModel(v.findings);
  const rules = [...new Set(v.findings.map((f) => f.rule))];
  const reported = [...new Set(v.findings.flatMap((f) => [f.imei_reported_a, f.imei_reported_b]))].sort();
  const byRule = rules.map((r) => `${v.findings.filter((f) => f.rule === r).length} ${r}`).join(', ');
  const cellsTable = model.cells
    .map((c, i) => {
      const r = v.ranges.get(c.id);
      return `<tr class="cell-row" data-cell="${esc(c.id)}"><td><strong>${cellLabel(i)}</strong></td><td class="mono">${esc(c.id)}</td><td class="num">${c.lat}</td><td class="num">${c.lon}</td>` +
        `<td class="num">${r ? fmtNum(r.rangeM) : '—'}${r?.source === 'assumed' ? ' (assumed)' : ''}</td><td class="mono">${esc(c.imsis.join(', '))}</td><td class="num">${c.records.length}</td></tr>`;
    })
    .join('');
  const unknown = model.unknownCellRecords.length
    ? `<p class="note">${model.unknownCellRecords.length} evidence CDR(s) on cells not in the catalogue (no position): ${esc(model.unknownCellRecords.join(', '))}.</p>`
    : '';
  const body = `
<section id="summary"><dl class="kv">
<dt>IMEI key</dt><dd>${esc(v.imei)}</dd>
<dt>IMEIs as reported</dt><dd>${esc(reported.join(', '))}</dd>
<dt>Findings</dt><dd class="finding-count">${v.findings.length} (${esc(byRule)})${
    (v.totalFindings ?? v.findings.length) > v.findings.length
      ? ` <strong>: the latest ${v.findings.length} of ${v.totalFindings}</strong> (clonewatch explain --max-findings N shows more)`
      : ''
  }</dd>
<dt>IMSIs</dt><dd>${model.lanes.length}</dd>
<dt>Evidence from</dt><dd>${esc(fmtTime(new Date(model.startMs).toISOString()))} to ${esc(fmtTime(new Date(model.endMs).toISOString()))}</dd>
</dl></section>
${candidateSection(v)}
<section id="map"><h2>Where: the evidence cells</h2>
${evidenceMapSvg(model.cells, v.findings, v.ranges)}
<p class="note">Red dots: the evidence cells; shaded circles: their coverage (range); a blue line per time-distance finding,
labelled with the effective distance (great-circle distance less both ranges) and the implied speed. ${esc(v.rangeNote)}</p>
${unknown}
<div class="wrap"><table class="cells"><thead><tr><th></th><th>cell</th><th class="num">lat</th><th class="num">lon</th><th class="num">range m</th><th>IMSIs</th><th class="num">CDRs</th></tr></thead><tbody>${cellsTable}</tbody></table></div>
</section>
<section id="timeline"><h2>When: one lane per IMSI</h2>
${timelineSvg(model)}
<p class="note">A bar is the part of a CDR's interval that the findings prove: its start, and its end when a gap
follows it; a fading end means the CDR lasted at least that long (CDR durations are not stored with the findings).
Orange bands: the overlap of two IMSIs' CDRs (simultaneity); dashed lines: the gap between the end of one CDR and
the start of the next (time-distance). Hours without evidence are cut out of the axis (≈).</p>
</section>
<section id="findings"><h2>Findings</h2>
<p class="note">Click a row to highlight its evidence on the map and the timeline. Times are UTC; numbers as in clones.ndjson.</p>
${findingsTable(v.findings)}
</section>
<p class="note">Generated by clonewatch explain at ${esc(v.generatedAt)} from ${esc(v.source)}.</p>`;
  return page({
    title: `IMEI ${v.imei}: ${v.findings.length} finding${v.findings.length === 1 ? '' : 's'}`,
    subtitle: `clonewatch explain · suspected clone (RENTESEG Art. 22) · ${rules.join(', ')}`,
    body,
    script: SCRIPT,
    data: jsonBlock('findings-data', v.findings),
  });
}
