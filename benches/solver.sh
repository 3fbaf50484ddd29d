#!/usr/bin/env bash
# Solver benchmarks: time to a proven (or time-limited) roster, gap, coverage and peak memory,
# on the committed fixtures and a generated province set; then a repair.
# Each case runs twice: with the first round's fairness (`--classic-fairness`: duties and
# backups one load, no spread terms) and with issue 25's (backups apart, consecutive days,
# weekdays and AM/PM spread; the same-firm term and balance by kind are off by default and
# are run once each on Guangzhou's month). Then the suggestions and edit checks of a city month.
# Usage: benches/solver.sh   (builds release binaries first; takes about 25 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p zhiban-api -p zhiban-solver --examples >/dev/null 2>&1
cargo build --release --locked -p zhiban-api >/dev/null 2>&1
bin=./target/release/zhiban
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" fixtures generate --centres 120 --lawyers 8000 --stations 1200 --seed 7 --out "$work/province" >/dev/null

run() { # name, dir, weeks, extra args...
  local name=$1 dir=$2 weeks=$3; shift 3
  # Peak RSS (KiB) and wall time of the whole command, reading the data set included.
  /usr/bin/time -f "%M %e" -o "$work/mem" "$bin" solve --input "$dir" --from 2026-11-23 --weeks "$weeks" --quiet "$@" >"$work/out" 2>&1 || true
  local status gap filled
  status=$(grep -oE '^status [A-Za-z]+ in [0-9.]+ s' "$work/out" | sed 's/^status //' || true)
  gap=$(grep -oE 'gap [0-9.]+%|no bound proven yet' "$work/out" | head -1 || true)
  filled=$(grep -oE 'primary posts filled [0-9/]+' "$work/out" | sed 's/primary posts filled //' || true)
  [ -n "$status" ] || status="failed: $(tail -1 "$work/out")"
  local kib wall
  read -r kib wall < <(tail -1 "$work/mem")
  local spread
  spread=$(grep -oE '^spread: .*' "$work/out" | sed 's/^spread: //' || true)
  printf '%-40s %-26s %-12s posts %-12s peak %6d MiB  wall %s s\n    spread: %s\n' "$name" "$status" "$gap" "$filled" "$(( kib / 1024 ))" "$wall" "$spread"
}

both() { # name, dir, weeks, extra args...
  local name=$1; shift
  run "$name, classic" "$@" --classic-fairness
  run "$name, new terms" "$@"
}
both "guangzhou 1 week" fixtures/guangzhou 1 --gap 0.0001
both "guangzhou 4 weeks" fixtures/guangzhou 4 --gap 0.0001 --time-limit 60
run "guangzhou 4 weeks, + by kind" fixtures/guangzhou 4 --gap 0.0001 --time-limit 60 --fairness '{"by_station_kind":true}'
run "guangzhou 4 weeks, + same firm" fixtures/guangzhou 4 --gap 0.0001 --time-limit 60 --fairness '{"firm_consecutive":1}'
both "baotou 4 weeks" fixtures/baotou 4 --gap 0.0001
both "guangzhou 26 weeks" fixtures/guangzhou 26 --gap 0.005 --time-limit 60
both "province 4 weeks" "$work/province" 4 --gap 0.001 --time-limit 120
both "province 26 weeks" "$work/province" 26 --gap 0.01 --time-limit 300
./target/release/examples/repair_bench
./target/release/examples/suggest_bench
