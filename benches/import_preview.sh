#!/usr/bin/env bash
# Spreadsheet import of the province set: `zhiban export` writes its panel workbook (120
# centres, 1,200 stations, 8,000 lawyers), `zhiban import FILE.xlsx --dry-run` reads it and
# checks every rule, and the API previews it (POST /api/v1/imports) through a running
# `zhiban serve`, as the page does. Usage: benches/import_preview.sh (builds the release
# binary first). Prints wall seconds and the zhiban process's peak resident memory.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p zhiban-api >/dev/null 2>&1
bin=$PWD/target/release/zhiban
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
db="sqlite://$work/p.db"
"$bin" fixtures generate --centres 120 --lawyers 8000 --stations 1200 --seed 7 --out "$work/province" >/dev/null
"$bin" import "$work/province" --database-url "$db" >/dev/null
"$bin" export "$work/province.xlsx" --database-url "$db" >/dev/null
printf 'workbook: %s bytes\n' "$(stat -c %s "$work/province.xlsx")"

measure() { # name, command...
  local name=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$work/mem" "$@" >/dev/null
  t1=$(date +%s.%N)
  printf '%-46s %8.3f s %8d KiB\n' "$name" "$(echo "$t1 - $t0" | bc)" "$(cat "$work/mem")"
}
measure "zhiban import province.xlsx --dry-run" "$bin" import "$work/province.xlsx" --dry-run --database-url "$db"

token=$("$bin" token create --role admin --label bench --database-url "$db" | head -1 | cut -f1)
port=$((20000 + RANDOM % 20000))
ZHIBAN_DATABASE_URL=$db ZHIBAN_ADDR=127.0.0.1:$port "$bin" serve >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
for i in 1 2 3; do
  curl -s -o "$work/preview.json" -w "API preview of the province workbook (run $i): %{time_total} s, HTTP %{http_code}\n" \
    -H "Authorization: Bearer $token" \
    -H "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" \
    --data-binary "@$work/province.xlsx" \
    "http://127.0.0.1:$port/api/v1/imports?centre_id=P000&mode=merge"
done
python3 -c "import json,sys; p=json.load(open(sys.argv[1])); print('problems', len(p['errors']), 'changes', len(p['changes']))" "$work/preview.json"
printf 'serve peak RSS: %s KiB\n' "$(grep VmHWM /proc/$server/status | awk '{print $2}')"
