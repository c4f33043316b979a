#!/usr/bin/env bash
# FVC2002 evaluation of the fingerprint engine (issue 3): all four B databases
# (DB2 was scanned at 569 dpi), FVC protocol, release build, with both
# extraction profiles (fast: the ridge skeleton; accurate: both skeletons).
# Prints the tables, writes the DET curves and per-folder JSON under
# target/fvc/, and checks issue 3's milestone for each profile. The accurate
# profile (the 1:1 verification profile) must meet it: a miss fails the run.
# The fast profile (the 1:N gallery's, chosen for speed) misses it on DB2;
# its check is printed, and the run fails only if its mean EER regresses
# past a guard well above the measured figure. Scores do not depend on the
# machine, so neither check can flake (see BENCHMARKS.md, "Fingerprint
# engine").
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
for profile in fast accurate; do
  echo "--- profile $profile"
  "$bin" eval fvc "${dirs[@]}" --profile $profile --det target/fvc/det-$profile.svg \
    --scores target/fvc/scores-$profile.txt | tee target/fvc/table-$profile.txt
  "$bin" eval fvc "${dirs[@]}" --profile $profile --json > target/fvc/results-$profile.json
done
python3 - target/fvc/results-fast.json target/fvc/results-accurate.json <<'PY'
import json, sys
# The better of SourceAFIS 3.18 and NBIS per database, EER % (issue 3).
better = {"DB1_B": 3.2, "DB2_B": 0.7, "DB3_B": 7.5, "DB4_B": 5.4}
guards = {"fast": 0.045, "accurate": 0.030}
# Profiles that must meet the milestone itself, not only their guard.
must_meet = {"accurate"}
bad = 0
for path in sys.argv[1:]:
    rows = [json.loads(line) for line in open(path) if line.strip()]
    profile = rows[0]["profile"]
    mean = sum(r["eer"] for r in rows) / len(rows)
    behind = [f'{r["name"]} {r["eer"] * 100:.2f}%' for r in rows
              if r["eer"] * 100 > better.get(r["name"], 100) + 1.0]
    met = mean <= 0.04 and not behind
    milestone = "met" if met else "not met (" + ", ".join(behind) + ")"
    print(f"{profile}: mean EER {mean * 100:.2f}% over {len(rows)} folders "
          f"(guard {guards[profile] * 100:.2f}%); issue 3 milestone {milestone}")
    bad += mean > guards[profile]
    if profile in must_meet and not met:
        print(f"{profile}: the milestone is required of this profile", file=sys.stderr)
        bad += 1
sys.exit(1 if bad else 0)
PY
