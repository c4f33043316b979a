#!/usr/bin/env bash
# FVC2002 evaluation of the fingerprint engine (issue 3): all four B databases
# (DB2 was scanned at 569 dpi), FVC protocol, release build. Prints the table,
# writes the DET curves and per-folder JSON under target/fvc/, and fails if the
# mean EER regresses past a guard well above the measured figure (see
# BENCHMARKS.md, "Fingerprint engine").
set -euo pipefail
cd "$(dirname "$0")/../.."
data=../shared/data/fvc2002
if [ ! -d "$data/DB1_B" ]; then
  echo "fvc2002 data absent: skipped"
  exit 0
fi
mkdir -p target/fvc
dirs=("$data/DB1_B" "$data/DB2_B:569" "$data/DB3_B" "$data/DB4_B")
cargo build --release --quiet -p scomm
bin=${CARGO_TARGET_DIR:-target}/release/scomm
"$bin" eval fvc "${dirs[@]}" --det target/fvc/det.svg --scores target/fvc/scores.txt | tee target/fvc/table.txt
"$bin" eval fvc "${dirs[@]}" --json > target/fvc/results.json
python3 - target/fvc/results.json <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
mean = sum(r["eer"] for r in rows) / len(rows)
print(f"mean EER {mean * 100:.2f}% over {len(rows)} folders (guard 4.50%)")
sys.exit(0 if mean <= 0.045 else 1)
PY
