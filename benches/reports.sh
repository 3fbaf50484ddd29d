#!/usr/bin/env bash
# Report speed over a generated year: imports the Guangzhou fixture (12 centres), makes
# 2026 with `zhiban demo-history --year 2026 --seed 1` (rosters solved and published,
# check-ins, ledgers, months approved), then asks a running `zhiban serve` for the year's
# report of the whole city (GZ and the 11 centres below it) as JSON, XLSX and CSV, and one
# district's, five times each. Usage: benches/reports.sh  (builds the release binary first)
# Prints the generator's line, then one line per case: the fastest and slowest of the five
# answers (curl's total time) and the answer's size; then the server's peak memory.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p zhiban-api >/dev/null 2>&1
bin=./target/release/zhiban
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
db="sqlite://$work/year.db"
"$bin" import fixtures/guangzhou --database-url "$db" >/dev/null
"$bin" demo-history --year 2026 --seed 1 --time-limit 20 --database-url "$db" | tail -1
token=$("$bin" token create --role admin --label bench --database-url "$db" | grep -o 'zb_[A-Za-z0-9_-]*' | head -1)
port=$((20000 + RANDOM % 20000))
"$bin" serve --addr "127.0.0.1:$port" --database-url "$db" >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null && break; sleep 0.2; done

measure() { # name, path
  local best=999 worst=0 size=0 t
  for _ in 1 2 3 4 5; do
    read -r t size < <(curl -sf -o /dev/null -w '%{time_total} %{size_download}\n' \
      -H "Authorization: Bearer $token" "http://127.0.0.1:$port$2")
    best=$(echo "if ($t < $best) $t else $best" | bc)
    worst=$(echo "if ($t > $worst) $t else $worst" | bc)
  done
  printf '%-40s %7.3f s .. %7.3f s %9d bytes\n' "$1" "$best" "$worst" "$size"
}

year="from=2026-01&to=2026-12"
measure "summary GZ (12 centres), 2026" "/api/v1/reports/summary?centre_id=GZ&$year"
measure "summary.xlsx GZ (12 centres), 2026" "/api/v1/reports/summary.xlsx?centre_id=GZ&$year"
measure "summary.csv GZ (12 centres), 2026" "/api/v1/reports/summary.csv?centre_id=GZ&$year"
measure "summary GZ-TH (1 centre), 2026" "/api/v1/reports/summary?centre_id=GZ-TH&$year"
measure "summary GZ, one month (2026-11)" "/api/v1/reports/summary?centre_id=GZ&from=2026-11&to=2026-11"
echo "serve peak memory: $(grep VmHWM /proc/$pid/status | awk '{print $2, $3}')"
