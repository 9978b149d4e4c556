#!/usr/bin/env bash
# The newcomer's first run: detect clones in the bundled demo CDRs, then query them back from ClickHouse.
set -euo pipefail
cd "$(dirname "$0")/.."
out=out/demo
rm -rf "$out"
echo "\$ npx clonewatch detect --cdrs fixtures/demo/cdrs --cells fixtures/demo/cells.csv.gz --exceptions fixtures/demo/exceptions.csv --out $out"
npx clonewatch detect --cdrs fixtures/demo/cdrs --cells fixtures/demo/cells.csv.gz \
  --exceptions fixtures/demo/exceptions.csv --out "$out"
echo
echo "First findings ($out/clones.ndjson):"
head -n 3 "$out/clones.ndjson"
echo
q="SELECT rule, count() AS findings, uniqExact(imei) AS imeis FROM suspected_clones FINAL GROUP BY rule ORDER BY rule"
echo "\$ npx clonewatch sql \"$q\""
npx clonewatch sql "$q"
echo
echo "The analysts' views (docs: README, Views for analysts):"
echo "\$ npx clonewatch report --out $out/report"
npx clonewatch report --out "$out/report"
echo "\$ npx clonewatch explain 86891203000036 --cells fixtures/demo/cells.csv.gz --out $out/explain.html"
npx clonewatch explain 86891203000036 --cells fixtures/demo/cells.csv.gz --out "$out/explain.html"
echo "Open them in a browser (no network needed): xdg-open $out/explain.html; xdg-open $out/report/report.html"
