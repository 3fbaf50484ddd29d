#!/usr/bin/env bash
# Import and export speed of the embedded store, on the committed fixtures and a generated
# province-scale set. Usage: benches/import.sh  (builds the release binary first)
# Prints one line per case: wall seconds and peak resident memory of the zhiban process.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p zhiban-api >/dev/null 2>&1
bin=./target/release/zhiban
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" fixtures generate --centres 120 --lawyers 8000 --stations 1200 --seed 7 --out "$work/province" >/dev/null

measure() { # name, command...
  local name=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$work/mem" "$@" >/dev/null
  t1=$(date +%s.%N)
  printf '%-34s %8.3f s %8d KiB\n' "$name" "$(echo "$t1 - $t0" | bc)" "$(cat "$work/mem")"
}

for set in small guangzhou baotou; do
  measure "import $set (new file)" "$bin" import "fixtures/$set" --database-url "sqlite://$work/$set.db"
  measure "re-import $set (upsert)" "$bin" import "fixtures/$set" --database-url "sqlite://$work/$set.db"
  measure "export $set" "$bin" export "$work/$set-out" --database-url "sqlite://$work/$set.db"
done
measure "import province 120c/1200s/8000l" "$bin" import "$work/province" --database-url "sqlite://$work/p.db"
measure "export province 120c/1200s/8000l" "$bin" export "$work/p-out" --database-url "sqlite://$work/p.db"
