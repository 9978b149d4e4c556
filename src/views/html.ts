/**
 * The shell of the analysts' pages: one self-contained HTML document (styles, script, base map and data
 * inline). A Content-Security-Policy forbids every fetch, so a page that tried one would fail loudly in a
 * browser instead of leaking a request from a workstation that may have no network.
 */

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value, escaped for HTML. */
export function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ESC[c]);
}

/** JSON for a `<script type="application/json">` block: `<` escaped so no value can close the tag. */
export function jsonBlock(id: string, value: unknown): string {
  const text = JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return `<script type="application/json" id="${esc(id)}">${text}</script>`;
}

/** A number with thousands separators and at most `digits` decimals; '—' for null. */
export function fmtNum(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** An ISO-8601 UTC time as 'YYYY-MM-DD hh:mm:ss[.fff] UTC'. */
export function fmtTime(iso: string): string {
  const t = iso.replace('T', ' ').replace(/\.000Z$/, 'Z').replace(/Z$/, '');
  return `${t} UTC`;
}

/** Colour of each rule; a rule this version does not know gets a neutral colour. */
export const RULE_COLOURS: Record<string, string> = {
  simultaneity: '#d95f02',
  time_distance: '#1b6ca8',
  shared_imei: '#7570b3',
  inconsistent_rat: '#e7298a',
  unknown_tac: '#66a61e',
};

export function ruleColour(rule: string): string {
  return RULE_COLOURS[rule] ?? '#777';
}

const CSS = `
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;margin:0;color:#1d2733;background:#f6f7f9}
header{background:#17324d;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:20px;font-weight:600}
header p{margin:4px 0 0;color:#c9d6e3;font-size:13px}
main{padding:16px 24px;max-width:1280px}
section{background:#fff;border:1px solid #dde3ea;border-radius:6px;padding:12px 16px;margin:0 0 16px}
section h2{font-size:16px;margin:0 0 8px}
.note{color:#5b6b7b;font-size:12.5px;margin:6px 0}
table{border-collapse:collapse;font-size:12.5px;width:100%}
th,td{border-bottom:1px solid #e6ebf0;padding:3px 6px;text-align:left;vertical-align:top;white-space:nowrap}
th{background:#f0f3f6;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.wrap{overflow-x:auto}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:3px 14px;font-size:13.5px}
.kv dt{color:#5b6b7b}
.kv dd{margin:0;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;white-space:normal;word-break:break-all}
.tag{display:inline-block;border-radius:3px;padding:0 5px;font-size:11.5px;color:#fff}
.tag.exempt{background:#2a9d57}
.tag.block{background:#c0392b}
.tag.genuine{background:#2b6cb0}
.rule{display:inline-block;border-radius:3px;padding:0 5px;color:#fff;font-size:11.5px}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
tr.hl td{background:#fff4c2}
.hl{stroke-width:4 !important}
tr[data-finding-id]{cursor:pointer}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
`;

/** The whole document. `script` runs inline (CSP allows inline scripts and styles, nothing else). */
export function page(opts: { title: string; subtitle: string; body: string; script?: string; data?: string }): string {
  const csp = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(opts.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${esc(opts.title)}</h1><p>${esc(opts.subtitle)}</p></header>
<main>
${opts.body}
</main>
${opts.data ?? ''}
${opts.script ? `<script>${opts.script}</script>` : ''}
</body>
</html>
`;
}
