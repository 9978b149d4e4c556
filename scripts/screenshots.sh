#!/usr/bin/env bash
# Regenerate the README's pictures of the analysts' pages (docs/img/explain.png, docs/img/report.png):
# detect on the demo CDRs into a throwaway chDB store, `explain` the demo IMEI and `report`, then Debian's
# headless chromium takes a small screenshot of each (scaled 0.6 to keep the committed PNGs small).
# The browser tests write full-size screenshots of the same pages to out/screenshots/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO_IMEI=86891203000036
CHROMIUM=${CLONEWATCH_CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "screenshots: $CHROMIUM not found (bash scripts/setup-system.sh installs chromium)" >&2; exit 2; }
npm run -s build
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
node dist/cli/main.js detect --cdrs fixtures/demo/cdrs --cells fixtures/demo/cells.csv.gz \
  --exceptions fixtures/demo/exceptions.csv --out "$tmp/out" --clickhouse "$tmp/ch" --no-progress 2>"$tmp/detect.log" \
  || { cat "$tmp/detect.log" >&2; exit 1; }
node dist/cli/main.js explain "$DEMO_IMEI" --clickhouse "$tmp/ch" --cells fixtures/demo/cells.csv.gz --out "$tmp/explain.html"
node dist/cli/main.js report --clickhouse "$tmp/ch" --out "$tmp/report"
shot() { # page, png, height (CSS px)
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=0.6 \
    --window-size=1280,"$3" --virtual-time-budget=3000 --screenshot="$2" "file://$1" 2>/dev/null
  echo "screenshots: wrote $2 ($(( $(stat -c %s "$2") / 1024 )) KB)"
}
shot "$tmp/explain.html" docs/img/explain.png 1960
shot "$tmp/report/report.html" docs/img/report.png 1560
