#!/usr/bin/env bash
# 1:N identification (issue 4), small run: the CrossMatch persons (one impression enrolled, the
# others searched, mated and with the person removed) with the FVC2002 fingers as extra subjects,
# and a 1,000-subject synthetic ten-print gallery. Prints the table and the score distributions
# (synthetic beside FVC, SVG under target/ident/), and fails if rank-1 falls well below the
# measured figures (BENCHMARKS.md, "1:N identification"). About 70 s on a quiet 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
data=../shared/data
if [ ! -d "$data/neurotech-crossmatch" ] || [ ! -d "$data/fvc2002/DB1_B" ]; then
  echo "neurotech-crossmatch or fvc2002 data absent: skipped"
  exit 0
fi
mkdir -p target/ident
cargo build --release --quiet -p scomm
bin=${CARGO_TARGET_DIR:-target}/release/scomm
args=(--persons "$data/neurotech-crossmatch"
  --fvc "$data/fvc2002/DB1_B" "$data/fvc2002/DB2_B:569" "$data/fvc2002/DB3_B" "$data/fvc2002/DB4_B"
  --synthetic 1000 --mated 100 --non-mated 300)
"$bin" eval ident "${args[@]}" --json --plot target/ident/scores.svg | tee target/ident/results.txt
python3 - target/ident/results.txt <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
guards = {("real", "all (<=10)"): 0.95, ("synthetic", "10"): 0.98, ("synthetic", "2 (indexes)"): 0.85}
ok = True
for r in rows:
    g = guards.get((r["set"], r["fingers"]))
    if g is not None:
        print(f'{r["set"]} {r["fingers"]}: rank-1 {r["rank1"] * 100:.1f}% (guard {g * 100:.0f}%)')
        ok &= r["rank1"] >= g
sys.exit(0 if ok else 1)
PY
